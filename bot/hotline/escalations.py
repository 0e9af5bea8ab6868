"""The hotline queue: open, find, raise, close and hand back escalations. Repository functions never commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import (
    PRIORITY_RANK,
    Case,
    Contact,
    Conversation,
    ConversationState,
    Escalation,
    EscalationStatus,
    Priority,
)

ACTIVE = (EscalationStatus.OPEN, EscalationStatus.CLAIMED)
# Session.info key: callables (session, escalation, event) the app factory registers (e.g. the
# Telegram staff group). Every caller (chat, flows) opens escalations here, so all of them notify
# the same way, inside the same transaction; event is "opened" or "raised" (priority went up).
LISTENERS = "escalation_listeners"
Listener = Callable[[Session, Escalation, str], None]


def _notify(session: Session, escalation: Escalation, event: str) -> None:
    for listener in session.info.get(LISTENERS, ()):
        listener(session, escalation, event)


def active_for(session: Session, contact: Contact) -> Escalation | None:
    return session.scalars(
        select(Escalation)
        .where(Escalation.contact_id == contact.id, Escalation.status.in_(ACTIVE))
        .order_by(Escalation.id)
        .limit(1)
    ).first()


def open_escalation(
    session: Session,
    contact: Contact,
    *,
    priority: Priority,
    reason: str,
    now: datetime,
    case_id: int | None = None,
) -> tuple[Escalation, bool]:
    """The person's active escalation (raised to `priority` if higher), or a new one. True if new."""
    existing = active_for(session, contact)
    if existing is not None:
        if PRIORITY_RANK[priority] < PRIORITY_RANK[existing.priority]:
            raise_priority(session, existing, priority, reason)
        if case_id is not None and existing.case_id is None:
            existing.case_id = case_id
        return existing, False
    escalation = Escalation(
        contact_id=contact.id, priority=priority, reason=reason[:128], opened_at=now, case_id=case_id
    )
    session.add(escalation)
    session.flush()
    _notify(session, escalation, "opened")
    return escalation, True


def raise_priority(session: Session, escalation: Escalation, priority: Priority, reason: str | None = None) -> None:
    """A waiting person's situation got worse: the queue (and the staff group) must see it."""
    escalation.priority = priority
    if reason:
        escalation.reason = reason[:128]
    if escalation.case_id is not None:
        # The case list filters by priority; a report whose person is now in danger is urgent there too.
        case = session.get(Case, escalation.case_id)
        if case is not None and PRIORITY_RANK[priority] < PRIORITY_RANK[case.priority]:
            case.priority = priority
    session.flush()
    _notify(session, escalation, "raised")


def close(escalation: Escalation, outcome: str, now: datetime, *, staff_id: int | None = None) -> None:
    """Close an escalation with its outcome: staff closing it, the person ending it, or an erasure.

    Staff who close one nobody claimed become its handler, so the export names who handled it.
    """
    escalation.status = EscalationStatus.CLOSED
    escalation.closed_at = now
    escalation.outcome = outcome
    if staff_id is not None and escalation.claimed_by is None:
        escalation.claimed_by = staff_id


def hand_to_staff(conversation: Conversation) -> None:
    """While staff handle a chat the bot stays out of it; any flow in progress ends."""
    conversation.state = ConversationState.WITH_STAFF
    conversation.flow = None
    conversation.step = None
    conversation.answers = {}


def hand_back_to_bot(conversation: Conversation) -> None:
    conversation.state = ConversationState.IDLE
    conversation.clarify_count = 0
