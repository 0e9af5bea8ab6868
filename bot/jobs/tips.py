"""Weekly safe-migration tips for people who subscribed (subscribe_updates).

A tip is the first part of an existing, cited content item, so tips need no separate review.
WhatsApp only allows free-form messages within 24 hours of the person's last message: a tip is
not worth a paid template, so WhatsApp subscribers outside that window are skipped that week.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.chat.inbound import Button, Reply
from bot.chat.turn import Services
from bot.outbox.enqueue import enqueue
from bot.storage.db import transaction
from bot.storage.models import Contact

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
JOB_NAME = "weekly-tips"
WEEK_S = 7 * 24 * 3600
WHATSAPP_WINDOW = timedelta(hours=24)
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


def send_tips(session: Session, services: Services, now: datetime) -> int:
    """Queue this week's tip for every subscriber; returns how many were queued."""
    library, texts = services.library, services.texts
    items = [item for item_id in TIP_ITEMS if (item := library.get(item_id)) is not None]
    if not items:
        return 0
    queued = 0
    for contact in session.scalars(select(Contact).where(Contact.subscribed_at.is_not(None))):
        if contact.channel == "whatsapp" and (
            contact.last_inbound_at is None or now - contact.last_inbound_at > WHATSAPP_WINDOW
        ):
            continue
        assert contact.subscribed_at is not None
        week = (now - contact.subscribed_at).days // 7
        item = items[week % len(items)]
        lang = contact.language or services.settings.default_language
        rendered = library.render(item, lang, 0)
        buttons = [Button(texts.get("btn_next", lang), f"answer:{item.id}:1")] if rendered.has_more else []
        buttons.append(Button(texts.get("tips_stop", lang), "intent:unsubscribe_updates"))
        text = f"{texts.get('tips_heading', lang)}\n\n{rendered.text}"
        enqueue(session, contact, Reply(text, tuple(buttons)), author="bot:tips")
        queued += 1
    log.info("tips.queued count=%d", queued)
    return queued


def install(app: App) -> None:
    def run() -> int:
        with transaction(app.sessions) as session:
            return send_tips(session, app.services, app.services.clock())

    async def job() -> None:
        if await asyncio.to_thread(run):
            app.outbox.wake()

    app.scheduler.register_job(JOB_NAME, job, every_s=WEEK_S)
