"""Retention (UU PDP 27/2022): personal data is deleted when config.yml's privacy periods end."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.config import PrivacySettings
from bot.storage.db import transaction
from bot.storage.models import (
    AuditEntry,
    Case,
    CaseStatus,
    Contact,
    Escalation,
    EscalationNote,
    EscalationStatus,
    Message,
    OutboxItem,
    OutboxStatus,
)

log = logging.getLogger(__name__)
JOB_NAME = "retention-purge"
DAILY_S = 24 * 3600


@dataclass(frozen=True)
class PurgeReport:
    cases: int
    escalations: int
    messages: int
    outbox: int
    contacts: int
    audit: int


def purge(session: Session, privacy: PrivacySettings, now: datetime) -> PurgeReport:
    """Delete what is past its retention period. Open cases and active escalations keep their chats."""
    case_cutoff = now - timedelta(days=privacy.retention_days)
    chat_cutoff = now - timedelta(days=privacy.chat_retention_days)
    audit_cutoff = now - timedelta(days=privacy.audit_retention_days)

    cases = session.execute(
        delete(Case).where(Case.status == CaseStatus.CLOSED, Case.closed_at < case_cutoff)
    ).rowcount
    old_escalations = select(Escalation.id).where(
        Escalation.status == EscalationStatus.CLOSED, Escalation.closed_at < case_cutoff
    )
    session.execute(delete(EscalationNote).where(EscalationNote.escalation_id.in_(old_escalations)))
    escalations = session.execute(
        delete(Escalation).where(Escalation.id.in_(old_escalations.scalar_subquery()))
    ).rowcount

    # A person whose report or escalation is still being worked on keeps the transcript staff need.
    in_use = exists().where(Case.contact_id == Message.contact_id, Case.status != CaseStatus.CLOSED).correlate(
        Message
    ) | exists().where(
        Escalation.contact_id == Message.contact_id, Escalation.status != EscalationStatus.CLOSED
    ).correlate(Message)
    messages = session.execute(
        delete(Message).where(Message.created_at < chat_cutoff, ~in_use).execution_options(synchronize_session=False)
    ).rowcount
    outbox = session.execute(
        delete(OutboxItem).where(
            OutboxItem.created_at < chat_cutoff,
            OutboxItem.status.in_([OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.HELD]),
        )
    ).rowcount

    # Where someone said they were is personal data like their messages: kept as long as a chat.
    session.execute(
        update(Contact).where(Contact.place_at < chat_cutoff).values(place_country=None, place_city=None, place_at=None)
    )
    idle_contacts = select(Contact.id).where(
        (Contact.last_inbound_at < chat_cutoff) | (Contact.last_inbound_at.is_(None) & (Contact.created_at < chat_cutoff)),
        ~exists().where(Message.contact_id == Contact.id),
        ~exists().where(Case.contact_id == Contact.id),
        ~exists().where(Escalation.contact_id == Contact.id),
    )
    contacts = session.execute(
        delete(Contact).where(Contact.id.in_(idle_contacts.scalar_subquery())).execution_options(
            synchronize_session=False
        )
    ).rowcount
    audit = session.execute(delete(AuditEntry).where(AuditEntry.at < audit_cutoff)).rowcount
    report = PurgeReport(cases, escalations, messages, outbox, contacts, audit)
    log.info(
        "retention.purged cases=%d escalations=%d messages=%d outbox=%d contacts=%d audit=%d",
        cases, escalations, messages, outbox, contacts, audit,
    )
    return report


def run_purge(sessions: sessionmaker[Session], privacy: PrivacySettings, clock: Callable[[], datetime]) -> None:
    """The daily job (the job store remembers the schedule across restarts): one purge, one transaction."""
    with transaction(sessions) as session:
        purge(session, privacy, clock())
