"""Subscribing and opting out. Repository functions: they take the session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.campaigns.audience import ABROAD, REGION_KEYS, TOPICS
from bot.storage.models import CampaignRecipient, Contact, OutboxItem, OutboxStatus

OPTED_OUT = "opted_out"
_NO_SYNC = {"synchronize_session": False}


def subscribe(contact: Contact, now: datetime) -> None:
    """Start (or keep) the subscription; what was chosen before stays until changed."""
    if contact.subscribed_at is None:
        contact.subscribed_at = now


def set_region(contact: Contact, regency: str | None, country: str | None = None) -> None:
    """A kabupaten/kota key, or ABROAD with a country key; None clears it."""
    if regency is not None and regency not in REGION_KEYS:
        raise ValueError(f"unknown regency {regency!r}")
    contact.sub_regency = regency
    contact.sub_country = country if regency == ABROAD else None


def set_topics(contact: Contact, topics: Sequence[str]) -> None:
    """The topics to hear about; empty is every topic."""
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise ValueError(f"unknown topics {unknown!r}")
    contact.sub_topics = list(dict.fromkeys(topics))  # a new list: the JSON column notices assignment


def opt_out(session: Session, contact: Contact) -> int:
    """Stop every campaign message to this person, now: the subscription ends and campaign
    messages not yet on their way are withdrawn (counted as skipped, opted out). Returns how many."""
    contact.subscribed_at = None
    withdrawn = session.scalars(
        select(OutboxItem.id).where(
            OutboxItem.contact_id == contact.id,
            OutboxItem.campaign_id.is_not(None),
            OutboxItem.status.in_((OutboxStatus.PENDING, OutboxStatus.HELD)),
        )
    ).all()
    if not withdrawn:
        return 0
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(withdrawn), OutboxItem.status.in_((OutboxStatus.PENDING, OutboxStatus.HELD)))
        .values(status=OutboxStatus.CANCELLED, last_error="the person opted out")
        .execution_options(**_NO_SYNC)
    )
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.outbox_id.in_(withdrawn))
        .values(skipped=OPTED_OUT)
        .execution_options(**_NO_SYNC)
    )
    return len(withdrawn)
