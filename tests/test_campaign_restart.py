"""A `kill -9` of `python -m bot serve` in the middle of a campaign, then a restart: the rest is
delivered and nobody is messaged twice (a message on the wire at the kill is not sent again)."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.campaigns import campaigns
from bot.config import PROJECT_ROOT
from bot.outbox.sender import BULK_AHEAD_S, IN_DOUBT
from bot.storage.db import create_db_engine, migrate, session_factory, transaction
from bot.storage.models import Campaign, Contact, OutboxItem, OutboxStatus, utcnow
from tests.fakes.bot import PUBLIC_URL, WEBHOOK_SECRET, closed_nlu
from tests.fakes.telegram_api import FakeTelegram
from tests.processes import BotProcess, config_file, postgres_schema
from tests.support import until

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
SUBSCRIBERS = 900
RATE = 60.0  # messages a second: the campaign takes about 15 s, so the kill lands in the middle


def serve(url: str, telegram: FakeTelegram, tmp_path: Path, config: Path, name: str) -> BotProcess:
    return BotProcess(
        {
            "DATABASE_URL": url,
            "TEMAN_CONFIG": str(config),
            "TEMAN_VAR_DIR": str(tmp_path / "var"),
            "APP_ENV": "test",
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_BASE_URL": telegram.base_url,
            "PUBLIC_URL": PUBLIC_URL,
            **closed_nlu(),
        },
        tmp_path / f"{name}.log",
    )


async def test_a_killed_bot_finishes_the_campaign_after_a_restart_with_nobody_messaged_twice(
    tmp_path: Path, database_url: str
) -> None:
    config = config_file(
        tmp_path,
        telegram={"max_per_second": RATE, "per_chat_interval_s": 0},
        outbox={"poll_interval_s": 0.2, "lease_s": 2},
        campaigns={"sweep_seconds": 0.5},
    )
    engine = create_db_engine(database_url)
    sessions = session_factory(engine)
    now = utcnow()
    with transaction(sessions) as session:
        session.add_all(
            Contact(channel="telegram", external_id=str(720_000_000 + i), subscribed_at=now - timedelta(days=1))
            for i in range(SUBSCRIBERS)
        )
    text = tmp_path / "pesan.txt"
    text.write_text("Waspada perekrutan lewat jalur tidak resmi di perbatasan Entikong.", encoding="utf-8")

    async with FakeTelegram() as telegram:
        first = serve(database_url, telegram, tmp_path, config, "first")
        await asyncio.to_thread(first.start)
        try:
            created = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "bot", "campaign", "send", "--text-file", str(text)],
                cwd=PROJECT_ROOT, env={**first.env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                timeout=120,
            )
            assert created.returncode == 0, created.stderr
            campaign_id = json.loads(created.stdout)["campaign"]
            await until(lambda: len(telegram.sent()) >= SUBSCRIBERS // 3, timeout=120)
            first.kill()  # kill -9 mid-campaign
            at_kill = len(telegram.sent())
            assert at_kill < SUBSCRIBERS, "the kill came too late to test anything"
        finally:
            first.kill()

        second = serve(database_url, telegram, tmp_path, config, "second")
        await asyncio.to_thread(second.start)
        try:
            def status() -> campaigns.Counts:
                with sessions() as session:
                    campaign = session.get(Campaign, campaign_id)
                    assert campaign is not None
                    return campaigns.counts(session, campaign)

            await until(lambda: status().status == "done", timeout=180)
        finally:
            await asyncio.to_thread(second.stop)

    got = Counter(str(c.params["chat_id"]) for c in telegram.sent())
    assert max(got.values()) == 1, "nobody messaged twice"
    with sessions() as session:
        rows = session.execute(
            select(OutboxItem.chat_id, OutboxItem.status, OutboxItem.last_error).where(OutboxItem.campaign_id == campaign_id)
        ).all()
    engine.dispose()
    sent = {chat for chat, status, _ in rows if status is OutboxStatus.SENT}
    in_doubt = {chat for chat, status, error in rows if status is OutboxStatus.DEAD and (error or "").startswith(IN_DOUBT)}
    assert len(rows) == SUBSCRIBERS
    assert sent | in_doubt == {chat for chat, _, _ in rows}, "every subscriber was sent it or is in doubt"
    assert sent <= set(got), "what the bot counts as sent, the channel has"
    assert set(got) - sent <= in_doubt, "the only messages the bot does not count are those in doubt at the kill"
    # In doubt: only what was on the wire at the kill, at most the campaign sends allowed in flight.
    assert len(in_doubt) <= math.ceil(RATE * BULK_AHEAD_S)
    result = status()
    assert (result.audience, result.sent, result.failed, result.in_doubt) == (SUBSCRIBERS, len(sent), len(in_doubt), len(in_doubt))
    assert len(got) >= SUBSCRIBERS - len(in_doubt) and at_kill < len(got)


async def test_two_replicas_send_a_campaign_once_to_everyone(tmp_path: Path) -> None:
    """Both replicas run the sending job and the outbox on one PostgreSQL (replicas need it: SQLite is
    for a single process): each person gets it once."""
    with postgres_schema() as database_url:
        engine = create_db_engine(database_url)
        migrate(engine)
        try:
            await _two_replicas(tmp_path, database_url, engine)
        finally:
            engine.dispose()


async def _two_replicas(tmp_path: Path, database_url: str, engine: Engine) -> None:
    people = 300
    config = config_file(
        tmp_path,
        telegram={"max_per_second": 100, "per_chat_interval_s": 0},
        outbox={"poll_interval_s": 0.2},
        campaigns={"sweep_seconds": 0.3, "batch_size": 50},
    )
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        session.add_all(
            Contact(channel="telegram", external_id=str(740_000_000 + i), subscribed_at=utcnow()) for i in range(people)
        )
        campaign_id = campaigns.create(session, campaigns.Draft(title="x", text_id="Sekali untuk setiap orang"), utcnow()).id
    async with FakeTelegram() as telegram:
        replicas = [serve(database_url, telegram, tmp_path / name, config, name) for name in ("a", "b")]
        await asyncio.gather(*(asyncio.to_thread(r.start) for r in replicas))
        try:
            def done() -> bool:
                with sessions() as session:
                    campaign = session.get(Campaign, campaign_id)
                    return campaign is not None and campaigns.counts(session, campaign).status == "done"

            await until(done, timeout=120)
        finally:
            await asyncio.gather(*(asyncio.to_thread(r.stop) for r in replicas))
    got = Counter(str(c.params["chat_id"]) for c in telegram.sent())
    assert len(got) == people and set(got.values()) == {1}
