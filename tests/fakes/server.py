"""A Starlette app served by uvicorn inside the test's event loop, on a free port, with scripted failures."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette

from tests.support import free_port, until


@dataclass
class Call:
    """One request the fake received, and what it answered (0 = no answer: the client gave up)."""

    method: str
    params: dict[str, Any]
    status: int
    result: Any = None  # what a successful call answered (e.g. the Message sendMessage created)
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Failure:
    status: int  # 429, 500, 400 ... or 0 for "hang, then drop the request"
    retry_after: float | None = None
    code: int | None = None
    hang_s: float = 0.0


class FakeServer:
    """Records calls; `fail(method, ...)` scripts the next answers of one API method."""

    lifespan = "off"

    def __init__(self) -> None:
        self.port = free_port()
        self.calls: list[Call] = []
        self._script: dict[str, deque[Failure | None]] = {}
        self._phases: dict[str, list[tuple[float, float, Failure]]] = {}  # (from, until, failure), monotonic
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Starlette:
        raise NotImplementedError

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        code: int | None = None,
        hang_s: float = 0.0,
        after: int = 0,
    ) -> None:
        """The next `times` calls of `method` answer `status` (0: hang for hang_s and answer nothing).

        `after`: let that many calls succeed first.
        """
        queue = self._script.setdefault(method, deque())
        queue.extend([None] * after)
        queue.extend([Failure(status, retry_after, code, hang_s)] * times)

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` calls of `method` succeed, but only after `seconds`."""
        self._script.setdefault(method, deque()).extend([Failure(200, hang_s=seconds)] * times)

    def outage(
        self,
        method: str,
        status: int,
        seconds: float,
        *,
        starting_in: float = 0.0,
        retry_after: float | None = None,
        code: int | None = None,
        hang_s: float = 0.0,
    ) -> None:
        """A phase: every call of `method` in the next `seconds` (from `starting_in`) answers `status`
        (429, 5xx, 4xx, or 0: hang for hang_s and answer nothing). Scripted answers (`fail`) come first."""
        start = time.monotonic() + starting_in
        self._phases.setdefault(method, []).append((start, start + seconds, Failure(status, retry_after, code, hang_s)))

    def recover(self, method: str) -> None:
        """End every phase of `method` now."""
        self._phases.pop(method, None)

    def in_outage(self, method: str) -> bool:
        now = time.monotonic()
        return any(start <= now < end for start, end, _ in self._phases.get(method, []))

    async def next_failure(self, method: str) -> Failure | None:
        queue = self._script.get(method)
        failure = queue.popleft() if queue else None
        if failure is None:
            now = time.monotonic()
            failure = next((f for start, end, f in self._phases.get(method, []) if start <= now < end), None)
        if failure is not None and failure.status == 200:
            await asyncio.sleep(failure.hang_s)
            return None
        return failure

    def ok_calls(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.ok]

    async def wait_for(self, method: str, count: int, timeout: float = 20.0) -> list[Call]:
        """Wait until `count` calls of `method` were answered with success."""
        await until(
            lambda: len(self.ok_calls(method)) >= count, timeout,
            lambda: f"{method}: {len(self.ok_calls(method))} successful calls after {timeout}s, expected {count}; "
            f"all calls: {[(c.method, c.status) for c in self.calls]}",
        )
        return self.ok_calls(method)

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app(),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan=self.lifespan,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
