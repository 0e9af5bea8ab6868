"""Cases: numbers, who may see a status, and staff status changes that notify the reporter."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from bot.hotline import cases, queries
from bot.storage.models import AuditEntry, Case, CaseStatus, Contact, OutboxItem, Staff
from tests.support import Dialog, texts

NUMBER = re.compile(r"KB-\d{4}-\d{6}")


LABELS = {
    "id": ("Perekrut / penipuan", "Setuju", "Lewati", "Ringkasan laporan", "Kirim laporan"),
    "en": ("A recruiter / scam", "I agree", "Skip", "Summary of your report", "Send the report"),
}


async def file_report(dialog: Dialog, lang: str = "id") -> str:
    """A recruiter report with every question skipped; returns its number."""
    kind, agree, skip, summary, send = LABELS[lang]
    await dialog.say("/lapor")
    await dialog.press(kind)
    await dialog.press(agree)
    while summary not in dialog.last[-1].text:
        await dialog.press(skip)
    replies = await dialog.press(send)
    found = NUMBER.search(replies[0].text)
    assert found
    return found.group(0)


def other_person(dialog: Dialog, chat_id: str = "person-2", channel: str = "local") -> Dialog:
    return Dialog(app=dialog.app, chat_id=chat_id, channel=channel)


async def test_only_the_reporter_sees_the_status_and_others_learn_nothing(dialog: Dialog) -> None:
    number = await file_report(dialog)
    replies = await dialog.say(f"status {number}")
    assert f"{number} — Perekrut / penipuan / perdagangan orang" in replies[0].text
    assert "Status: Diterima, menunggu petugas" in replies[0].text

    stranger = other_person(dialog)
    theirs = (await stranger.say(f"status {number}"))[0].text
    nobody = (await stranger.say("status KB-2026-999999"))[0].text
    # The same answer for someone else's case and a case that does not exist.
    assert theirs == nobody.replace("KB-2026-999999", number)
    assert "tidak ditemukan untuk chat ini" in theirs and "Diterima" not in theirs
    replies = await stranger.say("/status")
    assert "Belum ada laporan yang dibuat dari chat ini" in replies[0].text

    # The same chat id on another channel is another identity.
    elsewhere = other_person(dialog, chat_id=dialog.chat_id, channel="whatsapp")
    replies = await elsewhere.say(f"status {number}")
    assert "tidak ditemukan untuk chat ini" in replies[0].text


async def test_case_numbers_are_readable_and_unique(dialog: Dialog) -> None:
    first = await file_report(dialog)
    second = await file_report(other_person(dialog))
    assert first != second
    year = datetime.now(timezone(timedelta(hours=7))).year
    assert first == f"KB-{year}-{int(first[-6:]):06d}" and int(second[-6:]) == int(first[-6:]) + 1
    replies = await dialog.say("/status")
    assert first in replies[0].text and second not in replies[0].text


async def test_a_staff_status_change_is_recorded_audited_and_told_to_the_reporter_in_their_language(
    dialog: Dialog,
) -> None:
    await dialog.say("/start")
    await dialog.press("English")
    number = await file_report(dialog, "en")
    now = datetime.now(UTC)
    ui = dialog.app.services.texts
    with dialog.app.sessions() as session, session.begin():
        staff = Staff(username="agent1", password_hash="x")
        session.add(staff)
        session.flush()
        case = session.scalars(select(Case).where(Case.number == number)).one()
        before = session.query(OutboxItem).count()
        assert cases.set_status(session, case, CaseStatus.IN_REVIEW, staff, now, texts=ui) is True
        assert cases.set_status(session, case, CaseStatus.IN_REVIEW, staff, now, texts=ui) is False  # no change, no message
        assert session.query(OutboxItem).count() == before + 1
        staff_id = staff.id
    with dialog.app.sessions() as session:
        note = session.scalars(select(OutboxItem).order_by(OutboxItem.id.desc())).first()
        assert note is not None and note.chat_id == dialog.chat_id
        assert note.text == f'Update on report {number}: its status is now "Being handled by staff". Type "status {number}" to see it.'
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "case_status")).one()
        assert audit.staff_id == staff_id and audit.target_type == "case"
        assert audit.detail["before"] == "new" and audit.detail["after"] == "in_review"
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert case.details["status_history"][0]["to"] == "in_review"
    replies = await dialog.say(f"status {number}")
    assert "Status: Being handled by staff" in replies[0].text

    with dialog.app.sessions() as session, session.begin():
        case = session.scalars(select(Case).where(Case.number == number)).one()
        cases.set_status(session, case, CaseStatus.CLOSED, None, now, texts=ui)
        assert case.closed_at is not None
    replies = await dialog.say(f"status {number}")
    assert "Status: Finished (closed)" in replies[0].text


async def test_an_erased_reporter_is_not_notified(dialog: Dialog) -> None:
    number = await file_report(dialog)
    await dialog.say("/hapus")
    await dialog.press("Ya, hapus")
    with dialog.app.sessions() as session, session.begin():
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert case.contact_id is None
        before = session.query(OutboxItem).count()
        cases.set_status(session, case, CaseStatus.REFERRED, None, datetime.now(UTC),
                         texts=dialog.app.services.texts)
        assert session.query(OutboxItem).count() == before
    replies = await dialog.say(f"status {number}")
    assert "tidak ditemukan" in texts(replies) or "not found" in texts(replies)
    with dialog.app.sessions() as session:
        assert session.scalars(select(Contact)).one().consent_at is None


async def test_a_report_reaches_the_staff_queue_with_its_case_number(dialog: Dialog) -> None:
    number = await file_report(dialog)
    with dialog.app.sessions() as session:
        items = queries.active_queue(session, datetime.now(UTC), dialog.app.settings)
    assert [(item.case_number, item.priority.value, item.reason) for item in items] == [
        (number, "high", "case:trafficking")
    ]
