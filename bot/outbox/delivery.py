"""What happens to stored replies after they were queued: delivery reports, held rows released,
and what a chat was sent. Repository functions: they take the session and never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Direction, Message, OutboxItem, OutboxStatus

log = logging.getLogger(__name__)

# Keys of OutboxItem.extra that the channels' senders and these functions both read.
# The channel reported that its reply window had closed: send the way a closed window needs.
WINDOW_CLOSED = "window_closed"
# A pre-approved template (WhatsApp's Content SID): it goes out whatever the window says.
TEMPLATE = "content_sid"
# A campaign row's approved template and its variables (JSON), for when the window has closed
# before the row's turn: sent instead of the text (bot/campaigns/sending.py queues them).
CAMPAIGN_TEMPLATE = "campaign_template"
CAMPAIGN_TEMPLATE_VARS = "campaign_template_vars"
# When the sender asked the person to write first (the reopening template), as ISO time.
REOPEN_SENT_AT = "reopen_sent_at"

# Delivery statuses (the providers' words plus our own), in the order a message goes through
# them. A report never moves a message backwards: reports can arrive out of order.
STATUS_RANK: dict[str | None, int] = {
    None: 0,
    "queued": 0,
    "pending": 0,
    "accepted": 1,
    "scheduled": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
    "held": 6,
    "dead": 6,
    "failed": 6,
    "undelivered": 6,
    "canceled": 6,
}


def record_delivery(
    session: Session,
    channel: str,
    provider_message_id: str,
    status: str,
    now: datetime,
    *,
    undelivered: str | None = None,
    window_closed: bool = False,
) -> bool:
    """Apply one delivery report; False when no message has this provider id (yet).

    `undelivered` (why, in the operator's words) says a sent message never arrived: it is marked
    dead, unless `window_closed` says the channel refused it only because its reply window had
    closed: then it is queued again, marked so the sender treats the window as closed.
    """
    item = session.scalars(
        select(OutboxItem).where(OutboxItem.channel == channel, OutboxItem.provider_message_id == provider_message_id)
    ).first()
    message = session.get(Message, item.message_id) if item is not None and item.message_id else None
    if message is None:
        message = session.scalars(
            select(Message).where(
                Message.channel == channel,
                Message.channel_message_id == provider_message_id,
                Message.direction == Direction.OUT,
            )
        ).first()
    if item is None and message is None:
        return False
    if message is not None and STATUS_RANK.get(status, 0) > STATUS_RANK.get(message.delivery_status, 0):
        message.delivery_status = status
    if undelivered is not None and item is not None and item.status is OutboxStatus.SENT:
        _undelivered(item, undelivered, window_closed, now)
    return True


def _undelivered(item: OutboxItem, reason: str, window_closed: bool, now: datetime) -> None:
    item.last_error = reason
    if window_closed and TEMPLATE not in (item.extra or {}):
        # The window had closed after all: send it again the way a closed window needs.
        item.status = OutboxStatus.PENDING
        item.next_attempt_at = now
        item.extra = {**(item.extra or {}), WINDOW_CLOSED: True}
        log.warning(
            "outbox.window_closed id=%s channel=%s provider_id=%s: queued again",
            item.id,
            item.channel,
            item.provider_message_id,
        )
        return
    item.status = OutboxStatus.DEAD
    log.error(
        "outbox.undelivered id=%s channel=%s chat=%s provider_id=%s reason=%s: operator action needed",
        item.id,
        item.channel,
        item.chat_id,
        item.provider_message_id,
        reason,
    )


def release_held(session: Session, channel: str, chat_id: str, now: datetime) -> int:
    """The person wrote, so the window is open again: rows held for it are due now, oldest first."""
    rows = session.scalars(
        select(OutboxItem).where(
            OutboxItem.channel == channel,
            OutboxItem.chat_id == chat_id,
            OutboxItem.status == OutboxStatus.HELD,
            # A campaign message held outside the window was skipped: it does not follow later.
            OutboxItem.campaign_id.is_(None),
        )
    ).all()
    for row in rows:
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = now
        row.extra = {k: v for k, v in (row.extra or {}).items() if k != WINDOW_CLOSED}
    return len(rows)


def reopening_sent_since(session: Session, channel: str, chat_id: str, since: datetime | None) -> bool:
    """Did this chat get a reopening template after the person's last message? (One is enough.)"""
    rows = session.scalars(
        select(OutboxItem)
        .where(OutboxItem.channel == channel, OutboxItem.chat_id == chat_id)
        .order_by(OutboxItem.id.desc())
        .limit(50)
    )
    for row in rows:
        extra = row.extra or {}
        if REOPEN_SENT_AT in extra:
            sent_at = datetime.fromisoformat(str(extra[REOPEN_SENT_AT]))
        elif TEMPLATE in extra and row.status is OutboxStatus.SENT and row.sent_at is not None:
            sent_at = row.sent_at
        else:
            continue
        if since is None or sent_at > since:
            return True
    return False


def recent_button_payloads(session: Session, channel: str, chat_id: str, *, limit: int = 200) -> list[str]:
    """The payloads of the buttons this chat was sent lately, newest message first."""
    payloads: list[str] = []
    for buttons in session.scalars(
        select(OutboxItem.buttons)
        .where(OutboxItem.channel == channel, OutboxItem.chat_id == chat_id)
        .order_by(OutboxItem.id.desc())
        .limit(limit)
    ):
        payloads += [str(button["payload"]) for button in buttons or []]
    return payloads
