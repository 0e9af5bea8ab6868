"""A real `python -m bot serve` process wired to the fake Telegram, Twilio and Rasa servers, traffic
sent as the channels send it (with redelivery), and the score of each scenario.

Every scenario message comes from a chat of its own, so what a chat received is exactly the answer
to that one message: nothing = lost (when the bot acknowledged it), the same text twice = doubled.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import Engine, func, select

from bot.channels.whatsapp import INBOUND_PATH
from bot.config import PROJECT_ROOT
from bot.outbox.rows import WAITING
from bot.storage.models import OutboxItem, OutboxStatus
from tests.fakes import shapes
from tests.fakes.bot import PUBLIC_URL, WEBHOOK_SECRET, channel_env
from tests.fakes.rasa_api import FakeRasa
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import AUTH_TOKEN, FakeTwilio
from tests.support import free_port

_chat_ids = itertools.count(880_000_001)
_phones = itertools.count(1)


def write_config(directory: Path) -> Path:
    """config.yml with test-sized waits (the process reads it through TEMAN_CONFIG)."""
    data = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    data["content_dir"] = str(PROJECT_ROOT / "content" / "answers")
    data["outbox"].update(
        base_backoff_s=0.05, max_backoff_s=0.5, poll_interval_s=0.2, send_timeout_s=1, lease_s=3
    )
    data["telegram"]["per_chat_interval_s"] = 0.1
    data["whatsapp"]["per_chat_interval_s"] = 0.1
    data["nlu"].update(request_timeout_s=1, recheck_interval_s=1)
    path = directory / "config.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


class BotProcess:
    """`python -m bot serve` as an operator runs it, pointed at the fakes."""

    def __init__(
        self, tmp_path: Path, database_url: str, telegram: FakeTelegram, twilio: FakeTwilio, rasa: FakeRasa
    ) -> None:
        self.port = free_port()
        self.log_path = tmp_path / "bot.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_", "NLU_"))},
            **channel_env(telegram=telegram, twilio=twilio),
            "TELEGRAM_MODE": "webhook",
            "NLU_URL": rasa.url,
            "NLU_TOKEN": rasa.token,
            "DATABASE_URL": database_url,
            "PORT": str(self.port),
            "APP_ENV": "test",
            "LOG_LEVEL": "INFO",
            "TEMAN_VAR_DIR": str(tmp_path / "var"),
            "TEMAN_CONFIG": str(write_config(tmp_path)),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=log
            )
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"bot serve exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"bot serve not up after {timeout}s:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    async def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.process.wait, 20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Sent:
    """One message a person sent, as the channel delivers it (again and again until acknowledged)."""

    channel: str
    chat: str
    deliveries: int = 0
    acknowledged: bool = False
    statuses: list[int | None] = field(default_factory=list)


@dataclass(frozen=True)
class Score:
    scenario: str
    database: str
    sent: int
    acknowledged: int
    answered: int
    lost: int  # acknowledged, never answered: the failure this suite exists to catch
    doubled: int  # replies a chat received more than once
    refused: int  # never acknowledged (the channel keeps redelivering those; not lost by the bot)
    note: str = ""


class Scenario:
    """Messages (one chat each) through the bot's real webhooks, then what the fakes received."""

    def __init__(
        self, name: str, database: str, bot: BotProcess, http: httpx.AsyncClient, telegram: FakeTelegram,
        twilio: FakeTwilio,
    ) -> None:
        self.name = name
        self.database = database
        self.bot = bot
        self.http = http
        self.telegram = telegram
        self.twilio = twilio
        self.messages: dict[str, tuple[Sent, Any]] = {}  # key: the channel's message id

    # ------------------------------------------------------------ sending
    def telegram_message(self, text: str, *, first_name: str = "Uji") -> str:
        """A new chat's update (not yet delivered); returns its key."""
        chat = next(_chat_ids)
        user = {"id": chat, "is_bot": False, "first_name": first_name, "language_code": "id"}
        update = shapes.message(text, user=user)
        key = f"tg:{update['update_id']}"
        self.messages[key] = (Sent("telegram", str(chat)), update)
        return key

    def whatsapp_message(self, body: str) -> str:
        phone = f"+62811{next(_phones):07d}"
        form = shapes.twilio_message(body, phone=phone)
        key = f"wa:{form['MessageSid']}"
        self.messages[key] = (Sent("whatsapp", phone), form)
        return key

    async def deliver(self, key: str) -> int | None:
        """One delivery attempt; the HTTP status, or None when the bot did not answer at all."""
        sent, payload = self.messages[key]
        sent.deliveries += 1
        try:
            if sent.channel == "telegram":
                response = await self.http.post(
                    f"{self.bot.url}/webhooks/telegram", json=payload,
                    headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
                )
            else:
                signature = shapes.twilio_signature(AUTH_TOKEN, PUBLIC_URL + INBOUND_PATH, payload)
                response = await self.http.post(
                    f"{self.bot.url}{INBOUND_PATH}", data=payload, headers={"X-Twilio-Signature": signature}
                )
            status: int | None = response.status_code
        except httpx.HTTPError:
            status = None
        sent.statuses.append(status)
        if status is not None and 200 <= status < 300:
            sent.acknowledged = True
        return status

    async def deliver_all(self, keys: list[str] | None = None, *, concurrency: int = 8, copies: int = 1) -> None:
        """Deliver messages concurrently; `copies` > 1 is a duplicate storm (the same update at once)."""
        gate = asyncio.Semaphore(concurrency)

        async def one(key: str) -> None:
            async with gate:
                await self.deliver(key)

        order = [k for k in (keys or list(self.messages)) for _ in range(copies)]
        await asyncio.gather(*(one(k) for k in order))

    async def redeliver_unacknowledged(self, rounds: int = 3) -> None:
        """What Telegram and Twilio do with a webhook that got no 2xx: try again, a few times."""
        for _ in range(rounds):
            pending = [k for k, (sent, _) in self.messages.items() if not sent.acknowledged]
            if not pending:
                return
            await self.deliver_all(pending)
            await asyncio.sleep(0.3)

    # ------------------------------------------------------------ scoring
    def replies(self, sent: Sent) -> list[str]:
        if sent.channel == "telegram":
            return self.telegram.texts(sent.chat)
        return self.twilio.bodies(f"whatsapp:{sent.chat}")

    def _unanswered(self) -> int:
        return sum(1 for sent, _ in self.messages.values() if sent.acknowledged and not self.replies(sent))

    async def settle(self, engine: Engine, timeout: float = 30) -> None:
        """Wait until every acknowledged message was answered and the outbox has nothing in flight."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if not self._unanswered() and waiting_rows(engine) == 0:
                return
            await asyncio.sleep(0.1)

    def score(self, note: str = "") -> Score:
        sent = [s for s, _ in self.messages.values()]
        acknowledged = [s for s in sent if s.acknowledged]
        answered = [s for s in acknowledged if self.replies(s)]
        doubled = sum(n - 1 for s in sent for n in Counter(self.replies(s)).values() if n > 1)
        return Score(
            self.name, self.database, len(sent), len(acknowledged), len(answered),
            len(acknowledged) - len(answered), doubled, len(sent) - len(acknowledged), note,
        )


def waiting_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.status.in_(WAITING))) or 0)


def in_flight_rows(engine: Engine) -> int:
    """Rows marked "sending": requests that may have reached the channel when the process died."""
    with engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count()).select_from(OutboxItem).where(OutboxItem.status == OutboxStatus.SENDING)
            )
            or 0
        )


def table(scores: list[Score]) -> str:
    header = ("scenario", "db", "sent", "acked", "answered", "lost", "doubled", "not acked", "note")
    lines = [
        (s.scenario, s.database, s.sent, s.acknowledged, s.answered, s.lost, s.doubled, s.refused, s.note)
        for s in scores
    ]
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    render = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in [header, *lines]]
    return "\n".join([render[0], "  ".join("-" * w for w in widths), *render[1:]])
