"""What a fault-injection and security probe found (issue 15): bad input through the real webhooks and
console routes, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import JSON, Enum, String, create_engine, text

from bot.chat.inbound import Inbound
from bot.config import Settings
from bot.storage.db import create_db_engine, migrate
from bot.storage.models import (
    Base,
    Contact,
    Direction,
    Escalation,
    Message,
    Priority,
    Staff,
    StaffRole,
    without_nul,
)
from tests.conftest import PG_ADMIN_URL, make_settings
from tests.e2e.hotline import Hotline
from tests.e2e.live import PASSWORD
from tests.fakes import shapes
from tests.fakes.bot import ServedBot, channel_env, closed_nlu, serve_bot, tuned
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import CREATE, FakeTwilio
from tests.support import Dialog

# The urgent safety net works without Rasa: these must reach the hotline even with the NLU down.
URGENT = "tolong saya dikurung majikan, paspor diambil, tidak boleh keluar"


@pytest.fixture
def channels_settings(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> Settings:
    env = closed_nlu() | channel_env(telegram=fake_telegram, twilio=fake_twilio)
    return tuned(make_settings(tmp_path, database_url, **env))


@pytest.fixture
async def bot(
    channels_settings: Settings, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> AsyncIterator[ServedBot]:
    async with serve_bot(channels_settings, telegram=fake_telegram, twilio=fake_twilio) as served:
        yield served


def migrate_sqlite(url: str) -> None:
    engine = create_db_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


# ---------------------------------------------------------------- 1. NUL bytes
async def test_a_telegram_message_with_nul_bytes_is_stored_answered_and_escalated(
    bot: ServedBot, fake_telegram: FakeTelegram
) -> None:
    person = dict(shapes.PERSON, first_name="Si\u0000ti")
    update = shapes.message(URGENT.replace("dikurung", "di\u0000kurung\u0000"), user=person)
    response = await bot.post_update(update)
    assert response.status_code == 200, response.text

    calls = await fake_telegram.wait_for("sendMessage", 1)
    assert "110" in "\n".join(c.params["text"] for c in calls)
    [inbound] = bot.rows(Message, Message.direction == Direction.IN)
    assert inbound.text == URGENT and inbound.urgent
    [contact] = bot.rows(Contact)
    assert contact.display_name == "Siti Aminah"
    [escalation] = bot.rows(Escalation)
    assert escalation.priority is Priority.URGENT
    # Delivered again, it is recognised as the same message: no second escalation, no 500.
    assert (await bot.post_update(update)).status_code == 200
    assert bot.count(Escalation) == 1


async def test_a_whatsapp_body_with_percent_00_is_stored_answered_and_escalated(
    bot: ServedBot, fake_twilio: FakeTwilio
) -> None:
    form = shapes.twilio_message(URGENT + "\u0000", profile="\u0000Siti")
    response = await bot.post_twilio(form)  # form-encoded: the NUL travels as %00
    assert response.status_code == 200, response.text

    calls = await fake_twilio.wait_for(CREATE, 1)
    assert "110" in "\n".join(c.params["Body"] for c in calls)
    [inbound] = bot.rows(Message, Message.direction == Direction.IN)
    assert inbound.text == URGENT and inbound.urgent
    assert bot.rows(Contact)[0].display_name == "Siti"
    assert [e.priority for e in bot.rows(Escalation)] == [Priority.URGENT]


def test_every_text_and_json_column_drops_nul_characters() -> None:
    # A new column declared with plain String/Text/JSON would bring the PostgreSQL 500 back.
    plain = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, String | JSON) and not isinstance(column.type, Enum)
    ]
    assert plain == [], "use CleanString / CleanText / CleanJSON from bot.storage.models"
    assert without_nul({"a\u0000": ["b\u0000c", 1, None]}) == {"a": ["bc", 1, None]}


# ---------------------------------------------------------------- 9. small 500s
async def test_a_deeply_nested_telegram_body_with_the_right_secret_gets_400(bot: ServedBot) -> None:
    depth = 100_000
    body = '{"update_id": 700000999, "message": ' + "[" * depth + "]" * depth + "}"
    response = await bot.post_update(body)
    assert response.status_code == 400
    assert "malformed" in response.text
    assert bot.count(Message) == bot.count(Contact) == 0
    # The webhook still works afterwards.
    assert (await bot.post_update(shapes.message("/start"))).status_code == 200


# ---------------------------------------------------------------- 10. headers
@pytest.mark.parametrize(("environment", "expected"), [("production", True), ("test", True), ("development", False)])
async def test_strict_transport_security_outside_development(
    tmp_path: Path, sqlite_url: str, environment: str, expected: bool
) -> None:
    migrate_sqlite(sqlite_url)
    settings = make_settings(tmp_path, sqlite_url, APP_ENV=environment, SECRET_KEY="k" * 48)
    hotline = Hotline.open(settings)
    try:
        browser = hotline.browser()
        for path in ("/healthz", "/readyz", "/console/login", "/webhooks/telegram"):
            response = browser.get(path) if path != "/webhooks/telegram" else browser.post(path)
            hsts = response.headers.get("strict-transport-security")
            if expected:
                assert hsts is not None and "max-age=31536000" in hsts, path
            else:
                assert hsts is None, path
    finally:
        await hotline.close()


async def test_an_invalid_role_or_telegram_id_in_the_staff_form_gets_400_with_a_clear_message(
    hotline: Hotline,
) -> None:
    admin = hotline.signed_in("admin", StaffRole.ADMIN)
    member_id = hotline.add_staff("ani")
    response = admin.post(f"/console/admin/staff/{member_id}", role="superuser", active="1")
    assert response.status_code == 400
    assert "Peran tidak dikenal" in response.text
    # Beyond what the database's BIGINT holds (PostgreSQL refused it with a 500).
    response = admin.post(f"/console/admin/staff/{member_id}", role="agent", active="1",
                          telegram_user_id="9" * 25)
    assert response.status_code == 400
    assert "Telegram user id" in response.text
    with hotline.app.sessions() as session:
        member = session.get(Staff, member_id)
        assert member is not None and (member.role, member.telegram_user_id) == (StaffRole.AGENT, None)
    # Creating an account with either is refused the same way.
    for form in ({"role": "root"}, {"role": "agent", "telegram_user_id": "-" + "9" * 25}):
        response = admin.post("/console/admin/staff", username="budi", password=PASSWORD, **form)
        assert response.status_code == 400
    assert hotline.audit_count("staff_update") == hotline.audit_count("staff_create") == 0


@pytest.mark.parametrize("database_kind", ["postgresql"], indirect=True)
async def test_after_the_database_closed_every_connection_the_next_message_is_stored(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A PostgreSQL restart (here: every connection of the bot terminated by the server) costs no
    message: the pool notices the closed connections without a round trip and opens new ones."""
    name = f"teman-restart-{tmp_path.name[-12:]}"
    url = f"{database_url}&application_name={name}"
    dialog = Dialog.open(make_settings(tmp_path, url, **closed_nlu()))
    admin = create_engine(PG_ADMIN_URL)
    try:
        assert (await dialog.send(Inbound(channel="local", chat_id="p1", message_id="m1", text="halo"))).stored
        with admin.begin() as conn:
            ended = conn.execute(
                text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :n"),
                {"n": name},
            ).scalar_one()
        assert ended >= 1  # the pool held the connection the first message used
        result = await dialog.send(Inbound(channel="local", chat_id="p1", message_id="m2", text=URGENT))
        assert result.stored and result.replies
        assert "db.connection_closed_by_server" in caplog.text
        with dialog.app.sessions() as session:
            assert session.query(Message).filter(Message.direction == Direction.IN).count() == 2
    finally:
        await dialog.close()
        admin.dispose()
