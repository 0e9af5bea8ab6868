"""SLA alerts from the real APScheduler job, with minutes shortened to fractions of a second."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.config import Settings
from bot.hotline.sla import JOB_NAME, SweepResult, sweep
from bot.jobs.scheduler import JOBS_TABLE
from bot.storage.db import transaction
from bot.storage.models import OutboxItem, StaffRole, utcnow
from tests.conftest import make_settings
from tests.e2e.hotline import Hotline
from tests.support import until

URGENT = "tolong saya dikurung majikan, tidak boleh keluar rumah"
STAFF_GROUP = -1001234567


def fast_sla(tmp_path: Path, database_url: str) -> Settings:
    settings = make_settings(tmp_path, database_url)
    return replace(
        settings,
        hotline=replace(
            settings.hotline, sla_unclaimed_minutes=0.01, sla_supervisor_minutes=0.05,
            sla_reply_minutes=0.01, sla_sweep_seconds=0.2,
        ),
        telegram=replace(settings.telegram, staff_group_id=STAFF_GROUP),
    )


def sweep_now(hotline: Hotline) -> SweepResult:
    """Run the sweep once, now, as the scheduled job does."""
    app = hotline.app
    with transaction(app.sessions) as session:
        return sweep(session, app.services.clock(), app.settings.hotline, app.staff_group)


def group_posts(hotline: Hotline) -> list[OutboxItem]:
    with hotline.app.sessions() as session:
        return list(session.scalars(
            select(OutboxItem).where(OutboxItem.chat_id == str(STAFF_GROUP)).order_by(OutboxItem.id)))


async def test_unclaimed_urgent_alerts_the_team_then_supervisors_once(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.hotline.sla")
    hotline = Hotline.open(fast_sla(tmp_path, database_url))
    try:
        sari = hotline.signed_in("sari", StaffRole.SUPERVISOR)
        hotline.app.start_background()
        await hotline.say("person-2", "/petugas")  # normal priority: no SLA alerts
        await hotline.say("person-1", URGENT)
        urgent_id = hotline.escalations()[1].id

        await until(lambda: hotline.escalations()[1].alert_level == 1)
        team = [r for r in caplog.records if r.getMessage().startswith(f"sla.unclaimed escalation={urgent_id}")]
        assert [r.levelno for r in team] == [logging.WARNING]
        item = next(i for i in sari.queue() if i["id"] == urgent_id)
        assert item["overdue"] is True  # highlighted in the console

        await until(lambda: hotline.escalations()[1].alert_level == 2)
        supervisors = [r for r in caplog.records if "sla.unclaimed_supervisors" in r.getMessage()]
        assert [r.levelno for r in supervisors] == [logging.ERROR]
        assert "supervisors=sari" in supervisors[0].getMessage()
        assert sari.get("/console/api/queue").json()["supervisor_alerts"] == [urgent_id]
        page = sari.get("/console/").text
        assert 'id="supervisor-banner" class="banner" role="alert"' in page  # the banner is not hidden

        assert sweep_now(hotline) == SweepResult()  # a later sweep repeats nothing
        texts = [post.text for post in group_posts(hotline)]
        assert [t.split(" ")[0] for t in texts] == ["💬", "🚨", "⏰", "🚨"]
        assert f"#{urgent_id} belum diambil" in texts[2] and "SUPERVISOR" in texts[3] and "sari" in texts[3]
        assert hotline.escalations()[0].alert_level == 0
        assert len([r for r in caplog.records if r.name == "bot.hotline.sla"]) == 2
    finally:
        await hotline.close()


async def test_claimed_without_a_reply_is_flagged_until_staff_answer(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.hotline.sla")
    hotline = Hotline.open(fast_sla(tmp_path, database_url))
    try:
        ani = hotline.signed_in("ani")
        await hotline.say("person-1", "/petugas")
        escalation_id = hotline.escalations()[0].id
        ani.post(f"/console/e/{escalation_id}/claim")
        hotline.app.start_background()

        await until(lambda: hotline.escalations()[0].reply_overdue)
        assert ani.queue()[0]["reply_overdue"] is True
        assert "Belum dibalas" in ani.get("/console/").text
        assert any(f"sla.reply_overdue escalation={escalation_id}" in r.getMessage() for r in caplog.records)

        ani.post(f"/console/e/{escalation_id}/reply", text="Maaf menunggu, kami di sini.")
        assert hotline.escalations()[0].reply_overdue is False
        assert sweep_now(hotline).reply_overdue == []  # a later sweep leaves an answered escalation alone
        assert hotline.escalations()[0].reply_overdue is False
    finally:
        await hotline.close()


async def test_the_sweep_is_one_job_stored_in_the_database_and_survives_a_restart(
    tmp_path: Path, database_url: str
) -> None:
    settings = fast_sla(tmp_path, database_url)
    ran: list[str] = []

    async def purge() -> None:
        ran.append("purge")

    first = Hotline.open(settings)
    first.app.scheduler.register_job("retention.purge", purge, every_s=3600)
    first.app.start_background()
    for n in range(3):
        await first.say(f"person-{n}", URGENT)
    stored_next_run = first.app.scheduler.next_run_time("retention.purge")
    await first.close()

    second = Hotline.open(settings)
    try:
        with second.app.engine.connect() as conn:
            jobs = sorted(conn.execute(text(f"SELECT id FROM {JOBS_TABLE}")).scalars())
        assert "retention.purge" in jobs
        assert [job for job in jobs if job.startswith("sla")] == [JOB_NAME]  # one sweep, not one per escalation
        second.app.scheduler.register_job("retention.purge", purge, every_s=3600)
        second.app.start_background()
        # The stored schedule is kept, not started afresh: an hourly job stays on its hour.
        assert second.app.scheduler.next_run_time("retention.purge") == stored_next_run
        # The sweep job loaded from the database alerts for escalations opened before the restart.
        await until(lambda: all(e.alert_level >= 1 for e in second.escalations()))
    finally:
        await second.close()


async def test_a_job_whose_time_passed_while_down_runs_once_on_start(tmp_path: Path, database_url: str) -> None:
    settings = fast_sla(tmp_path, database_url)
    every = 3.0
    ran: list[float] = []

    async def reminder() -> None:
        ran.append(time.monotonic())

    first = Hotline.open(settings)
    first.app.scheduler.register_job("flows.remind", reminder, every_s=every)
    first.app.start_background()
    await first.close()  # stops before the first run is due
    assert ran == []
    await asyncio.sleep(every + 0.5)  # the run fell due while the bot was down

    second = Hotline.open(settings)
    try:
        second.app.scheduler.register_job("flows.remind", reminder, every_s=every)
        started = time.monotonic()
        second.app.start_background()
        # A schedule made afresh would first run `every` seconds after start; the stored one is
        # overdue, so it runs at once.
        await until(lambda: ran, timeout=every / 2)
        assert ran[0] - started < every / 2
        # The missed run happens once: the next one is on the schedule again, not due now.
        assert second.app.scheduler.next_run_time("flows.remind") > utcnow()
        assert len(ran) == 1
    finally:
        await second.close()
