"""The hotline queue: open, find, raise, close and hand back escalations. Repository functions never commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answers.texts import Texts
from bot.hotline import audit
from bot.hotline.labels import OUTCOMES
from bot.storage.models import (
    PRIORITY_RANK,
    Case,
    Contact,
    Conversation,
    ConversationState,
    Escalation,
    EscalationNote,
    EscalationStatus,
    Priority,
)

ACTIVE = (EscalationStatus.OPEN, EscalationStatus.CLAIMED)
# Session.info key: callables (session, escalation, event) the app factory registers (e.g. the
# Telegram staff group). Every caller (chat, flows) opens escalations here, so all of them notify
# the same way, inside the same transaction; event is "opened", "raised" (priority went up),
# "reopened" (the person wrote back after staff closed it) or "returned" (they asked the bot a plain
# question after the close: the bot answered, staff get a note).
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


def recently_closed(session: Session, contact: Contact, now: datetime, within: timedelta) -> Escalation | None:
    """The person's latest escalation when staff closed it less than `within` ago.

    Only a close by staff counts: an escalation the person ended themselves, or erased, stays closed,
    and so does an older one behind it. One query: dispatch asks this for every message to the bot.
    """
    if within <= timedelta(0):
        return None
    latest = session.scalars(
        select(Escalation).where(Escalation.contact_id == contact.id).order_by(Escalation.id.desc()).limit(1)
    ).first()
    if (
        latest is None
        or latest.status is not EscalationStatus.CLOSED
        or latest.outcome not in OUTCOMES
        or latest.closed_at is None
        or latest.closed_at < now - within
    ):
        return None
    return latest


def closed_lately(session: Session, contact: Contact, now: datetime, *, within: timedelta) -> bool:
    """Dispatch's question (bot.chat.dispatch.ClosedLately): should this person's next message go back to staff?"""
    return recently_closed(session, contact, now, within) is not None


def reopen(session: Session, escalation: Escalation, now: datetime) -> None:
    """The person wrote back after staff closed it: the same escalation waits in the queue again.

    It waits from now (the queue and the SLA count from opened_at); the audit log keeps the close.
    """
    audit.record(
        session, "reopen", staff_id=None, now=now, target_type="escalation", target_id=escalation.id,
        closed_at=escalation.closed_at.isoformat() if escalation.closed_at else None,
        outcome=escalation.outcome, claimed_by=escalation.claimed_by, opened_at=escalation.opened_at.isoformat(),
    )
    escalation.status = EscalationStatus.OPEN
    escalation.opened_at = now
    escalation.closed_at = None
    escalation.outcome = None
    escalation.claimed_by = None
    escalation.claimed_at = None
    escalation.alert_level = 0
    escalation.reply_overdue = False
    session.flush()
    _notify(session, escalation, "reopened")


def note_return(session: Session, escalation: Escalation, text: str, now: datetime) -> EscalationNote:
    """Tell staff on a closed escalation that the person came back and the bot answered them."""
    note = EscalationNote(escalation_id=escalation.id, staff_id=None, text=text, created_at=now)
    session.add(note)
    session.flush()
    _notify(session, escalation, "returned")
    return note


def case_number(session: Session, escalation: Escalation) -> str | None:
    return session.scalar(select(Case.number).where(Case.id == escalation.case_id)) if escalation.case_id else None


def reference(session: Session, texts: Texts, escalation: Escalation, lang: str) -> str:
    """How the person is told which conversation this is: their report's number, else the queue number staff see."""
    number = case_number(session, escalation)
    if number:
        return texts.get("escalation_ref_case", lang, number=number)
    return texts.get("escalation_ref_chat", lang, id=escalation.id)
