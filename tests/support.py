"""Test helpers: whole dialogs through dispatch, the real Rasa server, a clock the test moves, free
ports, and waiting for something to happen (never a bare sleep before asserting nothing did)."""

from __future__ import annotations

import asyncio
import io
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import App, build_app
from bot.channels.local import LocalSender
from bot.chat.dispatch import DispatchResult
from bot.chat.inbound import Button, Inbound, Reply
from bot.config import PROJECT_ROOT, NluSettings, Settings
from bot.outbox.rows import WAITING
from bot.storage.models import OutboxItem, utcnow
from bot.understanding.rasa import ManagedRasa, RasaClient, model_path

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Clock:
    """The app's clock, moved by the test: real time plus an offset (rows stamped with real time stay
    due), or, when `frozen`, that moment plus the offset (for exact waiting times)."""

    offset: timedelta = timedelta(0)
    frozen: datetime | None = None

    def __call__(self) -> datetime:
        return (self.frozen or utcnow()) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def _failure(message: str | Callable[[], str]) -> str:
    return message if isinstance(message, str) else message()


async def until(
    check: Callable[[], T], timeout: float = 15, message: str | Callable[[], str] = "condition not met in time"
) -> T:
    """Wait (in the event loop) until `check()` is truthy, and return it; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := check()):
        if loop.time() > deadline:
            raise AssertionError(_failure(message))
        await asyncio.sleep(0.02)
    return value


def wait_until(
    check: Callable[[], T], timeout: float = 15, message: str | Callable[[], str] = "condition not met in time"
) -> T:
    """`until` for a test thread that has no event loop (the browser tests)."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(_failure(message))
        time.sleep(0.05)
    return value


def pending_outbox(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.status.in_(WAITING))
        ) or 0)


async def outbox_drained(app: App, timeout: float = 15) -> None:
    """Wait until the app's running outbox worker has sent everything (no row pending or in flight).

    Replies are stored before a webhook answers, so after the webhook calls a test made, an empty
    outbox means nothing more will go out: what was sent is final.
    """
    await until(lambda: pending_outbox(app.sessions) == 0, timeout,
                lambda: f"{pending_outbox(app.sessions)} outbox rows still pending after {timeout}s")


@dataclass
class RasaServer:
    url: str
    token: str
    managed: ManagedRasa | None  # None: a server someone else started (TEST_RASA_URL)

    def stop(self) -> None:
        if self.managed is not None:
            self.managed.stop()


def launch_rasa(var_dir: Path | None = None) -> ManagedRasa:
    """Start `rasa run --enable-api` on a free port with the trained model, without waiting for it to load
    (fails loudly if the model is missing)."""
    project = PROJECT_ROOT / "nlu"
    if not model_path(project).exists():
        raise RuntimeError("no trained NLU model: run `make nlu-train` (make test does it first)")
    port = free_port()
    nlu = NluSettings(
        mode="managed", url=None, token=f"test-{uuid.uuid4().hex}", managed_port=port,
        startup_timeout_s=240, request_timeout_s=10, confidence_threshold=0.55, clarify_limit=3,
        recheck_interval_s=1, project_dir=project,
    )
    managed = ManagedRasa(nlu, var_dir or Path("/tmp") / f"teman-test-rasa-{port}")
    managed.start()
    return managed


def wait_for_rasa(managed: ManagedRasa) -> RasaServer:
    """Wait until a launched Rasa server answers with its model loaded; stop it if it never does."""
    client = RasaClient(managed.url, managed.token, 10)

    async def up() -> None:
        try:
            await managed.wait_ready(client)
        finally:
            await client.aclose()

    try:
        asyncio.run(up())
    except BaseException:
        managed.stop()
        raise
    return RasaServer(managed.url, managed.token, managed)


@dataclass
class Dialog:
    """A person talking to the bot on the local channel, through the production dispatch path."""

    app: App
    chat_id: str = "person-1"
    channel: str = "local"
    out: io.StringIO = field(default_factory=io.StringIO)
    last: list[Reply] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, chat_id: str = "person-1") -> Dialog:
        out = io.StringIO()
        app = build_app(settings, senders={"local": LocalSender(out)}, manage_nlu=False)
        return cls(app=app, chat_id=chat_id, out=out)

    async def send(self, inbound: Inbound) -> DispatchResult:
        result = await self.app.dispatcher.dispatch(inbound)
        if result.replies:
            self.last = result.replies
        return result

    async def say(self, text: str | None, *, kind: str = "text", message_id: str | None = None) -> list[Reply]:
        inbound = Inbound(
            channel=self.channel, chat_id=self.chat_id, message_id=message_id or uuid.uuid4().hex,
            text=text, kind=kind,
        )
        return (await self.send(inbound)).replies

    def button(self, label: str) -> Button:
        buttons = self.last[-1].buttons if self.last else ()
        for b in buttons:
            if label.lower() in b.label.lower():
                return b
        raise AssertionError(f"no button {label!r} among {[b.label for b in buttons]}")

    async def press(self, label: str) -> list[Reply]:
        """Press a button by (part of) its label, as the local channel does: by typing its number."""
        buttons = self.last[-1].buttons
        index = buttons.index(self.button(label)) + 1
        return await self.say(str(index))

    async def tap(self, label: str) -> list[Reply]:
        """Press a button the Telegram way: its payload arrives with the message."""
        button = self.button(label)
        inbound = Inbound(
            channel=self.channel, chat_id=self.chat_id, message_id=uuid.uuid4().hex,
            kind="button", payload=button.payload, text=button.label,
        )
        return (await self.send(inbound)).replies

    async def close(self) -> None:
        await self.app.aclose()


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


class TcpProxy:
    """A switchable TCP forwarder in front of a real server: lets a test take Rasa 'down' and back."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
