"""GET /metrics through the served app: what Prometheus reads, and who may read it."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot.config import Settings
from bot.hotline.sla import JOB_NAME as SLA_JOB
from bot.logs import JsonFormatter
from bot.storage.models import JobRun
from tests.conftest import make_settings
from tests.fakes import shapes
from tests.fakes.bot import ServedBot, channel_env, closed_nlu, serve_bot, tuned
from tests.fakes.telegram_api import FakeTelegram
from tests.support import outbox_drained, until

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
URGENT = "tolong saya dikurung majikan, tidak boleh keluar rumah"
SOMEWHERE_ELSE = "203.0.113.7"  # a client on the internet, as the reverse proxy reports it


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def settings_for(tmp_path: Path, database_url: str, fake: FakeTelegram, **env: str) -> Settings:
    settings = tuned(make_settings(tmp_path, database_url, **closed_nlu(), **channel_env(telegram=fake), **env))
    return dataclasses.replace(settings, hotline=dataclasses.replace(settings.hotline, sla_sweep_seconds=0.3))


async def scrape(bot: ServedBot, **headers: str) -> tuple[int, str]:
    response = await bot.http.get("/metrics", headers=headers)
    return response.status_code, response.text


async def test_metrics_show_messages_nlu_outbox_escalations_and_job_runs(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    settings = settings_for(tmp_path, database_url, fake_telegram)
    async with serve_bot(settings, telegram=fake_telegram) as bot:
        for text in ("halo", URGENT):
            assert (await bot.post_update(shapes.message(text))).status_code == 200
        await outbox_drained(bot.app)
        await until(lambda: bot.count(JobRun, JobRun.job == SLA_JOB) >= 2, timeout=15)

        status, body = await scrape(bot)
        assert status == 200
        got = samples(body)
        assert got[("teman_messages_received_total", (("channel", "telegram"),))] == 2
        assert got[("teman_dispatch_latency_seconds_count", (("channel", "telegram"),))] == 2
        # Rasa is not reachable here: the bot runs on its rules, and says so.
        assert got[("teman_nlu_degraded", ())] == 1
        assert got[("teman_nlu_latency_seconds_count", (("source", "degraded"),))] == 2
        sent = len(fake_telegram.sent())
        assert sent >= 2
        assert got[("teman_outbox_messages", (("channel", "telegram"), ("status", "sent")))] == sent
        assert got[("teman_outbox_messages", (("channel", "telegram"), ("status", "pending")))] == 0
        assert got[("teman_outbox_messages", (("channel", "telegram"), ("status", "dead")))] == 0
        assert got[("teman_escalations_waiting", (("priority", "urgent"),))] == 1
        assert got[("teman_escalations_waiting", (("priority", "normal"),))] == 0
        assert got[("teman_sla_breaches", (("kind", "unclaimed"),))] == 0
        # One increment per run this replica made, as recorded in job_runs.
        with bot.app.sessions() as session:
            recorded = session.scalar(
                select(func.count()).select_from(JobRun).where(JobRun.job == SLA_JOB, JobRun.replica == bot.app.replica)
            )
        runs = got[("teman_job_runs_total", (("job", SLA_JOB),))]
        assert recorded is not None and recorded - 1 <= runs <= recorded  # a run may be in progress
        assert got[("teman_replica_info", (("replica", bot.app.replica),))] == 1


async def test_metrics_answer_loopback_and_others_only_with_the_token(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    # Without METRICS_TOKEN: loopback only.
    async with serve_bot(settings_for(tmp_path, database_url, fake_telegram), telegram=fake_telegram) as bot:
        assert (await scrape(bot))[0] == 200
        assert (await scrape(bot, **{"X-Forwarded-For": SOMEWHERE_ELSE}))[0] == 403
        assert (await scrape(bot, **{"X-Forwarded-For": SOMEWHERE_ELSE, "Authorization": "Bearer guess"}))[0] == 403

    settings = settings_for(tmp_path, database_url, fake_telegram, METRICS_TOKEN="metrics-secret-123")
    async with serve_bot(settings, telegram=fake_telegram) as bot:
        outside = {"X-Forwarded-For": SOMEWHERE_ELSE}
        assert (await scrape(bot, **outside))[0] == 403
        assert (await scrape(bot, **outside, Authorization="Bearer wrong-secret"))[0] == 403
        status, body = await scrape(bot, **outside, Authorization="Bearer metrics-secret-123")
        assert status == 200 and "teman_messages_received" in body
        assert (await scrape(bot))[0] == 200  # loopback still needs no token


def test_json_log_lines_carry_the_event_and_its_fields() -> None:
    record = logging.LogRecord(
        "bot.chat.dispatch", logging.INFO, __file__, 1,
        "dispatch.handled channel=%s contact=%s intent=%s: done", ("telegram", 7, "greet"), None,
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO" and line["logger"] == "bot.chat.dispatch"
    assert line["event"] == "dispatch.handled"
    assert (line["channel"], line["contact"], line["intent"]) == ("telegram", "7", "greet")
    assert line["message"] == "dispatch.handled channel=telegram contact=7 intent=greet: done"
