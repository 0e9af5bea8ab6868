"""Async client for a Rasa server's /model/parse, and the managed local Rasa process."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from bot.config import NluSettings
from bot.understanding.intents import NAMES
from bot.understanding.result import Entity

log = logging.getLogger(__name__)


class NluUnavailable(Exception):
    """The Rasa server did not answer usably (down, slow, or an error)."""


class NluSetupError(Exception):
    """The managed Rasa server cannot be started; the message says what to run."""


@dataclass(frozen=True)
class Parse:
    intent: str | None
    confidence: float
    ranking: tuple[tuple[str, float], ...]
    entities: tuple[Entity, ...]


def _entity_value(entity: str, raw: Any) -> str:
    text = " ".join(str(raw).split())
    if entity == "country":
        # Content filters use snake_case English names ("hong kong" -> "hong_kong").
        return text.lower().replace(" ", "_")
    if entity == "case_id":
        return text.upper().replace(" ", "-")
    return text  # agency names stay as written; the registry lookup is fuzzy


def parse_response(body: dict[str, Any]) -> Parse:
    """Turn Rasa's JSON into a Parse whose intents are all in the catalogue (never nlu_fallback).

    Rasa reads a message starting with "/" as an intent name ("/menu" -> intent "menu", confidence
    1.0); such names, like any name a stale model may still know, are not intents of this bot.
    """
    ranking = tuple(
        (str(r["name"]), float(r.get("confidence") or 0.0))
        for r in body.get("intent_ranking") or []
        if r.get("name") in NAMES
    )
    if not ranking and body.get("intent", {}).get("name") in NAMES:
        top = body["intent"]
        ranking = ((str(top["name"]), float(top.get("confidence") or 0.0)),)
    # DIET and the regex extractor may both report the same entity: keep each (entity, value) once.
    found: dict[tuple[str, str], Entity] = {}
    for e in body.get("entities") or []:
        if e.get("entity") and e.get("value") not in (None, ""):
            entity = Entity(str(e["entity"]), _entity_value(str(e["entity"]), e["value"]), e.get("value"))
            found.setdefault((entity.entity, entity.value), entity)
    entities = tuple(found.values())
    intent, confidence = ranking[0] if ranking else (None, 0.0)
    return Parse(intent=intent, confidence=confidence, ranking=ranking, entities=entities)


class RasaClient:
    """Talks to one or more Rasa servers over HTTP with a short timeout.

    With several servers (a comma-separated NLU_URL) parses take turns across them, and a server
    that failed is tried last for `retry_after_s`, so one that is down costs nothing once noticed.
    A parse fails (NluUnavailable) only when every server failed; each try has the full timeout.
    """

    def __init__(
        self, base_url: str | Sequence[str], token: str | None, timeout_s: float, *, retry_after_s: float = 15.0
    ) -> None:
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not urls:
            raise ValueError("RasaClient needs at least one server URL")
        self.base_urls = tuple(url.rstrip("/") for url in urls)
        self.base_url = self.base_urls[0]
        self.token = token
        self.retry_after_s = retry_after_s
        self._turn = 0
        self._failed_until: dict[str, float] = {}
        query = {"token": token} if token else {}
        # Built once: aiohttp takes a ready URL as it is, a string it would parse on every parse.
        self._parse_urls = {url: URL(f"{url}/model/parse").with_query(query) for url in self.base_urls}
        self._status_urls = {url: URL(f"{url}/status").with_query(query) for url in self.base_urls}
        # As httpx.Timeout(timeout_s, connect=...) was: each read and each wait for a connection
        # gets timeout_s, connecting itself at most a second (a server that is down is noticed fast).
        self._timeout = aiohttp.ClientTimeout(
            connect=timeout_s, sock_connect=min(timeout_s, 1.0), sock_read=timeout_s
        )
        # aiohttp rather than httpx: ~120 instead of ~470 µs of CPU per parse (httpx was ~10% of the
        # bot's CPU under load). The session belongs to the loop it is made in: made on first use.
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    def _servers(self) -> list[str]:
        """Every server, starting with the next in turn; those that failed recently go last."""
        count = len(self.base_urls)
        start, self._turn = self._turn, (self._turn + 1) % count
        ordered = [self.base_urls[(start + i) % count] for i in range(count)]
        now = time.monotonic()
        return sorted(ordered, key=lambda url: self._failed_until.get(url, 0.0) > now)

    async def parse(self, text: str) -> Parse:
        # Rasa reads "/name" as "intent name, confidence 1.0" without asking the model; the bot's
        # own commands never get here, so a leading slash is just a typo to the classifier.
        text = text.lstrip("/") or text
        errors: list[str] = []
        for url in self._servers():
            try:
                async with self._http().post(self._parse_urls[url], json={"text": text}) as resp:
                    resp.raise_for_status()
                    parsed = parse_response(json.loads(await resp.read()))
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError, AttributeError) as exc:
                self._failed_until[url] = time.monotonic() + self.retry_after_s
                errors.append(f"{url}: {type(exc).__name__}: {exc}")
                if len(self.base_urls) > 1:
                    log.warning("nlu.server_failed url=%s error=%s: trying the next", url, errors[-1])
                continue
            self._failed_until.pop(url, None)
            return parsed
        raise NluUnavailable("; ".join(errors))

    async def is_ready(self) -> bool:
        """True when a server answers /status with a loaded model."""
        for url in self.base_urls:
            try:
                async with self._http().get(self._status_urls[url]) as resp:
                    if resp.status == 200 and bool(json.loads(await resp.read()).get("model_file")):
                        self._failed_until.pop(url, None)
                        return True
            except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError):
                continue
        return False

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def model_path(project_dir: Path) -> Path:
    return project_dir / "models" / "current.tar.gz"


def rasa_executable(project_dir: Path) -> Path:
    return project_dir / ".venv" / "bin" / "rasa"


def managed_token(var_dir: Path) -> str:
    """A token kept under var/, so `serve`, `chat` and `triage` can share one local Rasa server."""
    path = var_dir / "nlu-token"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(24))
    return path.read_text().strip()


# Runs first in the child, then becomes Rasa: asks the kernel to SIGKILL it when the bot dies (Linux
# prctl PR_SET_PDEATHSIG, which execve keeps), so even a kill -9 of the bot takes Rasa along. A fresh
# single-threaded interpreter does it, not a preexec_fn, which is unsafe in a process with threads.
DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit('teman-migran: the bot exited before its Rasa server started')\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def dying_with_parent(argv: list[str]) -> list[str]:
    """`argv` run so that it cannot outlive this process (Linux; elsewhere only stop() ends it)."""
    if not sys.platform.startswith("linux"):
        return argv
    return [sys.executable, "-c", DIE_WITH_PARENT, str(os.getpid()), *argv]


class ManagedRasa:
    """Starts `rasa run --enable-api` on 127.0.0.1 with a random token, and stops it on exit.

    The server never outlives the bot: stop() ends its process group on a normal exit or a stop
    signal (also while it is still loading), and the kernel kills it when the bot dies any other way.
    The parent-death signal belongs to the thread that started the server, so start it from the
    thread that runs the event loop for the whole process (as `serve`, `chat` and `triage` do).
    """

    def __init__(self, settings: NluSettings, var_dir: Path) -> None:
        self.settings = settings
        self.port = settings.managed_port
        self.token = settings.token or managed_token(var_dir)
        self.log_path = var_dir / "log" / "rasa.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        rasa = rasa_executable(self.settings.project_dir)
        model = model_path(self.settings.project_dir)
        if not rasa.exists():
            raise NluSetupError(f"the Rasa environment {rasa.parent.parent} is missing; run `make nlu-env`.")
        if not model.exists():
            raise NluSetupError(f"the NLU model {model} is missing; run `make nlu-train`.")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
        with open(self.log_path, "ab") as logfile:
            self._proc = subprocess.Popen(
                # "--auth-token=X": a token beginning with "-" (token_urlsafe made 1 in 64 of them) is
                # otherwise read as an option, and Rasa exits at once.
                dying_with_parent([str(rasa), "run", "--enable-api", f"--auth-token={self.token}",
                                   "-i", "127.0.0.1", "-p", str(self.port), "-m", str(model)]),
                cwd=self.settings.project_dir,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # so stop() can end Rasa's whole process group
            )
        log.info("nlu.managed.start pid=%s port=%s log=%s", self._proc.pid, self.port, self.log_path)

    async def ensure_running(self, client: RasaClient) -> None:
        """Reuse a local Rasa server that already answers with our token, else start one."""
        if await client.is_ready():
            log.info("nlu.managed.reuse port=%s", self.port)
            return
        self.start()
        try:
            await self.wait_ready(client)
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            # The bot is stopping while Rasa still loads: take it along. (A slow load that timed out
            # keeps running instead: the bot runs degraded and picks Rasa up once it answers.)
            self.stop()
            raise

    async def wait_ready(self, client: RasaClient) -> None:
        started = time.monotonic()
        deadline = started + self.settings.startup_timeout_s
        next_note = started + 15  # loading takes about a minute on 2 cores: say so, not silence
        while time.monotonic() < deadline:
            if time.monotonic() >= next_note:
                log.info("nlu.managed.loading port=%s waited_s=%.0f", self.port, time.monotonic() - started)
                next_note += 15
            if self._proc is not None and self._proc.poll() is not None:
                raise NluSetupError(
                    f"the Rasa server exited with status {self._proc.returncode}; see {self.log_path}."
                )
            if await client.is_ready():
                log.info("nlu.managed.ready port=%s", self.port)
                return
            await asyncio.sleep(0.5)
        raise NluSetupError(
            f"the Rasa server was not ready within {self.settings.startup_timeout_s:.0f} s; see {self.log_path}."
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.info("nlu.managed.stopped")
