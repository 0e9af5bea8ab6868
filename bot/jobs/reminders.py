"""Abandoned guided flows: reminded once after flows.remind_after_minutes, closed after close_after_minutes.

The reminder repeats the buttons the person saw last, so a typed "2" still means what it meant.
Closing is silent: it comes a day later, when a WhatsApp message could not be delivered anyway
(the 24-hour window), and the reminder already said the answers would not be kept.

Both changes are conditional UPDATEs on the activity time that was read, so a person answering
at the same moment wins: their newer message makes the update match nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.answers.texts import Texts
from bot.chat.inbound import Button, Reply
from bot.config import Settings
from bot.outbox.enqueue import enqueue
from bot.storage.db import transaction
from bot.storage.models import Contact, Conversation, ConversationState

log = logging.getLogger(__name__)
JOB_NAME = "flow_reminders"
# Flows whose questions are optional and whose answers are kept as given (subscribing: the person is
# subscribed already): a reminder would only nag, and its text speaks of answers being lost.
NOT_REMINDED = frozenset({"subscription"})


@dataclass(frozen=True)
class SweepResult:
    reminded: int
    closed: int


def remind_abandoned(sessions: sessionmaker[Session], settings: Settings, texts: Texts, now: datetime) -> SweepResult:
    """Remind idle flows once, close the ones idle for too long; one transaction."""
    remind_before = now - timedelta(minutes=settings.flows.remind_after_minutes)
    close_before = now - timedelta(minutes=settings.flows.close_after_minutes)
    reminded = closed = 0
    with transaction(sessions) as session:
        idle = session.execute(
            select(Conversation, Contact)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Conversation.state == ConversationState.IN_FLOW, Conversation.last_activity_at <= remind_before)
            .order_by(Conversation.id)
        ).all()
        for conversation, contact in idle:
            seen = conversation.last_activity_at
            if seen <= close_before:
                closed += _close(session, conversation, seen)
            elif conversation.flow in NOT_REMINDED:
                continue
            elif conversation.reminded_at is None or conversation.reminded_at < seen:
                reminded += _remind(session, conversation, contact, seen, now, texts, settings)
    if reminded or closed:
        log.info("flows.swept reminded=%d closed=%d", reminded, closed)
    return SweepResult(reminded, closed)


def _still_idle(conversation: Conversation, seen: datetime):  # type: ignore[no-untyped-def]
    return (
        (Conversation.id == conversation.id)
        & (Conversation.state == ConversationState.IN_FLOW)
        & (Conversation.last_activity_at == seen)
    )


def _remind(
    session: Session, conversation: Conversation, contact: Contact, seen: datetime, now: datetime,
    texts: Texts, settings: Settings,
) -> int:
    result = session.execute(
        update(Conversation)
        .where(_still_idle(conversation, seen), or_(Conversation.reminded_at.is_(None), Conversation.reminded_at < seen))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return 0
    lang = contact.language or settings.default_language
    buttons = tuple(Button(str(b["label"]), str(b["payload"])) for b in (conversation.offered or []))
    enqueue(session, contact, Reply(texts.get("flow_reminder", lang), buttons))
    log.info("flows.reminded contact=%s flow=%s step=%s", contact.id, conversation.flow, conversation.step)
    return 1


def _close(session: Session, conversation: Conversation, seen: datetime) -> int:
    result = session.execute(
        update(Conversation)
        .where(_still_idle(conversation, seen))
        .values(state=ConversationState.IDLE, flow=None, step=None, answers={}, offered=[])
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        log.info("flows.closed contact=%s flow=%s step=%s", conversation.contact_id, conversation.flow, conversation.step)
    return int(result.rowcount == 1)


def run_sweep(
    sessions: sessionmaker[Session], settings: Settings, texts: Texts, clock: Callable[[], datetime]
) -> bool:
    """The periodic job; True when reminders were queued."""
    return remind_abandoned(sessions, settings, texts, clock()).reminded > 0
