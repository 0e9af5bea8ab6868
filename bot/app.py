"""The app factory: builds every long-lived dependency once and closes them on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.answers.library import Library
from bot.answers.texts import Texts, privacy_values
from bot.chat.dispatch import Dispatcher
from bot.chat.turn import Services
from bot.config import PROJECT_ROOT, Settings
from bot.hotline import sla, staff_group
from bot.jobs import reminders, retention, tips
from bot.jobs.scheduler import JobScheduler
from bot.outbox.sender import ChannelSender, OutboxWorker
from bot.storage.db import create_db_engine, is_sqlite, migrate, session_factory
from bot.storage.models import utcnow
from bot.understanding.rasa import ManagedRasa, RasaClient
from bot.understanding.understand import Understander
from handlers.registry import resolve_handler

if TYPE_CHECKING:
    import telegram

    from bot.hotline.staff_group import StaffGroup

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
    # Periodic jobs stored in the database (SLA checks; features add theirs with register_job).
    scheduler: JobScheduler
    # Telegram staff group (bot/staff_group.py), when telegram.staff_group_id is configured: the
    # Telegram adapter hands updates from that chat to staff_group_handler instead of dispatch.
    staff_group: StaffGroup | None = None
    staff_group_handler: Callable[[telegram.Update], Awaitable[None]] | None = None
    # Long-running work that features add (bot/channels: Telegram polling or setWebhook), started
    # with the outbox, and their clean-ups (HTTP clients), run on shutdown after the outbox stopped.
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

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
    services = Services(
        settings=settings,
        library=library,
        texts=Texts.load(UI_TEXTS, settings.contacts, privacy_values(settings.privacy)),
        clock=clock,
    )
    managed: ManagedRasa | None = None
    if settings.nlu.mode == "remote" and settings.nlu.url:
        rasa: RasaClient | None = RasaClient(settings.nlu.url, settings.nlu.token, settings.nlu.request_timeout_s)
    elif manage_nlu:
        managed = ManagedRasa(settings.nlu, settings.var_dir)
        rasa = RasaClient(managed.url, managed.token, settings.nlu.request_timeout_s)
    else:
        rasa = None
    understander = Understander(rasa, settings.nlu.recheck_interval_s)
    worker = OutboxWorker(sessions, senders or {}, settings.outbox, clock)
    dispatcher = Dispatcher(services, sessions, understander, resolve_handler, on_committed=worker.wake)
    app = App(
        settings, engine, sessions, services, understander, dispatcher, worker, rasa, managed,
        scheduler=JobScheduler(engine),
    )
    staff_group.install(app)
    sla.install(app)
    reminders.install(app)
    retention.install(app)
    tips.install(app)
    return app
