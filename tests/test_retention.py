"""Retention periods from config.yml are enforced; work in progress keeps what staff need."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.jobs.retention import purge
from bot.storage.db import transaction
from bot.storage.models import (
    AuditEntry,
    Case,
    CaseKind,
    CaseStatus,
    Contact,
    Message,
    OutboxItem,
    utcnow,
)
from tests.support import Dialog


def age_everything(dialog: Dialog, contact_external_id: str, days: int) -> None:
    then = utcnow() - timedelta(days=days)
    with transaction(dialog.app.sessions) as session:
        contact = session.scalars(select(Contact).where(Contact.external_id == contact_external_id)).one()
        contact.created_at = contact.last_inbound_at = then
        session.execute(update(Message).where(Message.contact_id == contact.id).values(created_at=then))
        session.execute(update(OutboxItem).where(OutboxItem.contact_id == contact.id).values(created_at=then))


def counts(dialog: Dialog) -> dict[str, int]:
    with dialog.app.sessions() as session:
        return {
            name: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (("contacts", Contact), ("messages", Message), ("cases", Case), ("audit", AuditEntry))
        }


async def test_old_chats_go_but_active_escalations_keep_their_transcript(dialog: Dialog) -> None:
    settings = dialog.app.settings
    dialog.chat_id = "old-idle"
    await dialog.say("halo")
    await dialog.app.outbox.drain_once()
    dialog.chat_id = "old-in-danger"
    await dialog.say("tolong saya disekap majikan")
    dialog.chat_id = "recent"
    await dialog.say("halo")
    age_everything(dialog, "old-idle", settings.privacy.chat_retention_days + 1)
    age_everything(dialog, "old-in-danger", settings.privacy.chat_retention_days + 1)

    with transaction(dialog.app.sessions) as session:
        report = purge(session, settings.privacy, utcnow())

    assert report.contacts == 1 and report.messages == 2  # old-idle's "halo" and the bot's answer
    with dialog.app.sessions() as session:
        remaining = set(session.scalars(select(Contact.external_id)))
        assert remaining == {"old-in-danger", "recent"}
        in_danger = session.scalars(select(Contact).where(Contact.external_id == "old-in-danger")).one()
        kept = session.scalars(select(Message.text).where(Message.contact_id == in_danger.id)).all()
        assert "tolong saya disekap majikan" in kept


async def test_closed_cases_and_old_audit_entries_expire(dialog: Dialog) -> None:
    settings = dialog.app.settings
    now = utcnow()
    long_ago = now - timedelta(days=settings.privacy.retention_days + 1)
    with transaction(dialog.app.sessions) as session:
        session.add_all([
            Case(number="KB-2024-000001", kind=CaseKind.MISSING_PERSON, status=CaseStatus.CLOSED,
                 closed_at=long_ago, details={"name": "X"}),
            Case(number="KB-2026-000002", kind=CaseKind.MISSING_PERSON, status=CaseStatus.CLOSED,
                 closed_at=now - timedelta(days=3), details={"name": "Y"}),
            Case(number="KB-2024-000003", kind=CaseKind.TRAFFICKING, status=CaseStatus.IN_REVIEW,
                 created_at=long_ago, details={}),
            AuditEntry(action="view", at=now - timedelta(days=settings.privacy.audit_retention_days + 1)),
            AuditEntry(action="view", at=now),
        ])
    with transaction(dialog.app.sessions) as session:
        report = purge(session, settings.privacy, now)
    assert (report.cases, report.audit) == (1, 1)
    with dialog.app.sessions() as session:
        numbers = set(session.scalars(select(Case.number)))
        assert numbers == {"KB-2026-000002", "KB-2024-000003"}  # open cases are never purged
    assert counts(dialog)["audit"] == 1


async def test_purge_runs_as_a_stored_daily_job(dialog: Dialog) -> None:
    scheduler = dialog.app.scheduler
    scheduler.start()
    try:
        next_run = scheduler.next_run_time("retention-purge")
        assert next_run is not None
        assert timedelta(hours=23) < next_run - utcnow() <= timedelta(hours=24)
    finally:
        await scheduler.shutdown()
