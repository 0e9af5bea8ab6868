"""A campaign's life: created (console, command line, the weekly tip), cancelled, and counted.

Repository functions: they take the session and never commit. Sending is bot/campaigns/sending.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from bot.campaigns.audience import check_segment
from bot.outbox.sender import IN_DOUBT
from bot.storage.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    Direction,
    Message,
    OutboxItem,
    OutboxStatus,
)

# Why a recipient got nothing (CampaignRecipient.skipped, and what the counts call it).
WINDOW = "window"  # WhatsApp, more than 24 hours since they wrote, and no approved template
CANCELLED = "cancelled"  # the campaign was cancelled before their turn
# A reply counts for the campaign when the person writes within this time after it was sent.
REPLY_WINDOW = timedelta(hours=48)
MAX_TEXT = 3500
_NO_SYNC = {"synchronize_session": False}


class CampaignError(ValueError):
    """A campaign that cannot be created or changed as asked (said in one sentence)."""


@dataclass(frozen=True)
class Draft:
    title: str
    text_id: str
    text_en: str | None = None
    segment: Mapping[str, str] = field(default_factory=dict)
    send_at: datetime | None = None  # None: now
    content_item: str | None = None
    wa_template_sid: str | None = None
    wa_template_vars: Mapping[str, str] = field(default_factory=dict)
    origin: str = "console"
    created_by: int | None = None
    dedupe_key: str | None = None


def create(session: Session, draft: Draft, now: datetime) -> Campaign:
    """Store a campaign; the sending job queues its recipients once send_at has come."""
    text_id = (draft.text_id or "").strip()
    text_en = (draft.text_en or "").strip() or None
    if not text_id:
        raise CampaignError("the message in Bahasa Indonesia is empty")
    if len(text_id) > MAX_TEXT or (text_en and len(text_en) > MAX_TEXT):
        raise CampaignError(f"a campaign message may have at most {MAX_TEXT} characters")
    check_segment(draft.segment)
    sid = (draft.wa_template_sid or "").strip() or None
    if sid is not None and not (sid.startswith("HX") and len(sid) == 34):
        raise CampaignError("a WhatsApp template is its Content SID: HX followed by 32 characters")
    campaign = Campaign(
        title=(draft.title or text_id.splitlines()[0])[:120],
        text_id=text_id,
        text_en=text_en,
        content_item=draft.content_item,
        segment=dict(draft.segment),
        status=CampaignStatus.SCHEDULED,
        send_at=draft.send_at or now,
        wa_template_sid=sid,
        wa_template_vars={str(k): str(v) for k, v in draft.wa_template_vars.items()},
        origin=draft.origin,
        created_by=draft.created_by,
        dedupe_key=draft.dedupe_key,
        created_at=now,
    )
    session.add(campaign)
    session.flush()
    return campaign


def cancel(session: Session, campaign: Campaign, now: datetime) -> int:
    """Stop a scheduled or sending campaign: messages not yet on their way are withdrawn
    (counted as skipped, cancelled). Messages already in flight finish. Returns how many."""
    if campaign.status in (CampaignStatus.DONE, CampaignStatus.CANCELLED):
        raise CampaignError(f"campaign {campaign.id} has already {'finished' if campaign.status is CampaignStatus.DONE else 'been cancelled'}")
    campaign.status = CampaignStatus.CANCELLED
    campaign.cancelled_at = now
    result = session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.campaign_id == campaign.id,
            OutboxItem.status.in_((OutboxStatus.PENDING, OutboxStatus.HELD)),
        )
        .values(status=OutboxStatus.CANCELLED, last_error="the campaign was cancelled")
        .execution_options(**_NO_SYNC)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass
class Counts:
    """Where a campaign's recipients are. `sent` includes `delivered`; `failed` includes `in_doubt`."""

    status: str
    audience: int | None
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    in_doubt: int = 0
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    replies: int = 0  # recipients who wrote within 48 hours of it

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def counts(session: Session, campaign: Campaign) -> Counts:
    in_doubt = case((OutboxItem.last_error.like(IN_DOUBT + "%"), True), else_=False)
    rows = session.execute(
        select(
            CampaignRecipient.skipped, OutboxItem.status, OutboxItem.channel, Message.delivery_status,
            in_doubt, func.count(),
        )
        .select_from(CampaignRecipient)
        .outerjoin(OutboxItem, OutboxItem.id == CampaignRecipient.outbox_id)
        .outerjoin(Message, Message.id == OutboxItem.message_id)
        .where(CampaignRecipient.campaign_id == campaign.id)
        .group_by(CampaignRecipient.skipped, OutboxItem.status, OutboxItem.channel, Message.delivery_status, in_doubt)
    ).all()
    result = Counts(status=campaign.status.value, audience=campaign.audience)
    reasons: Counter[str] = Counter()
    for skipped, status, channel, delivery_status, doubtful, n in rows:
        if skipped is not None:
            reasons[skipped] += n
        elif status is None or status is OutboxStatus.SENT:
            # No row any more (retention keeps recipients longer than sent outbox rows): it was sent.
            result.sent += n
            if channel == "telegram" or delivery_status in ("delivered", "read"):
                result.delivered += n
        elif status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            result.queued += n
        elif status is OutboxStatus.DEAD:
            result.failed += n
            result.in_doubt += n if doubtful else 0
        elif status is OutboxStatus.HELD:
            reasons[WINDOW] += n
        elif status is OutboxStatus.CANCELLED:
            reasons[CANCELLED] += n
    result.skipped = sum(reasons.values())
    result.skipped_reasons = dict(reasons)
    result.replies = _replies(session, campaign)
    return result


def _replies(session: Session, campaign: Campaign) -> int:
    """Recipients who wrote to the bot within REPLY_WINDOW after their campaign message was sent."""
    sent = dict(
        session.execute(
            select(OutboxItem.contact_id, OutboxItem.sent_at).where(
                OutboxItem.campaign_id == campaign.id, OutboxItem.status == OutboxStatus.SENT
            )
        ).all()
    )
    if not sent or campaign.started_at is None:
        return 0
    replied: set[int] = set()
    inbound = session.execute(
        select(Message.contact_id, Message.created_at).where(
            Message.direction == Direction.IN,
            Message.created_at >= campaign.started_at,
            Message.contact_id.in_(
                select(OutboxItem.contact_id).where(
                    OutboxItem.campaign_id == campaign.id, OutboxItem.status == OutboxStatus.SENT
                )
            ),
        )
    )
    for contact_id, at in inbound:
        sent_at = sent.get(contact_id)
        if sent_at is not None and sent_at <= at <= sent_at + REPLY_WINDOW:
            replied.add(contact_id)
    return len(replied)


def recent(session: Session, limit: int = 50) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(limit)))
