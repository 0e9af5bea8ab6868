"""The app factory: builds every long-lived dependency once, wires the features and the channels to
what each of them uses, and closes everything on shutdown. The one module that knows them all.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.answers.library import Library
from bot.answers.texts import Texts, privacy_values
from bot.campaigns import sending
from bot.campaigns.sending import CampaignSender
from bot.channels import local, telegram, whatsapp
from bot.channels.base import Channel, ReplyWindows, always_open
from bot.channels.telegram import StaffGroupHandler, TelegramChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.chat.dispatch import Dispatcher
from bot.chat.early import EarlyTurns
from bot.chat.turn import Services
from bot.config import PROJECT_ROOT, Settings
from bot.hotline import escalations, referrals, sla, staff_group
from bot.hotline.staff_group import StaffGroup
from bot.jobs import reminders, retention, tips
from bot.jobs.scheduler import JobScheduler
from bot.metrics import Metrics, StateCollector
from bot.outbox.sender import ChannelSender, OutboxWorker, WindowOpen
from bot.storage.coordination import replica_id
from bot.storage.db import EARLY_TURNS, create_db_engine, database_work, is_sqlite, migrate, session_factory
from bot.storage.models import utcnow
from bot.understanding.rasa import ManagedRasa, RasaClient
from bot.understanding.understand import Understander
from handlers.registry import resolve_handler

log = logging.getLogger(__name__)
UI_TEXTS = PROJECT_ROOT / "content" / "ui.yml"


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    services: Services
    understander: Understander
    dispatcher: Dispatcher
    outbox: OutboxWorker
    rasa: RasaClient | None
    managed_rasa: ManagedRasa | None
    # Periodic jobs stored in the database (SLA sweep, flow reminders, retention, tips, referral follow-ups).
    scheduler: JobScheduler
    # Can free text reach this contact now? Each channel's rule (bot/channels/base.py).
    window_open: WindowOpen
    # GET /metrics (bot/metrics.py); this process's name in job runs and leases.
    metrics: Metrics = field(default_factory=Metrics)
    replica: str = field(default_factory=replica_id)
    # Telegram staff group (bot/hotline/staff_group.py), when telegram.staff_group_id is configured:
    # the Telegram adapter hands updates from that chat to staff_group_handler instead of dispatch.
    staff_group: StaffGroup | None = None
    staff_group_handler: StaffGroupHandler | None = None
    # Long-running work that features add (bot/channels: Telegram polling or setWebhook), started
    # with the outbox, and their clean-ups (HTTP clients), run on shutdown after the outbox stopped.
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def turn_engine(self) -> Engine:
        """The engine of message turns and the outbox: on PostgreSQL the event loop's own
        (bot.storage.db.database_work), which `engine` (console, jobs, migrations) is not."""
        engine: Engine = self.dispatcher.sessions.kw["bind"]
        return engine

    async def start_nlu(self) -> None:
        """Managed mode: reuse or start the local Rasa server; failures leave the bot degraded."""
        if self.managed_rasa is not None and self.rasa is not None:
            try:
                await self.managed_rasa.ensure_running(self.rasa)
            except Exception as exc:
                log.error("nlu.managed.failed %s: the bot runs degraded (urgent rules still work)", exc)
        await self.understander.probe()

    def start_background(self) -> None:
        """Outbox sender and NLU re-checks; call inside the running event loop."""
        self._tasks.append(asyncio.create_task(self.outbox.run(), name="outbox"))
        self._tasks.append(asyncio.create_task(self._nlu_watch(), name="nlu-watch"))
        for job in self.background:
            self._tasks.append(asyncio.create_task(job(), name=getattr(job, "__qualname__", "background")))
        self.scheduler.start()

    async def _nlu_watch(self) -> None:
        while True:
            await asyncio.sleep(self.settings.nlu.recheck_interval_s)
            try:
                await self.understander.recheck()
            except Exception:
                log.exception("nlu.recheck_failed")

    async def aclose(self) -> None:
        await self.scheduler.shutdown()
        self.outbox.stop()
        # Sends in flight may finish (bounded), so a reply is not left leased mid-send.
        outbox_tasks = [t for t in self._tasks if t.get_name() == "outbox"]
        if outbox_tasks:
            await asyncio.wait(outbox_tasks, timeout=self.settings.outbox.send_timeout_s + 1)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()
        for close in reversed(self.closers):
            try:
                await close()
            except Exception:
                log.exception("app.close_failed closer=%s", getattr(close, "__qualname__", close))
        if self.rasa is not None:
            await self.rasa.aclose()
        if self.managed_rasa is not None:
            self.managed_rasa.stop()
        await self.dispatcher.db.aclose()
        self.engine.dispose()


def build_app(
    settings: Settings,
    *,
    senders: Mapping[str, ChannelSender] | None = None,
    clock: Callable[[], datetime] = utcnow,
    manage_nlu: bool = True,
) -> App:
    """Everything the bot needs, wired once. On SQLite the schema is migrated here."""
    engine = create_db_engine(settings.database_url)
    if is_sqlite(engine):
        migrate(engine)
    sessions = session_factory(engine)
    library = Library.load(settings.content_dir, settings.contacts)
    texts = Texts.load(UI_TEXTS, settings.contacts, privacy_values(settings.privacy))
    services = Services(settings=settings, library=library, texts=texts, clock=clock)
    managed: ManagedRasa | None = None
    if settings.nlu.mode == "remote" and settings.nlu.url:
        # Several NLU_URLs: the client spreads parses over them and fails over (bot/understanding/rasa.py).
        rasa: RasaClient | None = RasaClient(
            settings.nlu.urls or settings.nlu.url, settings.nlu.token, settings.nlu.request_timeout_s,
            retry_after_s=settings.nlu.recheck_interval_s,
        )
    elif manage_nlu:
        managed = ManagedRasa(settings.nlu, settings.var_dir)
        rasa = RasaClient(managed.url, managed.token, settings.nlu.request_timeout_s)
    else:
        rasa = None
    understander = Understander(rasa, settings.nlu.recheck_interval_s)
    # Dispatch and the outbox run their transactions there (on PostgreSQL: on the event loop).
    db, turn_sessions = database_work(engine, sessions)
    worker = OutboxWorker(turn_sessions, senders or {}, settings.outbox, clock, db=db)
    replica = replica_id()
    metrics = Metrics(replica)
    metrics.watch(StateCollector(sessions, lambda: understander.status))
    dispatcher = Dispatcher(
        services, turn_sessions, understander, resolve_handler, outbox=worker, observer=metrics,
        closed_lately=functools.partial(
            escalations.closed_lately, within=timedelta(hours=settings.hotline.reopen_hours)
        ),
        db=db,
        early=EarlyTurns(turn_sessions, limit=EARLY_TURNS),
    )
    # Every channel's rule, configured or not: a WhatsApp contact is bound by WhatsApp's window
    # even in a process without Twilio credentials (the terminal chat).
    window_open = ReplyWindows(
        {whatsapp.CHANNEL: whatsapp.window_open, telegram.CHANNEL: always_open, local.CHANNEL: always_open}
    )
    group = staff_group.connect(settings, texts, sessions, clock, worker.wake, window_open)  # when configured
    # Job names are stored with their schedules (apscheduler_jobs): keep them when refactoring.
    # Each run is claimed in job_runs first, so with several replicas a period runs once.
    scheduler = JobScheduler(engine, sessions, replica, on_run=metrics.job_ran)
    scheduler.every(
        sla.JOB_NAME, settings.hotline.sla_sweep_seconds,
        functools.partial(sla.run_sweep, sessions, clock, settings.hotline, group), wake=worker.wake,
    )
    scheduler.every(
        reminders.JOB_NAME, settings.flows.reminder_sweep_seconds,
        functools.partial(reminders.run_sweep, sessions, settings, texts, clock), wake=worker.wake,
    )
    scheduler.every(
        retention.JOB_NAME, retention.DAILY_S, functools.partial(retention.run_purge, sessions, settings.privacy, clock)
    )
    scheduler.every(
        tips.JOB_NAME, tips.WEEK_S,
        functools.partial(tips.run_weekly, sessions, clock, library=library, texts=texts, settings=settings.campaigns),
    )
    campaign_sender = CampaignSender(
        sessions, clock, settings=settings.campaigns, texts=texts, library=library, window_open=window_open,
        default_language=settings.default_language,
    )
    scheduler.every(sending.JOB_NAME, settings.campaigns.sweep_seconds, campaign_sender.run, wake=worker.wake)
    scheduler.every(
        referrals.JOB_NAME, settings.referrals.follow_up_sweep_seconds,
        functools.partial(referrals.run_follow_up_sweep, sessions, clock, settings.referrals, group),
        wake=worker.wake,
    )
    return App(
        settings, engine, sessions, services, understander, dispatcher, worker, rasa, managed,
        scheduler=scheduler, window_open=window_open, metrics=metrics, replica=replica, staff_group=group,
        staff_group_handler=group.handle if group is not None else None,
    )


def connect_channels(app: App) -> list[Channel]:
    """The channels the environment configures (Telegram token, Twilio credentials), wired to the app.

    Their senders join the outbox, Telegram's setWebhook or polling starts with the app's
    background work, and their HTTP clients close on shutdown. Their routes: bot.web.webhooks.
    """
    settings = app.settings
    clock = app.services.clock
    channels: list[Channel] = []
    if settings.telegram.token:
        bot = TelegramChannel(
            settings, app.dispatcher.dispatch, app.sessions, clock, staff_group=app.staff_group_handler,
            replica=app.replica,
        )
        app.background.append(bot.run)
        channels.append(bot)
    if settings.whatsapp.enabled:
        channels.append(
            WhatsAppChannel(
                settings, app.dispatcher.dispatch, app.sessions, app.services.texts, clock, wake=app.outbox.wake
            )
        )
    for channel in channels:
        app.outbox.add_sender(channel.sender)
        app.closers.append(channel.aclose)
    log.info(
        "channels.connected telegram=%s whatsapp=%s public_url=%s",
        settings.telegram.mode or "off",
        "on" if settings.whatsapp.enabled else "off",
        settings.public_url or "-",
    )
    return channels
