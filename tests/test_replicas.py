"""Two real `python -m bot serve` replicas on one PostgreSQL behave as one bot, also when one dies.

Webhooks alternate between the replicas, as a load balancer spreads them; one replica is killed
with kill -9 in the middle of the burst. What the other replica's load balancer does then, it
does here too: a request the dead replica did not answer goes to the live one (Telegram would
deliver it again anyway).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.hotline.sla import JOB_NAME as SLA_JOB
from bot.jobs.reminders import JOB_NAME as REMINDERS_JOB
from bot.storage.db import create_db_engine, migrate
from bot.storage.models import Contact, Direction, JobRun, Lease, Message, OutboxItem, OutboxStatus
from tests.conftest import make_settings
from tests.fakes import shapes
from tests.fakes.bot import PUBLIC_URL, WEBHOOK_SECRET, channel_env, closed_nlu, serve_bot, tuned
from tests.fakes.telegram_api import FakeTelegram
from tests.processes import BotProcess, config_file, postgres_schema
from tests.support import until

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
EVERY_S = 1.0  # the SLA sweep and the reminder sweep, so a short test sees many periods
CHATS = 24
PER_CHAT = 3
TEXTS = ("halo", "menu", "makasih kak")
_chat_ids = itertools.count(7_100_001)


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_schema() as url:
        engine = create_db_engine(url)
        try:
            migrate(engine)  # `python -m bot migrate`, once, before the replicas start (docker-compose.yml)
        finally:
            engine.dispose()
        yield url


def replica(name: str, url: str, telegram: FakeTelegram, tmp_path: Path, config: Path) -> BotProcess:
    return BotProcess(
        {
            "DATABASE_URL": url,
            "TEMAN_CONFIG": str(config),
            "TEMAN_VAR_DIR": str(tmp_path / name),
            "APP_ENV": "test",
            "LOG_FORMAT": "json",
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_BASE_URL": telegram.base_url,
            "PUBLIC_URL": PUBLIC_URL,
            **closed_nlu(),  # degraded NLU answers every message too, without a Rasa server's CPU
        },
        tmp_path / f"{name}.log",
    )


def job_runs_total(text: str) -> dict[str, float]:
    return {
        s.labels["job"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "teman_job_runs_total"
    }


def replica_name(text: str) -> str:
    return next(
        s.labels["replica"]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "teman_replica_info"
    )


async def test_two_replicas_answer_every_acknowledged_message_and_run_each_job_once_per_period(
    tmp_path: Path, pg_url: str
) -> None:
    config = config_file(
        tmp_path,
        telegram={"max_per_second": 1000, "per_chat_interval_s": 0},
        outbox={"poll_interval_s": 0.2, "base_backoff_s": 0.1},
        hotline={"sla_sweep_seconds": EVERY_S},
        flows={"reminder_sweep_seconds": EVERY_S},
    )
    engine = create_db_engine(pg_url)
    async with FakeTelegram() as telegram:
        a = replica("a", pg_url, telegram, tmp_path, config)
        b = replica("b", pg_url, telegram, tmp_path, config)
        await asyncio.gather(asyncio.to_thread(a.start), asyncio.to_thread(b.start))
        try:
            await _scenario(a, b, telegram, engine)
        finally:
            for bot in (a, b):
                await asyncio.to_thread(bot.stop)
            engine.dispose()


async def _scenario(a: BotProcess, b: BotProcess, telegram: FakeTelegram, engine: Engine) -> None:
    # Only one replica registers the webhook (the other waits on the lease).
    await telegram.wait_for("setWebhook", 1)
    await until(lambda: _count(engine, JobRun, JobRun.job == SLA_JOB) >= 3, timeout=20)
    assert len(telegram.ok_calls("setWebhook")) == 1

    chats = [next(_chat_ids) for _ in range(CHATS)]
    updates = [
        shapes.message(TEXTS[round_], user={"id": chat, "is_bot": False, "first_name": "Orang", "language_code": "id"})
        for round_ in range(PER_CHAT)
        for chat in chats
    ]
    acknowledged: list[dict] = []
    metrics_before_kill: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=30) as http:

        async def deliver(n: int, update: dict) -> None:
            first, second = (a, b) if n % 2 == 0 else (b, a)  # alternating, as a load balancer does
            for target in (first, second):
                try:
                    response = await http.post(
                        f"{target.url}/webhooks/telegram", json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
                    )
                except httpx.TransportError:
                    continue  # the killed replica: the request goes to the other one
                if response.status_code == 200:
                    acknowledged.append(update)
                    return

        half = len(updates) // 2
        # Four requests at a time, so some are in the dead replica's hands when it dies.
        for start in range(0, half, 4):
            await asyncio.gather(*(deliver(n, u) for n, u in enumerate(updates[start:start + 4], start)))
        recorded: dict[str, tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]] = {}
        for bot in (a, b):
            before = _runs_by_replica(engine)
            metrics_before_kill[bot.url] = (await http.get(f"{bot.url}/metrics")).text
            recorded[bot.url] = (before, _runs_by_replica(engine))
        in_flight = [
            asyncio.create_task(deliver(n, u)) for n, u in enumerate(updates[half:half + 4], half)
        ]
        await asyncio.sleep(0.05)
        b.kill()
        await asyncio.gather(*in_flight)
        for start in range(half + 4, len(updates), 4):
            await asyncio.gather(*(deliver(n, u) for n, u in enumerate(updates[start:start + 4], start)))
        assert len(acknowledged) == len(updates)

        # Every acknowledged message is stored, and all its replies are sent (a reply the dead
        # replica had leased goes out after its lease runs out).
        stored = {
            row for row in _rows(engine, select(Message.channel_message_id).where(Message.direction == Direction.IN))
        }
        assert {f"{u['message']['chat']['id']}:{u['message']['message_id']}" for u in acknowledged} <= stored
        await until(
            lambda: _count(engine, OutboxItem, OutboxItem.status != OutboxStatus.SENT) == 0, timeout=120,
            message=lambda: f"{_count(engine, OutboxItem, OutboxItem.status != OutboxStatus.SENT)} replies unsent",
        )
        replies = Counter(
            str(chat) for chat in _rows(
                engine, select(Contact.external_id).join(OutboxItem, OutboxItem.contact_id == Contact.id)
            )
        )
        sends = Counter(str(call.params["chat_id"]) for call in telegram.sent())
        for chat in chats:
            # Each of the person's messages got an answer, and no reply was lost.
            assert replies[str(chat)] >= PER_CHAT
            assert sends[str(chat)] >= replies[str(chat)], f"chat {chat}: a reply was lost"
        # Doubles only for sends in flight at the kill: rows a replica leased more than once.
        retried = _count(engine, OutboxItem, OutboxItem.attempts > 1)
        doubled = sum(sends.values()) - sum(replies.values())
        assert doubled <= retried, f"{doubled} replies doubled, {retried} were in flight at the kill"

        # Each period of each periodic job ran once, across both replicas and across the kill. A fast
        # run of the burst may finish before five periods passed: wait for them (bounded) first.
        def periods(job: str) -> int:
            return _count(engine, JobRun, JobRun.job == job)

        await until(
            lambda: min(periods(SLA_JOB), periods(REMINDERS_JOB)) >= 5, timeout=60,
            message=lambda: f"job runs so far: sla {periods(SLA_JOB)}, reminders {periods(REMINDERS_JOB)}",
        )
        runs = _rows(engine, select(JobRun.job, JobRun.run_at, JobRun.replica).order_by(JobRun.job, JobRun.run_at))
        for job in (SLA_JOB, REMINDERS_JOB):
            times = [run_at for name, run_at, _ in runs if name == job]
            assert len(times) >= 5
            gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
            assert min(gaps) >= timedelta(seconds=EVERY_S * 0.99), f"{job} ran twice in one period: {gaps}"
        # Each replica's teman_job_runs_total counted the runs it made, as job_runs recorded them
        # (read just before and after the scrape; a run may be in progress while it is scraped).
        for bot_url, text in metrics_before_kill.items():
            name, counted = replica_name(text), job_runs_total(text)
            before, after = recorded[bot_url]
            for job in (SLA_JOB, REMINDERS_JOB):
                assert before[(name, job)] - 1 <= counted.get(job, 0) <= after[(name, job)], (bot_url, job, counted)
        print(
            f"\n[replicas] {len(updates)} messages, {len(acknowledged)} acknowledged, {sum(replies.values())} replies, "
            f"{sum(sends.values())} sends, {doubled} doubled ({retried} in flight at the kill); job runs by replica: "
            f"{dict(Counter(who for _, _, who in runs))}"
        )

    # The survivor still serves, and its logs are JSON lines.
    assert a.alive
    assert any('"event": "scheduler.start"' in line for line in a.log().splitlines())


def _runs_by_replica(engine: Engine) -> Counter[tuple[str, str]]:
    """How many runs of each job each replica claimed so far: {(replica, job): n}."""
    return Counter((who, job) for job, who in _rows(engine, select(JobRun.job, JobRun.replica)))


def _count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def _rows(engine: Engine, query: object) -> list:
    with Session(engine) as session:
        result = session.execute(query)  # type: ignore[call-overload]
        rows = result.all()
    return [row[0] if len(row) == 1 else tuple(row) for row in rows]


async def test_only_one_replica_polls_telegram_and_another_takes_over_when_it_stops(
    tmp_path: Path, pg_url: str
) -> None:
    async with FakeTelegram() as telegram:
        env = channel_env(telegram=telegram, public_url=None)  # no PUBLIC_URL: polling
        settings = tuned(make_settings(tmp_path, pg_url, **closed_nlu(), **env))
        assert settings.telegram.mode == "polling"
        async with serve_bot(settings, telegram=telegram) as first:
            second = serve_bot(settings, telegram=telegram)
            await second.__aenter__()
            try:
                await telegram.wait_for("deleteWebhook", 1)  # a poller starts by removing the webhook
                assert await until(lambda: _lease_holders(pg_url)) == [first.app.replica]
                telegram.push_update(shapes.message("/start"))
                await telegram.wait_for("sendMessage", 1)
                # Telegram refuses a second poller of one token (409 Conflict); here only one ever started.
                assert len(telegram.ok_calls("deleteWebhook")) == 1
                assert len(telegram.sent()) == 1
            except BaseException:
                await second.__aexit__(None, None, None)
                raise
        # The first replica stopped and gave the lease back: the second polls now.
        try:
            await telegram.wait_for("deleteWebhook", 2, timeout=20)
            telegram.push_update(shapes.message("/menu"))
            await telegram.wait_for("sendMessage", 2)
        finally:
            await second.__aexit__(None, None, None)


def _lease_holders(url: str) -> list[str]:
    engine = create_db_engine(url)
    try:
        return [str(holder) for holder in _rows(engine, select(Lease.holder))]
    finally:
        engine.dispose()
