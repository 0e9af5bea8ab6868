"""Reports as whole dialogs: a missing relative, a recruiter (named or anonymous), consent, cases."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from bot.chat.inbound import Inbound, Media
from bot.storage.models import (
    Case,
    CaseKind,
    CaseStatus,
    Contact,
    Conversation,
    ConversationState,
    Escalation,
    Priority,
)
from tests.support import Dialog, texts

NUMBER = re.compile(r"KB-\d{4}-\d{6}")


async def english(dialog: Dialog) -> None:
    await dialog.say("/start")
    await dialog.press("English")


async def send_media(dialog: Dialog, kind: str, file_id: str) -> list:  # type: ignore[type-arg]
    inbound = Inbound(
        channel=dialog.channel, chat_id=dialog.chat_id, message_id=uuid.uuid4().hex, kind=kind,
        media=(Media(kind=kind, file_id=file_id),),
    )
    return (await dialog.send(inbound)).replies


def only_case(dialog: Dialog) -> tuple[Case, Escalation, Contact, Conversation]:
    with dialog.app.sessions() as session:
        case = session.scalars(select(Case)).one()
        escalation = session.scalars(select(Escalation)).one()
        contact = session.scalars(select(Contact)).one()
        conversation = session.scalars(select(Conversation)).one()
        return case, escalation, contact, conversation


async def test_missing_relative_in_bahasa_indonesia_becomes_a_high_priority_case(dialog: Dialog) -> None:
    replies = await dialog.say("/lapor")
    replies = await dialog.press("Keluarga di luar negeri tidak bisa dihubungi")
    consent = replies[0].text
    assert "Yang dicatat" in consent
    assert "hanya petugas bantuan hukum Kanwil Kemenkum Kalimantan Barat, setelah login" in consent
    assert "dihapus 365 hari setelah laporan ditutup" in consent
    assert [b.label for b in replies[0].buttons] == ["Setuju", "Tidak setuju", "Batal"]
    await dialog.press("Setuju")
    assert "Siapa nama lengkapnya" in dialog.last[-1].text
    await dialog.say("Siti Aminah")
    await dialog.press("Anak")
    await dialog.say("30 tahun")
    await dialog.say("Malaysia, Kuching")
    assert "kabupaten/kota" in dialog.last[-1].text and dialog.button("Kota Singkawang")
    await dialog.press("Kab. Sambas")
    await dialog.say("3 minggu lalu")
    await dialog.press("Lewati")  # employer unknown
    await dialog.press("Tidak resmi")
    await dialog.say("lewati")
    await dialog.say("0812-3456-7890")
    assert "kirim satu foto" in dialog.last[-1].text
    replies = await send_media(dialog, "photo", "tg-photo-1")
    summary = replies[0].text
    for line in ("• Nama: Siti Aminah", "• Hubungan: Anak", "• Umur: 30 tahun", "• Negara dan tempat: Malaysia, Kuching",
                 "• Majikan / perekrut: -", "• Cara berangkat: Tidak resmi", "• Nomor HP Anda: 0812-3456-7890",
                 "• Asal (kabupaten/kota): Kab. Sambas",
                 "• Foto: foto diterima"):
        assert line in summary, line
    replies = await dialog.press("Kirim laporan")
    done = replies[0].text
    number = NUMBER.search(done)
    assert number and "Nomor laporan" in done and f"status {number.group(0)}" in done
    assert "MENDESAK" not in done

    case, escalation, contact, conversation = only_case(dialog)
    assert case.number == number.group(0) and case.kind is CaseKind.MISSING_PERSON and not case.urgent
    assert case.details["name"] == "Siti Aminah" and case.details["relation"] == "child"
    assert case.details["departure"] == "unofficial" and "employer" not in case.details
    assert case.details["regency"] == "sambas" and (case.regency, case.country) == ("sambas", "malaysia")
    assert case.details["photo"] == [{"kind": "photo", "file_id": "tg-photo-1"}]
    assert case.contact_id == contact.id and contact.consent_at is not None and case.consent_at is not None
    assert escalation.case_id == case.id and escalation.priority is Priority.HIGH
    assert escalation.reason == "case:missing_person"
    assert conversation.state is ConversationState.IDLE

    replies = await dialog.say("/status")
    assert number.group(0) in replies[0].text and "Diterima, menunggu petugas" in replies[0].text


async def test_danger_signs_across_answers_make_the_report_urgent_in_english(dialog: Dialog) -> None:
    await english(dialog)
    await dialog.say("/report")
    await dialog.press("A relative abroad cannot be reached")
    assert "Who can read it" in dialog.last[-1].text
    await dialog.press("I agree")
    await dialog.say("Siti")
    await dialog.say("my daughter")
    await dialog.say("30")
    await dialog.say("Kuching")
    await dialog.press("Skip")  # regency
    await dialog.say("3 weeks ago")
    # Neither answer alone is an emergency; together they are (passport held + crying).
    await dialog.say("paspornya disimpan agen")
    await dialog.press("Don't know")
    await dialog.say("terakhir telpon dia nangis")
    await dialog.press("Skip")
    replies = await dialog.press("Skip")
    assert "Summary of your report:" in replies[0].text and "• Relation: Child" in replies[0].text
    replies = await dialog.press("Send the report")
    assert "Your report has been received. Report number: KB-" in replies[0].text
    assert "marked URGENT" in replies[0].text and "Police: 110" in replies[0].text
    case, escalation, _, _ = only_case(dialog)
    assert case.urgent and case.details["danger_signs"] == ["passport_held_cannot_leave"]
    assert escalation.priority is Priority.URGENT and escalation.case_id == case.id


async def test_every_question_can_be_skipped_and_a_child_makes_it_urgent(dialog: Dialog) -> None:
    await dialog.say("/lapor")
    await dialog.press("Keluarga di luar negeri")
    await dialog.press("Setuju")
    await dialog.press("Lewati")  # name
    await dialog.press("Lewati")  # relation
    await dialog.say("16")  # age: a child cannot be placed abroad at all
    while "Ringkasan laporan" not in dialog.last[-1].text:
        await dialog.press("Lewati")
    assert "• Nama: -" in dialog.last[-1].text and "• Umur: 16" in dialog.last[-1].text
    replies = await dialog.press("Kirim laporan")
    assert "MENDESAK" in replies[0].text
    case, escalation, _, _ = only_case(dialog)
    assert case.details["danger_signs"] == ["minor"] and escalation.priority is Priority.URGENT


async def test_declining_consent_collects_nothing_and_gives_the_general_answer(dialog: Dialog) -> None:
    await dialog.say("/lapor")
    await dialog.press("Keluarga di luar negeri")
    replies = await dialog.say("tidak setuju")
    text = texts(replies)
    assert "tidak ada data laporan yang dicatat" in text
    assert "Call centre KP2MI" in text and "Polisi: 110" in text
    assert "Keluarga di luar negeri, atau yang pergi bersama perekrut" in text  # content/answers/reporting.yml
    with dialog.app.sessions() as session:
        assert session.scalars(select(Case)).all() == []
        assert session.scalars(select(Contact)).one().consent_at is None
        assert session.scalars(select(Conversation)).one().state is ConversationState.IDLE


async def test_an_anonymous_recruiter_report_in_english_keeps_no_reporter_data(dialog: Dialog) -> None:
    await english(dialog)
    await dialog.say("/report")
    replies = await dialog.press("A recruiter / scam / trafficking")
    assert "Anonymous: if you choose no name" in replies[0].text
    await dialog.press("without my name")
    await dialog.press("A job scam")
    await dialog.say("PT Maju Mundur")
    await dialog.say("fb: maju.mundur.loker")
    await dialog.say("Pontianak, last week")
    await dialog.say("di kota pontianak")  # the regency, typed
    replies = await send_media(dialog, "voice", "voice-1")  # a voice note instead of the story
    assert "I have kept what you sent for the staff" in replies[0].text
    assert "Briefly tell what happened" in replies[0].text
    await dialog.say("They asked 5 million rupiah for a job in Malaysia and then vanished.")
    replies = await send_media(dialog, "photo", "evidence-1")
    summary = replies[0].text
    assert "• Without your name (anonymous)" in summary
    assert "Your name" not in summary and "Your phone" not in summary  # never asked
    assert "• Other attachments (photos/voice): 1" in summary
    replies = await dialog.press("Send the report")
    assert "Report number" in replies[0].text
    case, escalation, contact, _ = only_case(dialog)
    assert case.kind is CaseKind.TRAFFICKING and case.anonymous and case.contact_id == contact.id
    assert not any(key.startswith("reporter_") for key in case.details)
    assert case.details["what"] == "job_scam" and case.details["recruiter"] == "PT Maju Mundur"
    assert case.regency == "pontianak" and case.modus == "job_scam"
    assert case.details["attachments"] == [{"kind": "voice", "file_id": "voice-1"}]
    assert escalation.priority is Priority.HIGH and escalation.reason == "case:trafficking"


async def test_a_named_recruiter_report_typed_in_bahasa_with_back_at_the_summary(dialog: Dialog) -> None:
    await dialog.say("/lapor")
    await dialog.press("Perekrut / penipuan")
    await dialog.say("setuju")
    await dialog.say("ditipu calo")  # matches "Perekrut / calo tanpa izin"
    for _ in range(6):  # recruiter, contact, place, regency, story, evidence
        await dialog.say("lewati")
    await dialog.say("Budi")
    replies = await dialog.say("12")  # not a phone number
    assert "Maaf, saya belum menangkap jawabannya" in replies[0].text and "Nomor HP Anda" in replies[0].text
    replies = await dialog.say("+62 812 3456 7890")
    assert "• Nama Anda: Budi" in replies[0].text and "• Nomor HP Anda: +62 812 3456 7890" in replies[0].text
    replies = await dialog.say("kembali")
    assert "Nomor HP Anda" in replies[0].text
    await dialog.say("lewati")
    replies = await dialog.say("kirim laporan")
    assert "Laporan Anda sudah diterima" in replies[0].text
    case, _, _, _ = only_case(dialog)
    assert case.details["what"] == "illegal_recruiter" and case.details["reporter_name"] == "Budi"
    assert "reporter_phone" not in case.details and not case.anonymous and case.status is CaseStatus.NEW


async def test_cancel_in_the_middle_of_a_report_keeps_nothing(dialog: Dialog) -> None:
    await dialog.say("/lapor")
    await dialog.press("Keluarga di luar negeri")
    await dialog.press("Setuju")
    await dialog.say("Siti Aminah")
    replies = await dialog.press("Batal")
    assert "dibatalkan" in replies[0].text
    with dialog.app.sessions() as session:
        assert session.scalars(select(Case)).all() == []
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.state is ConversationState.IDLE and conversation.answers == {}


async def test_a_report_started_by_a_free_text_message(dialog: Dialog) -> None:
    replies = await dialog.say("anak saya kerja di malaysia sudah 2 bulan tidak ada kabar, hp nya tidak aktif")
    assert "Lapor keluarga yang tidak bisa dihubungi" in replies[0].text
    assert "Apakah Anda setuju?" in replies[0].text


async def test_a_recruiter_report_started_by_a_free_text_message_in_english(dialog: Dialog) -> None:
    await english(dialog)
    replies = await dialog.say("I want to report a fake recruiter who took my money")
    assert "Report a recruiter, a scam or trafficking" in replies[0].text
    assert [b.label for b in replies[0].buttons][:3] == [
        "I agree", "I agree, without my name (anonymous)", "I do not agree",
    ]


async def test_an_urgent_message_mid_report_files_the_answers_as_an_urgent_case(dialog: Dialog) -> None:
    await dialog.say("/lapor")
    await dialog.press("Keluarga di luar negeri tidak bisa dihubungi")
    await dialog.press("Setuju")
    await dialog.say("Siti Aminah")
    await dialog.press("Saudara kandung")
    # An ordinary answer that Rasa alone might call an emergency does not interrupt the report.
    replies = await dialog.say("dia bilang mau pulang")
    assert "diteruskan ke petugas" not in texts(replies)
    replies = await dialog.say("tolong dia dikurung majikan dan dipukul")
    text = texts(replies)
    number = NUMBER.search(text)
    assert number and "ditandai MENDESAK" in text and "Polisi: 110" in text
    case, escalation, _, conversation = only_case(dialog)
    assert case.number == number.group(0) and case.urgent
    assert case.details["name"] == "Siti Aminah" and case.details["relation"] == "sibling"
    assert case.details["urgent_message"] == "tolong dia dikurung majikan dan dipukul"
    assert {"confinement", "violence"} <= set(case.details["danger_signs"])
    assert escalation.priority is Priority.URGENT and escalation.case_id == case.id
    assert conversation.state is ConversationState.WITH_STAFF


async def test_an_urgent_message_before_consent_escalates_and_collects_nothing(dialog: Dialog) -> None:
    await dialog.say("/lapor")
    await dialog.press("Keluarga di luar negeri tidak bisa dihubungi")
    replies = await dialog.say("tolong adik saya disekap agen di kamboja")
    assert "diteruskan ke petugas" in texts(replies) and not NUMBER.search(texts(replies))
    with dialog.app.sessions() as session:
        assert session.scalars(select(Case)).all() == []
        assert session.scalars(select(Escalation)).one().priority is Priority.URGENT
