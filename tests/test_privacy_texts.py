"""What the bot says about keeping data (UU PDP 27/2022), through the real dialog.

Consent says why, what, who sees it (staff and the agencies a case may be referred to), how long
and the person's rights; the periods come from config.yml's privacy section, not from the text.
The anonymous option says what staff still see, and /hapus says it closes open reports before
the person agrees.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.config import PrivacySettings, Settings
from bot.storage.models import Case, CaseStatus
from tests.support import Dialog, texts

NUMBER = re.compile(r"KB-\d{4}-\d{6}")


@pytest.fixture
async def odd_retention(settings: Settings) -> AsyncIterator[Dialog]:
    """A bot whose retention periods differ from the shipped ones, so a hard-coded number shows."""
    privacy = PrivacySettings(retention_days=400, chat_retention_days=90, audit_retention_days=800)
    d = Dialog.open(dataclasses.replace(settings, privacy=privacy))
    try:
        yield d
    finally:
        await d.close()


async def test_missing_person_consent_says_why_who_how_long_and_the_rights(odd_retention: Dialog) -> None:
    dialog = odd_retention
    await dialog.say("/lapor")
    replies = await dialog.press("Keluarga di luar negeri tidak bisa dihubungi")
    consent = replies[0].text
    assert "Untuk apa: supaya petugas bisa membantu mencari keluarga Anda" in consent
    assert "juga bila ia masih anak, kami jaga sama hati-hatinya" in consent
    assert "hanya petugas bantuan hukum Kanwil Kemenkum Kalimantan Barat, setelah login" in consent
    assert "instansi yang menerima rujukan kasus ini bila perlu (polisi, BP3MI" in consent
    assert "dihapus 400 hari setelah laporan ditutup" in consent
    assert "Pesan chat dihapus 90 hari setelah dikirim" in consent
    assert "melihat, membetulkan, menghapus data ini, dan menarik persetujuan kapan saja" in consent
    assert "/hapus (laporan yang masih terbuka ikut ditutup)" in consent
    assert "365" not in consent and "180" not in consent


async def test_the_english_trafficking_consent_says_what_anonymous_does_not_hide(odd_retention: Dialog) -> None:
    dialog = odd_retention
    await dialog.say("halo")  # a first contact chooses the language
    await dialog.press("English")
    await dialog.say("/report")
    replies = await dialog.press("A recruiter / scam")
    consent = replies[0].text
    assert "Anonymous: if you choose no name" in consent
    assert "the staff still see this chat's number or account and its profile name" in consent
    assert "the agencies the case is referred to if needed" in consent
    assert "deleted 400 days after the report is closed" in consent and "90 days after they were sent" in consent
    assert "to see, correct and delete this data, and to withdraw your consent at any time" in consent
    replies = await dialog.press("without my name")
    assert "What would you like to report?" in replies[-1].text


async def test_cancelling_a_flow_says_the_messages_are_kept_and_for_how_long(odd_retention: Dialog) -> None:
    dialog = odd_retention
    await dialog.say("/cek")
    replies = await dialog.say("batal")
    cancelled = replies[0].text
    assert "dibatalkan" in cancelled and "tidak dijadikan laporan" in cancelled
    assert "tetap tersimpan 90 hari" in cancelled and "/hapus" in cancelled
    assert "Tidak ada yang disimpan" not in cancelled


async def test_erase_says_open_reports_are_closed_before_the_person_agrees(dialog: Dialog) -> None:
    await dialog.say("/lapor")
    await dialog.press("Perekrut / penipuan")
    await dialog.press("Setuju")
    while "Ringkasan laporan" not in dialog.last[-1].text:
        await dialog.press("Lewati")
    number = NUMBER.search((await dialog.press("Kirim laporan"))[0].text)
    assert number

    replies = await dialog.say("/hapus")
    confirm = replies[0].text
    assert "Laporan yang masih terbuka akan DITUTUP" in confirm
    assert "riwayat chat, nama profil, pilihan bahasa" in confirm
    assert "nomor laporan dan statusnya (tanpa data pribadi)" in confirm
    assert confirm.endswith("Yakin?")
    with dialog.app.sessions() as session:
        assert session.scalars(select(Case)).one().status is CaseStatus.NEW  # nothing happens before "yes"

    replies = await dialog.press("Ya, hapus")
    assert "Data Anda sudah dihapus" in texts(replies)
    with dialog.app.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.number == number.group(0) and case.status is CaseStatus.CLOSED


async def test_the_welcome_says_messages_are_kept_and_how_to_delete_them(odd_retention: Dialog) -> None:
    dialog = odd_retention
    await dialog.say("halo")
    replies = await dialog.press("English")
    assert "Your messages here are kept for 90 days and the Kanwil staff can read them" in texts(replies)
    assert "type /delete to delete them" in texts(replies)
