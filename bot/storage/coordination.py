"""Work that must happen once across replicas: claimed job runs and leases, both rows in the database.

A claimed run is an insert that only one replica can win (unique job + scheduled time); a lease is
a row a replica holds until it expires and renews while it works, so a replica killed with kill -9
loses it after `ttl`. SQLite gets the same rows, but it is the single-process default (README).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.db import transaction
from bot.storage.models import JobRun, Lease, utcnow

log = logging.getLogger(__name__)
# Job-run records older than this are deleted as new ones are claimed.
KEEP_RUNS = timedelta(days=14)


def replica_id() -> str:
    """Who this process is in job-run records, leases and logs: host, pid and a random suffix."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# ---------------------------------------------------------------- job runs
def claim_run(sessions: sessionmaker[Session], job: str, run_at: datetime, replica: str) -> int | None:
    """Claim `job`'s period scheduled at `run_at`; the run's id, or None when another replica has it."""
    try:
        with transaction(sessions) as session:
            run = JobRun(job=job, run_at=run_at, replica=replica, started_at=utcnow())
            session.add(run)
            session.flush()
            session.execute(delete(JobRun).where(JobRun.job == job, JobRun.run_at < run_at - KEEP_RUNS))
            return run.id
    except IntegrityError:
        return None


def finish_run(sessions: sessionmaker[Session], run_id: int, outcome: str) -> None:
    with transaction(sessions) as session:
        session.execute(
            update(JobRun).where(JobRun.id == run_id).values(finished_at=utcnow(), outcome=outcome)
        )


# ---------------------------------------------------------------- leases
def acquire_lease(sessions: sessionmaker[Session], name: str, holder: str, ttl: timedelta) -> bool:
    """Take `name` (free, expired, or already ours) until now + ttl; False while another holds it."""
    now = utcnow()
    with transaction(sessions) as session:
        taken = session.execute(
            update(Lease)
            .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
            .values(holder=holder, expires_at=now + ttl)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return True
        if session.scalar(select(Lease.name).where(Lease.name == name)) is not None:
            return False
    try:
        with transaction(sessions) as session:
            session.add(Lease(name=name, holder=holder, expires_at=now + ttl, acquired_at=now))
        return True
    except IntegrityError:
        return False  # another replica created it first


def release_lease(sessions: sessionmaker[Session], name: str, holder: str) -> None:
    with transaction(sessions) as session:
        session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


async def while_holding(
    sessions: sessionmaker[Session],
    name: str,
    holder: str,
    work: Callable[[], Awaitable[None]],
    *,
    ttl: timedelta = timedelta(seconds=30),
) -> None:
    """Run `work` only while this replica holds the lease `name`: wait for it, renew it every third
    of `ttl`, stop the work when it is lost, and give it back when cancelled (shutdown)."""
    renew_every = ttl.total_seconds() / 3
    try:
        while True:
            if not await _try(acquire_lease, sessions, name, holder, ttl):
                await asyncio.sleep(renew_every)
                continue
            log.info("lease.acquired name=%s holder=%s", name, holder)
            task = asyncio.create_task(work(), name=f"lease-{name}")
            try:
                while True:
                    if task.done():
                        # The work ended (a webhook set): keep the lease, so nobody else redoes it.
                        await asyncio.sleep(renew_every)
                    else:
                        await asyncio.wait({task}, timeout=renew_every)
                        if task.done() and not task.cancelled() and task.exception() is not None:
                            log.error("lease.work_failed name=%s error=%r", name, task.exception())
                    if not await _try(acquire_lease, sessions, name, holder, ttl):
                        log.warning("lease.lost name=%s holder=%s: stopping its work", name, holder)
                        break
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    except asyncio.CancelledError:
        try:
            await asyncio.to_thread(release_lease, sessions, name, holder)
        except Exception as exc:  # the lease then simply expires
            log.warning("lease.release_failed name=%s error=%s", name, exc)
        raise


async def _try(
    fn: Callable[[sessionmaker[Session], str, str, timedelta], bool],
    sessions: sessionmaker[Session],
    name: str,
    holder: str,
    ttl: timedelta,
) -> bool:
    try:
        return await asyncio.to_thread(fn, sessions, name, holder, ttl)
    except Exception as exc:  # database away: as if not held; the next try decides
        log.warning("lease.check_failed name=%s error=%s", name, exc)
        return False
