"""The recruiter check as dialogs: registered, revoked, similar and unknown names, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.recruitment import agencies
from bot.storage.db import transaction
from tests.support import Dialog, RasaServer, texts

REGISTRY = (
    "name,licence_number,address,status,source,updated_on\n"
    "PT Sinar Jaya Abadi,SIP3MI-001,,active,daftar uji,2026-10-01\n"
    "PT. Sinar Jaya Makmur,SIP3MI-002,,active,daftar uji,2026-10-01\n"
    "CV Borneo Karya Manunggal,SIP3MI-003,,suspended,daftar uji,2026-10-01\n"
    "PT Duta Sambas Utama,SIP3MI-004,,revoked,daftar uji,2026-10-01\n"
)


def load_registry(dialog: Dialog) -> None:
    with transaction(dialog.app.sessions) as session:
        agencies.replace_all(session, agencies.parse_csv(REGISTRY).rows, datetime.now(UTC))


@pytest.fixture
async def registered(dialog: Dialog) -> Dialog:
    load_registry(dialog)
    return dialog


async def test_a_licensed_company_named_in_the_question(registered: Dialog) -> None:
    replies = await registered.say("PT Sinar Jaya Abadi resmi gk?")
    text = replies[0].text
    assert "Ada di daftar: PT Sinar Jaya Abadi" in text and "izin AKTIF" in text and "SIP3MI-001" in text
    assert "SAMA PERSIS" in text  # look-alike names are a known trick
    assert "Sumber daftar: daftar uji; diperbarui 01-10-2026" in text and "UU 18/2017 Pasal 51" in text
    assert "BP3MI Kalimantan Barat" not in text  # the placeholder is unset: no number is shown


async def test_a_typo_still_finds_it_and_a_revoked_one_offers_a_report(registered: Dialog) -> None:
    replies = await registered.say("apakah pt sinar jya abadi punya izin")
    assert "Ada di daftar: PT Sinar Jaya Abadi" in replies[0].text
    replies = await registered.say("cek izin PT Duta Sambas Utama")
    assert "izin DICABUT" in replies[0].text and "tidak boleh merekrut" in replies[0].text
    assert [b.label for b in replies[0].buttons][0] == "Laporkan perekrut ini"


async def test_an_unknown_company_is_not_called_illegal(registered: Dialog) -> None:
    replies = await registered.say("PT Maju Mundur Sejahtera resmi gk?")
    text = replies[0].text
    assert '"PT Maju Mundur Sejahtera" tidak ada di daftar perusahaan kami' in text
    assert "BELUM TENTU berarti perusahaannya ilegal" in text and "Tanyakan ke BP3MI" in text


async def test_in_english_from_the_menu_asking_for_the_name(registered: Dialog) -> None:
    await registered.say("/start")
    await registered.press("English")
    replies = await registered.press("Check a recruiter")
    assert "Type the name of the recruiting company" in replies[0].text
    replies = await registered.say("sinar jaya abadi")
    assert "On the list: PT Sinar Jaya Abadi" in replies[0].text and "licence ACTIVE" in replies[0].text
    await registered.press("Check another name")
    replies = await registered.say("PT Sinar Jaya")
    text = replies[0].text
    assert '"PT Sinar Jaya" is not on our list exactly. Similar names:' in text
    assert "• PT Sinar Jaya Abadi — licence active" in text and "• PT. Sinar Jaya Makmur — licence active" in text
    assert "not necessarily the same company" in text
    await registered.press("Check another name")
    replies = await registered.say("borneo karya manungal")
    assert "licence SUSPENDED" in replies[0].text


async def test_cancel_while_asked_for_the_name(registered: Dialog) -> None:
    await registered.say("cara cek agen resmi gimana")
    replies = await registered.say("batal")
    assert "dibatalkan" in texts(replies)


async def test_the_bp3mi_contact_is_shown_once_the_deployment_sets_it(
    tmp_path: Path, database_url: str, rasa_server: RasaServer
) -> None:
    config = (PROJECT_ROOT / "config.yml").read_text(encoding="utf-8")
    config = config.replace("content_dir: content/answers", f"content_dir: {PROJECT_ROOT / 'content' / 'answers'}")
    marker = "  bp3mi_kalbar:\n    label: {id: \"BP3MI Kalimantan Barat (Pontianak)\", en: \"BP3MI West Kalimantan (Pontianak)\"}\n    value: null"
    assert marker in config
    config = config.replace(marker, marker.replace("value: null", 'value: "0561-000-TEST"'))
    path = tmp_path / "config.yml"
    path.write_text(config, encoding="utf-8")
    settings: Settings = load_settings(path, {
        "DATABASE_URL": database_url, "TEMAN_VAR_DIR": str(tmp_path / "var"), "APP_ENV": "test",
        "NLU_URL": rasa_server.url, "NLU_TOKEN": rasa_server.token,
    })
    dialog = Dialog.open(settings)
    try:
        replies = await dialog.say("PT Maju Mundur Sejahtera resmi gk?")
        assert "• BP3MI Kalimantan Barat (Pontianak): 0561-000-TEST" in replies[0].text
    finally:
        await dialog.close()
