"""The sending job: campaigns whose time has come get their recipients queued, once each.

Runs on the scheduler (one replica per period). Recipients are queued in batches of
campaigns.batch_size, one transaction each, in contact order: the batch's recipient rows (unique per
campaign and person), their transcript lines and outbox rows, and the campaign's cursor commit
together, so a restart resumes after the last batch and nobody is queued twice. The outbox then
sends them after people's own replies (bot/outbox/rows.py orders campaign rows last), at the
channels' rates, and never sends a campaign row twice (bot/outbox/sender.py).

WhatsApp: free text only inside the 24-hour window; outside it the campaign's approved template,
or the person is skipped and counted (never free text outside the window, never dropped silently).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.answers.library import Library
from bot.answers.texts import Texts
from bot.campaigns import audience
from bot.campaigns.campaigns import WINDOW
from bot.chat.inbound import Button, Reply
from bot.chat.payload import AskIntent, ShowAnswer
from bot.config import CampaignSettings
from bot.outbox.delivery import CAMPAIGN_TEMPLATE, CAMPAIGN_TEMPLATE_VARS, TEMPLATE
from bot.outbox.enqueue import enqueue
from bot.outbox.outgoing import WindowOpen
from bot.storage.db import transaction
from bot.storage.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    Contact,
    OutboxItem,
    OutboxStatus,
)

log = logging.getLogger(__name__)
JOB_NAME = "campaigns"


def compose(campaign: Campaign, lang: str, *, texts: Texts, library: Library) -> Reply:
    """What one person gets: the text in their language, "continue" for a longer content item, and
    a button to stop (typing "berhenti" works too)."""
    text = campaign.text_en if lang == "en" and campaign.text_en else campaign.text_id
    buttons: list[Button] = []
    item = library.get(campaign.content_item) if campaign.content_item else None
    if item is not None and library.render(item, lang, 0).has_more:
        buttons.append(Button(texts.get("btn_next", lang), str(ShowAnswer(item.id, 1))))
    buttons.append(Button(texts.get("tips_stop", lang), str(AskIntent("unsubscribe_updates"))))
    return Reply(text, tuple(buttons))


class CampaignSender:
    """Queues due campaigns' recipients; the scheduler calls `run` every campaigns.sweep_seconds."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        *,
        settings: CampaignSettings,
        texts: Texts,
        library: Library,
        window_open: WindowOpen,
        default_language: str,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.texts = texts
        self.library = library
        self.window_open = window_open
        self.default_language = default_language

    def run(self) -> bool:
        """One sweep; True when recipients were queued (the outbox is woken)."""
        with self.sessions() as session:
            due = session.scalars(
                select(Campaign.id)
                .where(
                    Campaign.status.in_((CampaignStatus.SCHEDULED, CampaignStatus.SENDING)),
                    Campaign.send_at <= self.clock(),
                )
                .order_by(Campaign.send_at, Campaign.id)
            ).all()
        queued = 0
        for campaign_id in due:
            queued += self.queue_all(campaign_id)
        return queued > 0

    def queue_all(self, campaign_id: int) -> int:
        """Queue every remaining recipient of one campaign, batch by batch; returns how many."""
        total = 0
        while True:
            with transaction(self.sessions) as session:
                queued, more = self._batch(session, campaign_id)
            total += queued
            if not more:
                return total

    def _batch(self, session: Session, campaign_id: int) -> tuple[int, bool]:
        # The campaign row is locked for the batch (PostgreSQL): a second replica's sweep waits and
        # then finds the cursor moved; a cancel waits for the batch and then withdraws it.
        campaign = session.scalars(select(Campaign).where(Campaign.id == campaign_id).with_for_update()).one_or_none()
        if campaign is None or campaign.status not in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
            return 0, False
        now = self.clock()
        if campaign.status is CampaignStatus.SCHEDULED:
            campaign.status = CampaignStatus.SENDING
            campaign.started_at = now
            log.info("campaign.started id=%s origin=%s segment=%s", campaign.id, campaign.origin, campaign.segment)
        if campaign.audience is not None:
            self._finish_if_sent(session, campaign, now)
            return 0, False
        contacts = session.scalars(
            audience.subscribers(campaign.segment, self.default_language)
            .where(Contact.id > campaign.cursor)
            .limit(self.settings.batch_size)
        ).all()
        topic = campaign.segment.get("topic")
        queued = 0
        for contact in contacts:
            if audience.wants_topic(contact, topic):
                self._queue_one(session, campaign, contact, now)
                queued += 1
        if contacts:
            campaign.cursor = contacts[-1].id
        if len(contacts) < self.settings.batch_size:
            session.flush()
            campaign.audience = int(
                session.scalar(
                    select(func.count()).select_from(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign.id)
                )
                or 0
            )
            log.info("campaign.queued id=%s audience=%d", campaign.id, campaign.audience)
            self._finish_if_sent(session, campaign, now)
            return queued, False
        return queued, True

    def _queue_one(self, session: Session, campaign: Campaign, contact: Contact, now: datetime) -> None:
        lang = contact.language or self.default_language
        extra: dict[str, object] = {}
        window_open = self.window_open(contact, now)
        if campaign.wa_template_sid:
            variables = json.dumps(campaign.wa_template_vars or {}, ensure_ascii=False)
            if window_open:
                extra = {CAMPAIGN_TEMPLATE: campaign.wa_template_sid, CAMPAIGN_TEMPLATE_VARS: variables}
            else:
                extra = {TEMPLATE: campaign.wa_template_sid, "content_variables": variables}
        elif not window_open:
            session.add(CampaignRecipient(campaign_id=campaign.id, contact_id=contact.id, skipped=WINDOW, queued_at=now))
            return
        reply = compose(campaign, lang, texts=self.texts, library=self.library)
        item = enqueue(
            session, contact, reply, author=f"campaign:{campaign.id}", extra=extra, campaign_id=campaign.id, at=now
        )
        session.add(CampaignRecipient(campaign_id=campaign.id, contact_id=contact.id, outbox=item, queued_at=now))

    @staticmethod
    def _finish_if_sent(session: Session, campaign: Campaign, now: datetime) -> None:
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(
                OutboxItem.campaign_id == campaign.id,
                OutboxItem.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
            )
        )
        if not waiting:
            campaign.status = CampaignStatus.DONE
            campaign.finished_at = now
            log.info("campaign.done id=%s audience=%s", campaign.id, campaign.audience)
