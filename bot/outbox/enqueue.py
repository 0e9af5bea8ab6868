"""The outbox: every reply is stored (in the message's own transaction) before it is sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.chat.inbound import Reply
from bot.outbox.outgoing import Outgoing
from bot.outbox.rows import Head
from bot.storage import people
from bot.storage.chained import Link, insert_chain
from bot.storage.models import (
    Contact,
    Conversation,
    Direction,
    Message,
    OutboxItem,
    OutboxStatus,
    utcnow,
)

# A reply's transcript line and its outbox row (enqueue_replies): one statement on PostgreSQL.
_LINE_AND_ROW = (Link("line", Message), Link("row", OutboxItem, refs=(("message_id", "line"),)))
_LINE_ROW_AND_CONVERSATION = (*_LINE_AND_ROW, Link("conversation", Conversation))


def enqueue(
    session: Session,
    contact: Contact,
    reply: Reply,
    *,
    author: str = "bot",
    extra: dict | None = None,
    campaign_id: int | None = None,
    at: datetime | None = None,
) -> OutboxItem:
    """Store a reply for `contact` as transcript message + outbox row; the sender delivers it.

    Not flushed here: every reply of a turn is inserted in the one flush at commit (the row's id
    exists from then on). `campaign_id` marks a campaign's message (sent after replies, never twice);
    `at` is the caller's clock (due from then).
    """
    message = Message(
        contact_id=contact.id,
        direction=Direction.OUT,
        channel=contact.channel,
        kind="text",
        text=reply.text,
        author=author,
        delivery_status="queued",
    )
    if at is not None:
        message.created_at = at
    session.add(message)
    item = OutboxItem(
        contact_id=contact.id,
        message=message,  # the next flush inserts both
        channel=contact.channel,
        chat_id=contact.external_id,
        text=reply.text,
        buttons=[{"label": b.label, "payload": b.payload} for b in reply.buttons],
        extra=dict(extra or {}),
        campaign_id=campaign_id,
    )
    if at is not None:
        item.created_at = item.next_attempt_at = at
    session.add(item)
    return item


def enqueue_raw(
    session: Session, channel: str, chat_id: str, reply: Reply, *, extra: dict | None = None
) -> OutboxItem:
    """A message to a chat that is not a contact (e.g. the Telegram staff group)."""
    item = OutboxItem(
        channel=channel,
        chat_id=chat_id,
        text=reply.text,
        buttons=[{"label": b.label, "payload": b.payload} for b in reply.buttons],
        extra=dict(extra or {}),
    )
    session.add(item)
    session.flush()
    return item


@dataclass(frozen=True)
class Claim:
    """The first reply of a turn is stored already claimed (bot.outbox.sender.OutboxWorker.sendable_now)."""

    at: datetime
    lease: timedelta


def enqueue_replies(
    session: Session,
    contact: Contact,
    conversation: Conversation,
    replies: Sequence[Reply],
    *,
    claim: Claim | None = None,
) -> list[Head]:
    """A turn's replies to the person who wrote, as `enqueue` stores them (transcript line + outbox
    row each), but written with plain INSERTs: every message's turn does this, and the unit of work
    costs several times as much. Each reply is one statement on PostgreSQL (bot.storage.chained),
    and a new person's conversation, still unwritten, goes with the first. The first reply is
    claimed when `claim` says so. Returns them as the sender takes them."""
    heads: list[Head] = []
    if not replies:
        people.write_pending(session)
        people.save_conversation(session, conversation)
    for index, reply in enumerate(replies):
        now = utcnow()
        line = {
            "contact_id": contact.id, "direction": Direction.OUT, "channel": contact.channel,
            "channel_message_id": None, "kind": "text", "text": reply.text, "media": [], "intent": None,
            "confidence": None, "urgent": False, "route": None, "author": "bot", "delivery_status": "queued",
            "created_at": now,
        }
        buttons = [{"label": b.label, "payload": b.payload} for b in reply.buttons]
        claimed = claim is not None and index == 0
        row: dict[str, Any] = {
            "contact_id": contact.id, "channel": contact.channel,
            "chat_id": contact.external_id, "text": reply.text, "buttons": buttons, "extra": {},
            "status": OutboxStatus.PENDING, "attempts": 0, "failures": 0, "next_attempt_at": now,
            "attempted_at": None, "created_at": now, "campaign_id": None,
        }
        if claimed:
            assert claim is not None
            # As rows.claim leaves a row: in flight, leased, its first try counted.
            row.update(status=OutboxStatus.SENDING, attempts=1, attempted_at=claim.at, next_attempt_at=claim.at + claim.lease)
        # The first reply's statement also writes the turn's message, and a new person with it, when
        # nothing wrote them yet (people.add_message), and a new person's conversation.
        pending = people.take_pending(session) if index == 0 else None
        first, rows = pending.links() if pending is not None else ((), {})
        unsaved = people.unsaved_conversation(conversation) if index == 0 else None
        chain = (*first, *(_LINE_AND_ROW if unsaved is None else _LINE_ROW_AND_CONVERSATION))
        ids = insert_chain(
            session, chain, {**rows, "line": line, "row": row, **({} if unsaved is None else {"conversation": unsaved})}
        )
        item_id = ids[len(first) + 1]
        if unsaved is not None:
            people.conversation_saved(session, conversation, ids[-1])
        outgoing = Outgoing(
            id=item_id, channel=contact.channel, chat_id=contact.external_id, text=reply.text,
            buttons=tuple((b["label"], b["payload"]) for b in buttons), extra={}, contact_id=contact.id,
            attempts=row["attempts"], campaign_id=None,
        )
        heads.append(Head(outgoing, created_at=now, in_doubt=False, claimed=claimed))
    return heads
