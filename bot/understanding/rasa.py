"""Async client for a Rasa server's /model/parse, and the managed local Rasa process."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.config import NluSettings
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
    """Turn Rasa's JSON into a Parse; never returns nlu_fallback as the intent."""
    ranking = tuple(
        (str(r["name"]), float(r.get("confidence") or 0.0))
        for r in body.get("intent_ranking") or []
        if r.get("name") and r["name"] != "nlu_fallback"
    )
    if not ranking and body.get("intent", {}).get("name") not in (None, "nlu_fallback"):
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
    """Talks to one Rasa server over HTTP with a short timeout."""

    def __init__(self, base_url: str, token: str | None, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 1.0)))

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    async def parse(self, text: str) -> Parse:
        try:
            resp = await self._http.post(
                f"{self.base_url}/model/parse", params=self._params(), json={"text": text}
            )
            resp.raise_for_status()
            return parse_response(resp.json())
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise NluUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def is_ready(self) -> bool:
        """True when the server answers /status with a loaded model."""
        try:
            resp = await self._http.get(f"{self.base_url}/status", params=self._params())
            return resp.status_code == 200 and bool(resp.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False

    async def aclose(self) -> None:
        await self._http.aclose()


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
            fh.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


class ManagedRasa:
    """Starts `rasa run --enable-api` on 127.0.0.1 with a random token, and stops it on exit."""

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
                [str(rasa), "run", "--enable-api", "--auth-token", self.token,
                 "-i", "127.0.0.1", "-p", str(self.port), "-m", str(model)],
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
        await self.wait_ready(client)

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
