"""The weekly safe-migration tip: a campaign to every subscriber, made by the scheduler.

A tip is the first part of an existing, cited content item, so tips need no separate review. Every
subscriber gets the same tip in a given week, in their language; the campaign machinery
(bot/campaigns) queues and counts it like any other. One campaign per ISO week (its dedupe key),
whichever replica makes it. WhatsApp subscribers outside the 24-hour window get it only through the
approved template campaigns.tips_template_sid, else they are skipped and counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.answers.library import Library
from bot.answers.texts import Texts
from bot.campaigns import campaigns
from bot.config import CampaignSettings
from bot.storage.db import transaction
from bot.storage.models import Campaign

log = logging.getLogger(__name__)
JOB_NAME = "weekly-tips"
WEEK_S = 7 * 24 * 3600
# The order subscribers hear them in, one a week (content item ids).
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


def week_key(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"tips:{year}-W{week:02d}"


def make_weekly_campaign(
    session: Session, now: datetime, *, library: Library, texts: Texts, settings: CampaignSettings
) -> Campaign | None:
    """This week's tip campaign (made once per week); None when it exists or no tip is available."""
    key = week_key(now)
    if session.scalar(select(Campaign.id).where(Campaign.dedupe_key == key)) is not None:
        return None
    items = [item for item_id in TIP_ITEMS if (item := library.get(item_id)) is not None]
    if not items:
        return None
    year, week, _ = now.isocalendar()
    item = items[(year * 53 + week) % len(items)]
    text = {lang: f"{texts.get('tips_heading', lang)}\n\n{library.render(item, lang, 0).text}" for lang in ("id", "en")}
    return campaigns.create(
        session,
        campaigns.Draft(
            title=f"Tips mingguan {year}-W{week:02d}: {item.id}",
            text_id=text["id"],
            text_en=text["en"],
            content_item=item.id,
            wa_template_sid=settings.tips_template_sid,
            origin="tips",
            dedupe_key=key,
        ),
        now,
    )


def run_weekly(
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    *,
    library: Library,
    texts: Texts,
    settings: CampaignSettings,
) -> bool:
    """The weekly job: one transaction. The campaign job queues and sends it (no wake needed)."""
    if not settings.weekly_tip:
        return False
    try:
        with transaction(sessions) as session:
            campaign = make_weekly_campaign(session, clock(), library=library, texts=texts, settings=settings)
            if campaign is not None:
                log.info("tips.campaign id=%s item=%s", campaign.id, campaign.content_item)
    except IntegrityError:
        log.info("tips.campaign_exists week=%s", week_key(clock()))  # another replica made it
    return False
