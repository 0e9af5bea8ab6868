"""Erasing a person's data on their request (UU PDP 27/2022): transcript, report details, preferences."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.campaigns import subscribers
from bot.hotline import escalations
from bot.storage import people
from bot.storage.models import (
    AuditEntry,
    Case,
    CaseChange,
    CaseNote,
    CaseStatus,
    Contact,
    Conversation,
    Message,
    OutboxItem,
    OutboxStatus,
)

log = logging.getLogger(__name__)
ERASED_OUTCOME = "erased_on_request"


def erase_person(session: Session, contact: Contact, conversation: Conversation, now: datetime) -> None:
    """Erase transcript, report details and preferences; keep only anonymous case numbers.

    Anything to tell the person must be said (in their language) before this runs: the language goes too.
    """
    # Campaign messages not yet sent are withdrawn as for an opt-out (counted skipped), then go
    # with the rest: an unsent row holds the person's chat id.
    subscribers.opt_out(session, contact)
    session.execute(delete(OutboxItem).where(
        OutboxItem.contact_id == contact.id,
        OutboxItem.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.CANCELLED]),
    ))
    session.execute(delete(Message).where(Message.contact_id == contact.id))
    for case in session.scalars(select(Case).where(Case.contact_id == contact.id)):
        # Staff keep the case number and status for their records, nothing about the people.
        case.details = {"erased": True}
        case.search_text = case.number.lower()
        case.contact_id = None
        # Edits and notes repeat what the report said; referrals keep only the agency's side.
        session.execute(delete(CaseChange).where(CaseChange.case_id == case.id))
        session.execute(delete(CaseNote).where(CaseNote.case_id == case.id))
        if case.status is not CaseStatus.CLOSED:
            case.status = CaseStatus.CLOSED
            case.closed_at = now
    escalation = escalations.active_for(session, contact)
    if escalation is not None:
        escalations.close(escalation, ERASED_OUTCOME, now)
    contact.display_name = None
    contact.language = None
    contact.consent_at = None
    contact.sub_regency = contact.sub_country = None
    contact.sub_topics = []
    contact.place_country = contact.place_city = contact.place_at = None
    people.leave_flow(conversation)
    escalations.hand_back_to_bot(conversation)
    session.add(AuditEntry(action="erase_on_request", target_type="contact", target_id=contact.id, at=now))
    log.info("privacy.erased contact=%s", contact.id)
