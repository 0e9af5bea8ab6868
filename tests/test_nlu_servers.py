"""Several Rasa servers in NLU_URL: the bot keeps understanding while one of them is down."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from bot.config import load_settings
from tests.conftest import make_settings
from tests.support import Dialog, RasaServer, TcpProxy


def test_nlu_url_takes_several_servers_comma_separated(tmp_path: Path) -> None:
    settings = load_settings(
        None, {"NLU_URL": "http://rasa-1:5005/, http://rasa-2:5005", "TEMAN_VAR_DIR": str(tmp_path)}
    )
    assert settings.nlu.mode == "remote"
    assert settings.nlu.urls == ("http://rasa-1:5005", "http://rasa-2:5005")
    assert settings.nlu.url == "http://rasa-1:5005"


async def test_messages_are_understood_while_one_of_two_rasa_servers_is_down(
    rasa_server: RasaServer, tmp_path: Path, sqlite_url: str
) -> None:
    port = urlparse(rasa_server.url).port or 0
    first, second = TcpProxy(port), TcpProxy(port)  # two "servers" in front of the one real Rasa
    await first.start()
    await second.start()
    settings = make_settings(
        tmp_path, sqlite_url, NLU_URL=f"{first.url},{second.url}", NLU_TOKEN=rasa_server.token
    )
    dialog = Dialog.open(settings)

    try:
        await dialog.say("halo")
        await dialog.press("Bahasa Indonesia")
        for down in (first, second):
            await down.stop()
            for _ in range(3):  # whoever's turn it is, the live server answers
                replies = await dialog.say("berapa biaya penempatan ke hongkong?")
                assert dialog.app.understander.status == "rasa"
                assert "sistem saya sedang terganggu" not in "\n".join(r.text for r in replies)
            await down.start()
        await first.stop()
        await second.stop()
        replies = await dialog.say("berapa biaya penempatan ke hongkong?")
        assert dialog.app.understander.status == "degraded"  # only when every server fails
        assert "sistem saya sedang terganggu" in "\n".join(r.text for r in replies)
    finally:
        await dialog.close()
        await first.stop()
        await second.stop()
