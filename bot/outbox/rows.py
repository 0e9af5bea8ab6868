"""The outbox rows as every sender process on one database sees them. Repository functions: they
take the session and never commit.

Order and per-chat spacing hold across processes because a row is sent only after one conditional
UPDATE claimed it (`claim`): the row must be its chat's oldest waiting one, due, unchanged since it
was read, and no row of the chat may have gone to the channel within the chat's interval. On
PostgreSQL two processes claiming the same row serialise on its row lock and the second finds it
changed; a chat's next row cannot be claimed before the previous one is finished, so two rows of
one chat are never in flight at once, whichever process sends them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Select, Table, Update, bindparam, case, exists, func, or_, select, update
from sqlalchemy.orm import Session

from bot.outbox.outgoing import Outgoing
from bot.storage.chained import in_one_statement
from bot.storage.models import Message, OutboxItem, OutboxStatus

# Rows a chat still waits on: not yet sent, or in flight.
WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# A row in flight is leased for outbox.lease_s (this by default); the sender renews the lease every
# third of it while the request runs. If the process dies, the row is in doubt and sent again once
# the lease ran out.
LEASE = timedelta(seconds=15)
# The statements below change rows the session never loaded: nothing to synchronise.
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class Head:
    """The oldest waiting row of a chat, due now."""

    message: Outgoing
    created_at: datetime
    # Found "sending" with its lease run out: the process sending it died mid-send, and the channel
    # may or may not have it. It is sent again (at least once, never lost).
    in_doubt: bool
    # Claimed by the transaction that stored it (bot.outbox.enqueue.enqueue_replies): no claim of its own.
    claimed: bool = False


def due_heads(
    session: Session, channels: Sequence[str], now: datetime, limit: int
) -> tuple[list[Head], datetime | None]:
    """The oldest waiting row of each chat when it is due now, and when the next one falls due."""
    first_of_chat = (
        select(func.min(OutboxItem.id))
        .where(OutboxItem.status.in_(WAITING), OutboxItem.channel.in_(list(channels)))
        .group_by(OutboxItem.channel, OutboxItem.chat_id)
    )
    rows = session.scalars(
        select(OutboxItem)
        .where(OutboxItem.id.in_(first_of_chat), OutboxItem.next_attempt_at <= now)
        # People's replies first, then campaign rows (bulk): a campaign never delays an answer.
        .order_by(OutboxItem.campaign_id.is_not(None), OutboxItem.id)
        .limit(limit)
    ).all()
    next_due = session.scalar(
        select(func.min(OutboxItem.next_attempt_at)).where(
            OutboxItem.id.in_(first_of_chat), OutboxItem.next_attempt_at > now
        )
    )
    return [head_of(row) for row in rows], next_due


def head_of(row: OutboxItem) -> Head:
    """A row as the sender works with it (read now: it is handed on outside the session)."""
    return Head(
        Outgoing(
            id=row.id,
            channel=row.channel,
            chat_id=row.chat_id,
            text=row.text,
            buttons=tuple((b["label"], b["payload"]) for b in row.buttons or []),
            extra=dict(row.extra or {}),
            contact_id=row.contact_id,
            attempts=row.attempts,
            campaign_id=row.campaign_id,
        ),
        created_at=row.created_at,
        in_doubt=row.status is OutboxStatus.SENDING,
    )


def chat_is_free(session: Session, channel: str, chat_id: str, since: datetime | None) -> bool:
    """No row of the chat waits or is in flight, and none went to the channel after `since` (None:
    no spacing): what `claim` asks of a chat, for a reply not yet stored (enqueue_replies)."""
    busy = OutboxItem.status.in_(WAITING)
    if since is not None:
        busy = or_(busy, OutboxItem.attempted_at > since, OutboxItem.sent_at > since)
    with session.no_autoflush:  # the turn's own rows are inserted at commit, in its one flush
        found = session.scalar(
            select(OutboxItem.id).where(OutboxItem.channel == channel, OutboxItem.chat_id == chat_id, busy).limit(1)
        )
    return found is None


def claim(session: Session, item: Outgoing, now: datetime, spacing: timedelta, lease: timedelta = LEASE) -> bool:
    """Mark the row "sending" (attempt time now, leased) if it may go to the channel now."""
    spaced = spacing > timedelta(0)
    params = {
        "b_id": item.id, "b_channel": item.channel, "b_chat": item.chat_id, "b_attempts": item.attempts,
        "b_tries": item.attempts + 1, "b_now": now, "b_until": now + lease,
    }
    if spaced:
        params["b_since"] = now - spacing
    result = session.execute(_claim_statement(spaced), params)
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


@functools.cache
def _claim_statement(spaced: bool) -> Update:
    """The claim's UPDATE, built once (per send it only takes parameters: no SQL built or compiled)."""
    row = _outbox()
    other = row.alias("other")
    same_chat = (other.c.channel == bindparam("b_channel"), other.c.chat_id == bindparam("b_chat"))
    conditions = [
        row.c.id == bindparam("b_id"),
        row.c.status.in_(WAITING),
        row.c.attempts == bindparam("b_attempts"),
        row.c.next_attempt_at <= bindparam("b_now"),
        # The chat waits behind its oldest row, even while that row waits for a retry.
        ~exists().where(*same_chat, other.c.id < bindparam("b_id"), other.c.status.in_(WAITING)),
    ]
    if spaced:
        # Measured from when the chat's last request began and, when it was accepted, from when
        # the channel answered: the previous message has surely arrived a full interval before.
        recent = or_(other.c.attempted_at > bindparam("b_since"), other.c.sent_at > bindparam("b_since"))
        conditions.append(~exists().where(*same_chat, other.c.id != bindparam("b_id"), recent))
    return (
        update(row)
        .where(*conditions)
        .values(
            status=OutboxStatus.SENDING,
            attempts=bindparam("b_tries"),
            attempted_at=bindparam("b_now"),
            next_attempt_at=bindparam("b_until"),
        )
    )


def _outbox() -> Table:
    return cast(Table, OutboxItem.__table__)


def _in_flight(item: Outgoing) -> tuple[Any, ...]:
    """The row as `claim` left it for this send (item.attempts counts the claimed try)."""
    return (
        OutboxItem.id == item.id,
        OutboxItem.status == OutboxStatus.SENDING,
        OutboxItem.attempts == item.attempts,
    )


def extend_lease(session: Session, item: Outgoing, now: datetime, lease: timedelta = LEASE) -> bool:
    """The send is still running: keep the row leased. False when the lease was lost meanwhile."""
    result = session.execute(
        update(OutboxItem).where(*_in_flight(item)).values(next_attempt_at=now + lease).execution_options(**_NO_SYNC)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def defer(session: Session, item: Outgoing, until: datetime) -> bool:
    """An unclaimed row is not due before `until` (its channel paused after a 429), in every process."""
    result = session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.id == item.id,
            OutboxItem.status == OutboxStatus.PENDING,
            OutboxItem.attempts == item.attempts,
            OutboxItem.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
        .execution_options(**_NO_SYNC)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def back_to_pending(
    session: Session,
    item: Outgoing,
    *,
    due: datetime,
    error: str | None,
    give_back_try: bool,
    failed: bool,
    progress: Mapping[str, Any],
) -> bool:
    """The send failed and will be retried at `due`. False when the lease was lost meanwhile."""
    values: dict[str, Any] = {"status": OutboxStatus.PENDING, "next_attempt_at": due}
    if error is not None:  # None: not a failure (a claim given back unsent)
        values["last_error"] = error[:2000]
    if give_back_try:
        values["attempts"] = item.attempts - 1
    if failed:
        values["failures"] = OutboxItem.failures + 1
    if progress:
        # Only the sending process writes a row in flight, so what it read is still the row's extra.
        values["extra"] = {**item.extra, **progress}
    result = session.execute(update(OutboxItem).where(*_in_flight(item)).values(**values).execution_options(**_NO_SYNC))
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def failures(session: Session, item: Outgoing) -> int:
    return int(session.scalar(select(OutboxItem.failures).where(OutboxItem.id == item.id)) or 0)


def finish(
    session: Session | Connection,
    item: Outgoing,
    status: OutboxStatus,
    now: datetime,
    *,
    error: str | None = None,
    provider_id: str | None = None,
    progress: Mapping[str, Any] | None = None,
    failed: bool = False,
) -> bool:
    """Record the outcome (sent, held, dead) on the row and its transcript message. False: erased."""
    sent = status is OutboxStatus.SENT
    params: dict[str, Any] = {"b_id": item.id, "b_status": status, "b_provider": provider_id, "b_now": now}
    if error:
        params["b_error"] = error[:2000]
    if progress:
        params["b_extra"] = {**item.extra, **progress}
    shape = (sent, failed, bool(error), bool(progress), bool(provider_id))
    params["b_delivery"] = status.value
    if in_one_statement(session):
        # Both UPDATEs in one statement (one round trip on every send): see _finish_together.
        return bool(session.execute(_finish_together(*shape), params).scalar_one())
    row, transcript = _finish_statements(*shape)
    if session.execute(row, params).rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.execute(transcript, params)
    return True


def _finish_parts(
    sent: bool, failed: bool, error: bool, progress: bool, provider: bool
) -> tuple[Update, dict[str, Any]]:
    """finish's UPDATE of the outbox row, and the values it sets on the transcript line."""
    row = _outbox()
    values: dict[str, Any] = {"status": bindparam("b_status"), "provider_message_id": bindparam("b_provider")}
    if failed:
        values["failures"] = row.c.failures + 1
    where: list[Any] = [row.c.id == bindparam("b_id")]
    if sent:
        values["sent_at"] = bindparam("b_now")
    else:
        where.append(row.c.status.in_(WAITING))  # never undo "sent" written by another process
    if error:
        values["last_error"] = bindparam("b_error")
    if progress:
        values["extra"] = bindparam("b_extra")
    messages = cast(Table, Message.__table__)
    transcript: dict[str, Any] = {}
    if sent:
        # A delivery receipt (WhatsApp "delivered"/"read") may already have arrived: keep it.
        status = messages.c.delivery_status
        early = or_(status.is_(None), status.in_(("queued", "pending")))
        transcript["delivery_status"] = case((early, OutboxStatus.SENT.value), else_=status)
    else:
        transcript["delivery_status"] = bindparam("b_delivery")
    if provider:
        # The provider's id, unless another message of the channel already has it (the column is
        # unique for de-duplicating what people send). Telegram and Twilio never reuse an id, but if
        # one did, failing here would leave the row "sending" and send it again after every lease.
        other = messages.alias("other")
        taken = exists().where(
            other.c.channel == messages.c.channel,
            other.c.channel_message_id == bindparam("b_provider"),
            other.c.id != messages.c.id,
        )
        transcript["channel_message_id"] = case((taken, messages.c.channel_message_id), else_=bindparam("b_provider"))
    return update(row).where(*where).values(**values), transcript


@functools.cache
def _finish_statements(
    sent: bool, failed: bool, error: bool, progress: bool, provider: bool
) -> tuple[Update, Update]:
    """finish's two UPDATEs for one shape of outcome, built once (like the claim's)."""
    row_update, transcript = _finish_parts(sent, failed, error, progress, provider)
    row = _outbox()
    messages = cast(Table, Message.__table__)
    message_id = select(row.c.message_id).where(row.c.id == bindparam("b_id")).scalar_subquery()
    return row_update, update(messages).where(messages.c.id == message_id).values(**transcript)


@functools.cache
def _finish_together(
    sent: bool, failed: bool, error: bool, progress: bool, provider: bool
) -> Select[tuple[int]]:
    """finish's two UPDATEs as one PostgreSQL statement, answering how many outbox rows it found:

        WITH outbox_row AS (UPDATE outbox ... RETURNING message_id),
             transcript_line AS (UPDATE messages ... WHERE id IN (SELECT message_id FROM outbox_row))
        SELECT count(*) FROM outbox_row
    """
    row_update, transcript = _finish_parts(sent, failed, error, progress, provider)
    row = row_update.returning(_outbox().c.message_id).cte("outbox_row")
    messages = cast(Table, Message.__table__)
    line = (
        update(messages)
        .where(messages.c.id.in_(select(row.c.message_id)))
        .values(**transcript)
        .returning(messages.c.id)
        .cte("transcript_line")
    )
    return select(func.count()).select_from(row).add_cte(line)


def retry_channel_now(session: Session, channel: str, now: datetime) -> int:
    """The channel answers again after failing: rows waiting out a retry delay are due now.

    Only rows that were tried and failed (attempts > 0, an error recorded); rows queued for later
    keep their time.
    """
    result = session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.channel == channel,
            OutboxItem.status == OutboxStatus.PENDING,
            OutboxItem.next_attempt_at > now,
            OutboxItem.attempts > 0,
            OutboxItem.last_error.is_not(None),
        )
        .values(next_attempt_at=now)
        .execution_options(**_NO_SYNC)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
