"""A campaign to 2,000 Telegram subscribers (`make bench`): the send rate against the configured
global rate, with the fake Bot API enforcing Telegram's own limit (30 messages a second).

A real `python -m bot serve` sends it (the fake runs in this process); the rate is measured from the
fake's first to its last accepted sendMessage. Fails below 95% of telegram.max_per_second in
config.yml, on any 429, or when anybody got it twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, load_settings
from bot.storage.db import create_db_engine, session_factory, transaction
from bot.storage.models import Contact, utcnow
from tests.fakes.telegram_api import GLOBAL_LIMIT_PER_S, FakeTelegram
from tests.processes import config_file
from tests.support import until
from tests.test_campaign_restart import serve

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
SUBSCRIBERS = int(os.environ.get("BENCH_CAMPAIGN_SUBSCRIBERS", 2000))
MIN_SHARE = 0.95


async def test_a_campaign_to_2000_telegram_subscribers_runs_at_the_configured_rate(
    tmp_path: Path, database_url: str
) -> None:
    rate = load_settings(PROJECT_ROOT / "config.yml", {}).telegram.max_per_second
    assert rate <= GLOBAL_LIMIT_PER_S
    config = config_file(tmp_path, campaigns={"sweep_seconds": 1})
    engine = create_db_engine(database_url)
    now = utcnow()
    with transaction(session_factory(engine)) as session:
        session.add_all(
            Contact(channel="telegram", external_id=str(730_000_000 + i), subscribed_at=now - timedelta(days=1))
            for i in range(SUBSCRIBERS)
        )
    engine.dispose()
    text = tmp_path / "pesan.txt"
    text.write_text("Kerja ke Malaysia? Pastikan lewat P3MI berizin dan terdaftar di SISKOP2MI.", encoding="utf-8")
    async with FakeTelegram(enforce_rate=True) as telegram:
        bot = serve(database_url, telegram, tmp_path, config, "bench")
        await asyncio.to_thread(bot.start)
        try:
            created = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "bot", "campaign", "send", "--text-file", str(text)],
                cwd=PROJECT_ROOT, env={**bot.env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120,
            )
            assert created.returncode == 0, created.stderr
            await until(lambda: len(telegram.sent()) >= SUBSCRIBERS, timeout=SUBSCRIBERS / rate * 3)
        finally:
            await asyncio.to_thread(bot.stop)
    sends = telegram.sent()
    seconds = sends[-1].at - sends[0].at
    achieved = (len(sends) - 1) / seconds
    engine_name = database_url.split(":", 1)[0]
    print(
        f"\ncampaign to {SUBSCRIBERS} Telegram subscribers [{engine_name}]: {achieved:.2f} msg/s over {seconds:.1f} s; "
        f"configured {rate:g}/s -> {achieved / rate:.1%} of it; 429s from the fake: {telegram.rate_limited()}; "
        f"campaign {json.loads(created.stdout)}"
    )
    assert max(Counter(str(c.params["chat_id"]) for c in sends).values()) == 1
    assert telegram.rate_limited() == 0
    assert achieved >= MIN_SHARE * rate, f"{achieved:.2f}/s is below {MIN_SHARE:.0%} of the configured {rate:g}/s"
