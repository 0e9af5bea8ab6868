"""Throughput and latency of the whole dispatch path (real Rasa, both databases). Prints figures."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

from bot.chat.inbound import Inbound
from bot.config import Settings
from tests.support import Dialog

MESSAGES = [
    "gmn cara kerja ke malaysia yg resmi",
    "biaya penempatan ke taiwan brp",
    "apa hak pekerja migran",
    "ada bantuan hukum gratis gak",
    "halo min",
    "makasih kak",
]
PEOPLE = 20
ROUNDS = 5


async def test_dispatch_throughput(settings: Settings) -> None:
    dialog = Dialog.open(settings)
    latencies: list[float] = []

    async def person(n: int) -> None:
        for r in range(ROUNDS):
            inbound = Inbound(
                channel="local", chat_id=f"bench-{n}", message_id=uuid.uuid4().hex,
                text=MESSAGES[(n + r) % len(MESSAGES)],
            )
            start = time.perf_counter()
            result = await dialog.app.dispatcher.dispatch(inbound)
            latencies.append(time.perf_counter() - start)
            assert result.replies

    try:
        start = time.perf_counter()
        await asyncio.gather(*(person(n) for n in range(PEOPLE)))
        elapsed = time.perf_counter() - start
    finally:
        await dialog.close()
    total = PEOPLE * ROUNDS
    latencies.sort()
    print(
        f"\n[{settings.database_url.split(':')[0]}] dispatch: {total} messages from {PEOPLE} people in "
        f"{elapsed:.2f}s = {total / elapsed:.1f} msg/s; latency p50={statistics.median(latencies) * 1000:.0f} ms "
        f"p95={latencies[int(0.95 * total) - 1] * 1000:.0f} ms max={latencies[-1] * 1000:.0f} ms"
    )
