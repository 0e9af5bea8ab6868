"""The real ASGI app served by uvicorn on a free 127.0.0.1 port, for browser and HTTP tests.

Also what a person and a staff member do around it: a person writes through the production
dispatch path (in the server's own event loop), staff accounts are made as the CLI makes them.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any, TypeVar

import httpx
import uvicorn
from sqlalchemy import select

from bot.app import App, build_app
from bot.channels.local import LocalSender
from bot.chat.dispatch import DispatchResult
from bot.chat.inbound import Inbound
from bot.config import Settings
from bot.hotline.staff import create_staff
from bot.storage.db import transaction
from bot.storage.models import Escalation, StaffRole
from bot.web.server import build_web
from tests.fakes.server import FakeServer
from tests.support import free_port, wait_until

T = TypeVar("T")
PASSWORD = "kata-sandi-rahasia-123"


@dataclass
class LiveServer:
    app: App
    out: io.StringIO  # what people on the local channel received
    port: int = field(default_factory=free_port)
    loop: asyncio.AbstractEventLoop | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, settings: Settings, *, before_app: list[FakeServer] | None = None) -> LiveServer:
        """Serve `build_web` (what `python -m bot serve` runs); fakes in `before_app` start first."""
        out = io.StringIO()
        app = build_app(settings, senders={"local": LocalSender(out)}, manage_nlu=False)
        live = cls(app=app, out=out)
        web = build_web(app)
        config = uvicorn.Config(web, host="127.0.0.1", port=live.port, log_level="warning", lifespan="on")
        live._server = uvicorn.Server(config)
        fakes = list(before_app or [])
        ready = threading.Event()

        async def serve() -> None:
            # The fake channel servers share this loop, so the bot can reach them from its first moment.
            for fake in fakes:
                await fake.start()
            ready.set()
            try:
                await live._server.serve()  # type: ignore[union-attr]
            finally:
                for fake in fakes:
                    await fake.stop()

        def run() -> None:
            loop = asyncio.new_event_loop()
            live.loop = loop
            asyncio.set_event_loop(loop)
            loop.run_until_complete(serve())
            loop.close()

        live._thread = threading.Thread(target=run, name=f"uvicorn-{live.port}", daemon=True)
        live._thread.start()
        ready.wait(20)
        deadline = time.monotonic() + 20
        while not live._server.started:
            if time.monotonic() > deadline or not live._thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        return live

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine in the server's event loop (where the dispatcher and outbox live)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def say(self, chat_id: str, text: str, channel: str = "local") -> DispatchResult:
        """A person writes to the bot."""
        inbound = Inbound(channel=channel, chat_id=chat_id, message_id=uuid.uuid4().hex, text=text)
        return self.run(self.app.dispatcher.dispatch(inbound))

    def add_staff(self, username: str, role: StaffRole = StaffRole.AGENT, **kwargs: Any) -> int:
        with transaction(self.app.sessions) as session:
            return create_staff(session, username, PASSWORD, role, **kwargs).id

    def escalation(self, escalation_id: int) -> Escalation:
        with self.app.sessions() as session:
            escalation = session.get(Escalation, escalation_id)
            assert escalation is not None
            return escalation

    def escalations(self) -> list[Escalation]:
        with self.app.sessions() as session:
            return list(session.scalars(select(Escalation).order_by(Escalation.id)))

    def wait_for_output(self, text: str, timeout: float = 15) -> str:
        """What the local channel printed, once it contains `text` (the outbox sends on its own)."""
        wait_until(lambda: text in self.out.getvalue(), timeout,
                   lambda: f"{text!r} never reached the person; they got:\n{self.out.getvalue()}")
        return self.out.getvalue()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(20)


def client(base_url: str) -> httpx.Client:
    """An HTTP client that keeps the console's Secure cookie on http://127.0.0.1, as browsers do."""
    jar = _secure_local_jar()
    return httpx.Client(
        base_url=base_url, timeout=30,
        event_hooks={"request": [jar.set_cookie_header], "response": [jar.extract_cookies]},
    )


def async_client(base_url: str) -> httpx.AsyncClient:
    jar = _secure_local_jar()

    async def send(request: httpx.Request) -> None:
        jar.set_cookie_header(request)

    async def keep(response: httpx.Response) -> None:
        jar.extract_cookies(response)

    return httpx.AsyncClient(base_url=base_url, timeout=30, event_hooks={"request": [send], "response": [keep]})


def _secure_local_jar() -> httpx.Cookies:
    # Browsers count 127.0.0.1 as a secure context; http.cookiejar (httpx's own jar) would
    # withhold the console's Secure cookie there, so these clients keep their own.
    cookies = httpx.Cookies()
    cookies.jar.set_policy(DefaultCookiePolicy(secure_protocols=("https", "wss", "http")))
    return cookies


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the login form, as a browser does."""
    page = client.get("/console/login")
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )

