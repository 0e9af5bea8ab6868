"""Real `python -m bot serve` processes (replicas, the benchmark's bot): started, waited for, killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from sqlalchemy import create_engine, text

from bot.config import PROJECT_ROOT
from tests.pg_schemas import PG_ADMIN_URL, schema_url
from tests.support import free_port


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema (the URL points into it), dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield schema_url(PG_ADMIN_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def config_file(directory: Path, **overrides: Mapping[str, object]) -> Path:
    """config.yml with some sections changed (e.g. telegram={"max_per_second": 1000}), written to `directory`.

    Paths stay those of the project (content_dir and the NLU project are resolved next to config.yml).
    """
    raw = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    raw["content_dir"] = str(PROJECT_ROOT / (raw.get("content_dir") or "content/answers"))
    for section, values in overrides.items():
        raw[section] = {**(raw.get(section) or {}), **values}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@dataclass
class BotProcess:
    """One `python -m bot serve` on its own port, with the environment an operator would set."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> BotProcess:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_", "NLU_", "PUBLIC_URL"))},
            **self.env,
            "PORT": str(self.port),
            "NLU_PROJECT_DIR": str(PROJECT_ROOT / "nlu"),
        }
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], cwd=PROJECT_ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bot serve exited with {self.proc.returncode}; log:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"bot serve did not answer /healthz within {timeout:.0f}s; log:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9: no shutdown, no lease given back, sends in flight cut off."""
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it (uvicorn runs the lifespan shutdown)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the process used so far."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> tuple[float, float]:
        """(current, peak) resident memory in MB, from /proc."""
        assert self.proc is not None
        fields: dict[str, float] = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
        return fields["VmRSS"], fields["VmHWM"]
