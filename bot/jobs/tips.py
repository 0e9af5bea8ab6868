"""Weekly safe-migration tips for people who subscribed (subscribe_updates).

A tip is the first part of an existing, cited content item, so tips need no separate review.
A tip is not worth a paid template: a subscriber the channel would not let the bot write to now
(WhatsApp, more than 24 hours after their last message) is skipped that week.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.answers.library import Library
from bot.answers.texts import Texts
from bot.chat.inbound import Button, Reply
from bot.outbox.enqueue import enqueue
from bot.outbox.sender import WindowOpen
from bot.storage.db import transaction
from bot.storage.models import Contact

log = logging.getLogger(__name__)
JOB_NAME = "weekly-tips"
WEEK_S = 7 * 24 * 3600
# The order a subscriber hears them in, one a week (content item ids).
TIP_ITEMS = (
    "scam_signs_red_flags",
    "costs_zero_placement",
    "visa_work_not_tourist",
    "check_agency_how",
    "worker_rights_general",
    "documents_requirements",
    "legal_aid_free",
    "victim_rights_tppo",
    "procedure_legal_steps",
)


def send_tips(
    session: Session,
    now: datetime,
    *,
    library: Library,
    texts: Texts,
    window_open: WindowOpen,
    default_language: str,
) -> int:
    """Queue this week's tip for every subscriber the channel lets us write to; returns how many."""
    items = [item for item_id in TIP_ITEMS if (item := library.get(item_id)) is not None]
    if not items:
        return 0
    queued = 0
    for contact in session.scalars(select(Contact).where(Contact.subscribed_at.is_not(None))):
        if not window_open(contact, now):
            continue
        assert contact.subscribed_at is not None
        week = (now - contact.subscribed_at).days // 7
        item = items[week % len(items)]
        lang = contact.language or default_language
        rendered = library.render(item, lang, 0)
        buttons = [Button(texts.get("btn_next", lang), f"answer:{item.id}:1")] if rendered.has_more else []
        buttons.append(Button(texts.get("tips_stop", lang), "intent:unsubscribe_updates"))
        text = f"{texts.get('tips_heading', lang)}\n\n{rendered.text}"
        enqueue(session, contact, Reply(text, tuple(buttons)), author="bot:tips")
        queued += 1
    log.info("tips.queued count=%d", queued)
    return queued


def run_weekly(
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    *,
    library: Library,
    texts: Texts,
    window_open: WindowOpen,
    default_language: str,
) -> bool:
    """The weekly job: one transaction; True when tips were queued."""
    with transaction(sessions) as session:
        queued = send_tips(
            session, clock(), library=library, texts=texts, window_open=window_open,
            default_language=default_language,
        )
    return queued > 0
