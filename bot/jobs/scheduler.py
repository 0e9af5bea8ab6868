"""Periodic jobs (SLA checks, reminders, retention, tips) on APScheduler, stored in the bot's database.

A stored job holds only its name and schedule; the code that runs is whatever this process
registered under that name (`every`, `register_job`). So jobs survive restarts (a job whose time
passed while the bot was down runs once on start) without pickling functions or app objects into
the database. Names are stored: renaming a job leaves the old row behind as an unknown job.

Replicas: APScheduler 3 does not coordinate schedulers that share a job store; each would run
every due job. So a due run is first claimed in the database (bot.storage.coordination.claim_run:
a unique job + scheduled time): the replica whose insert wins runs it, the others skip that
period. Every replica reads the same scheduled time from the shared store, so each period runs
once, and job_runs records which replica ran what.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.coordination import claim_run, finish_run

log = logging.getLogger(__name__)
JOBS_TABLE = "apscheduler_jobs"
Task = Callable[[], Awaitable[Any]]
# A blocking job (its own database transaction); True when it queued messages for the outbox.
Work = Callable[[], bool | None]
# Told about each run this replica made: (job name, True when it succeeded). The metrics count them.
RunObserver = Callable[[str, bool], None]


def stored_job(*_: Any) -> None:
    """What a stored job's function reference points at; the executor runs the registered task instead."""
    raise RuntimeError("scheduled jobs run through bot.scheduler.JobScheduler")


@dataclass(frozen=True)
class _Registration:
    task: Task
    every: timedelta


class _TaskExecutor(BaseExecutor):
    """Runs each due job as the coroutine registered under the job's id, in the bot's event loop,
    once this replica has claimed the run."""

    def __init__(
        self,
        tasks: dict[str, _Registration],
        sessions: sessionmaker[Session],
        replica: str,
        on_run: RunObserver | None,
    ) -> None:
        super().__init__()
        self._tasks = tasks
        self._sessions = sessions
        self._replica = replica
        self._on_run = on_run
        self._pending: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        self._loop = scheduler._eventloop

    def shutdown(self, wait: bool = True) -> None:
        for task in self._pending:
            task.cancel()
        self._pending.clear()

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        assert self._loop is not None
        task = self._loop.create_task(self._run(job, run_times[-1]))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _run(self, job: Job, run_time: datetime) -> None:
        registration = self._tasks.get(job.id)
        run_id: int | None = None
        try:
            if registration is None:
                # Stored by a version of the bot that had this job; nothing here knows how to run it.
                log.warning("scheduler.job_unknown id=%s: no code registered under this name", job.id)
            else:
                run_id = await self._claim(job.id, run_time)
                if run_id is not None:
                    await registration.task()
        except asyncio.CancelledError:
            raise
        except BaseException:
            exc = sys.exc_info()[1]
            log.exception("scheduler.job_failed id=%s", job.id)
            await self._finished(job.id, run_id, ok=False)
            event = JobExecutionEvent(EVENT_JOB_ERROR, job.id, job._jobstore_alias, run_time, exception=exc)
            self._run_job_success(job.id, [event])
            return
        await self._finished(job.id, run_id, ok=True)
        self._run_job_success(
            job.id, [JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, job._jobstore_alias, run_time)]
        )

    async def _claim(self, job: str, run_time: datetime) -> int | None:
        try:
            run_id = await asyncio.to_thread(claim_run, self._sessions, job, run_time, self._replica)
        except SQLAlchemyError as exc:
            # Unclaimed is unrun: the next period tries again (running unclaimed could run it twice).
            log.error("scheduler.claim_failed id=%s run_at=%s error=%s", job, run_time.isoformat(), exc)
            return None
        if run_id is None:
            log.debug("scheduler.job_skipped id=%s run_at=%s: another replica runs it", job, run_time.isoformat())
        return run_id

    async def _finished(self, job: str, run_id: int | None, *, ok: bool) -> None:
        if run_id is None:
            return
        if self._on_run is not None:
            self._on_run(job, ok)
        try:
            await asyncio.to_thread(finish_run, self._sessions, run_id, "ok" if ok else "failed")
        except SQLAlchemyError as exc:
            log.warning("scheduler.finish_record_failed id=%s error=%s", job, exc)


class JobScheduler:
    """Built by the app factory, which registers every feature's job (`every`) before or after start()."""

    def __init__(
        self,
        engine: Engine,
        sessions: sessionmaker[Session],
        replica: str,
        on_run: RunObserver | None = None,
    ) -> None:
        self._tasks: dict[str, _Registration] = {}
        self._engine = engine
        self._sessions = sessions
        self._replica = replica
        self._on_run = on_run
        self._scheduler: AsyncIOScheduler | None = None

    def register_job(self, name: str, task: Task, *, every_s: float) -> None:
        """Run `task` every `every_s` seconds, in the event loop; one run at a time per job."""
        if every_s <= 0:
            raise ValueError("every_s must be positive")
        self._tasks[name] = _Registration(task, timedelta(seconds=every_s))
        if self._scheduler is not None:
            self._schedule(name)

    def every(self, name: str, seconds: float, work: Work, *, wake: Callable[[], None] | None = None) -> None:
        """Run the blocking `work` in a worker thread every `seconds` under the stored job `name`.

        When it returns True (it queued messages), `wake` (the outbox's) is called, in the event loop.
        """

        async def task() -> None:
            if await asyncio.to_thread(work) and wake is not None:
                wake()

        self.register_job(name, task, every_s=seconds)

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def start(self) -> None:
        """Load the stored jobs and start; call inside the running event loop."""
        if self._scheduler is not None:
            return
        store = SQLAlchemyJobStore(engine=self._engine, tablename=JOBS_TABLE)
        _create_table(store.jobs_t, self._engine)
        scheduler = AsyncIOScheduler(
            jobstores={"default": store},
            executors={"default": _TaskExecutor(self._tasks, self._sessions, self._replica, self._on_run)},
            # A run missed while the bot was down happens once on start, however late.
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone="UTC",
        )
        scheduler.start(paused=True)
        self._scheduler = scheduler
        for name in self._tasks:
            self._schedule(name)
        scheduler.resume()
        log.info("scheduler.start jobs=%s", ",".join(sorted(self._tasks)) or "-")

    def _schedule(self, name: str) -> None:
        assert self._scheduler is not None
        every = self._tasks[name].every
        job = self._scheduler.get_job(name)
        if job is not None and isinstance(job.trigger, IntervalTrigger) and job.trigger.interval == every:
            return  # stored with the same schedule: keep its next run time
        self._scheduler.add_job(
            stored_job, IntervalTrigger(seconds=every.total_seconds(), timezone="UTC"),
            id=name, name=name, replace_existing=True,
        )

    def next_run_time(self, name: str) -> datetime | None:
        if self._scheduler is None:
            raise RuntimeError("the scheduler is not running")
        job = self._scheduler.get_job(name)
        return job.next_run_time if job is not None else None

    async def shutdown(self) -> None:
        if self._scheduler is None:
            return
        scheduler, self._scheduler = self._scheduler, None
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down in its loop callback
        log.info("scheduler.stop")


def _create_table(table: Table, engine: Engine) -> None:
    """The job store's table; two replicas starting at once may both try to create it."""
    for attempt in range(3):
        try:
            table.create(engine, checkfirst=True)
            return
        except SQLAlchemyError:
            if attempt == 2:
                raise
