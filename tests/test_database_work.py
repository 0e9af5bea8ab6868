"""The threads that run the event loop's database work (bot.storage.db.DatabaseWork)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.storage.db import DatabaseWork


async def test_one_thread_runs_the_work_in_the_order_given_and_hands_back_results_and_errors() -> None:
    work = DatabaseWork(threads=1)
    ran: list[tuple[int, str]] = []

    def job(n: int) -> int:
        time.sleep(0.01 * (3 - n))  # the first given is the slowest: order must not come from timing
        ran.append((n, threading.current_thread().name))
        return n * 10

    def broken() -> None:
        raise ValueError("the database said no")

    try:
        results = await asyncio.gather(job_run(work, job, 0), job_run(work, job, 1), job_run(work, job, 2))
        assert results == [0, 10, 20]
        assert [n for n, _ in ran] == [0, 1, 2]
        assert {name for _, name in ran} == {"database-0"}
        assert threading.current_thread().name not in {name for _, name in ran}
        with pytest.raises(ValueError, match="the database said no"):
            await work.run(broken)
        assert await work.run(job, 2) == 20  # the thread survives an error
    finally:
        work.close()


async def test_several_threads_work_side_by_side_and_close_lets_them_finish() -> None:
    work = DatabaseWork(threads=4)
    inside = threading.Barrier(4, timeout=5)  # only passes if four jobs run at the same time
    finished: list[int] = []

    def job(n: int) -> None:
        inside.wait()
        finished.append(n)

    await asyncio.gather(*(work.run(job, n) for n in range(4)))
    assert sorted(finished) == [0, 1, 2, 3]
    ended: list[str] = []

    def slow() -> None:
        time.sleep(0.2)
        ended.append("committed")

    running = asyncio.ensure_future(work.run(slow))
    await asyncio.sleep(0.05)  # the job has started
    work.close()  # a transaction is never cut off: close waits for it
    assert ended == ["committed"]
    await running


async def job_run(work: DatabaseWork, job: object, n: int) -> int:
    return await work.run(job, n)  # type: ignore[arg-type]
