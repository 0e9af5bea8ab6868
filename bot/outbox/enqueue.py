"""The outbox: every reply is stored (in the message's own transaction) before it is sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.chat.inbound import Reply
from bot.storage.models import Contact, Direction, Message, OutboxItem, utcnow


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
        # Set, though empty: the columns of a person's message too (bot.storage.people), so on
        # PostgreSQL the turn's message and replies are one INSERT.
        channel_message_id=None,
        media=[],
        intent=None,
        confidence=None,
        urgent=False,
        route=None,
        created_at=at or utcnow(),
    )
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
