"""The managed Rasa server never outlives the bot process that started it (issue 15, item 11): real
`python -m bot chat` / `serve` processes, stopped or killed while their Rasa server is still loading."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.understanding.rasa import model_path, rasa_executable
from tests.support import free_port, wait_until

NLU_PROJECT = PROJECT_ROOT / "nlu"
pytestmark = [
    pytest.mark.nlu,
    pytest.mark.skipif(
        not (rasa_executable(NLU_PROJECT).exists() and model_path(NLU_PROJECT).exists()),
        reason="needs the Rasa environment and a trained model (make test builds both)",
    ),
]


def rasa_processes(port: int) -> list[int]:
    """Pids of `rasa run ... -p PORT` processes (the managed server of the bot under test)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and b"run" in argv and b"-p" in argv and argv[argv.index(b"-p") + 1 :][:1] == [
            str(port).encode()
        ] and any(arg.endswith(b"rasa") for arg in argv):
            found.append(int(entry.name))
    return found


class ManagedBot:
    """`python -m bot COMMAND` with a managed Rasa server on a port of its own."""

    def __init__(self, tmp_path: Path, command: str) -> None:
        self.port = free_port()
        raw = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
        raw["nlu"].update(mode="managed", managed_port=self.port, startup_timeout_s=300)
        raw["content_dir"] = str(PROJECT_ROOT / (raw.get("content_dir") or "content/answers"))
        config = tmp_path / "config.yml"
        config.write_text(yaml.safe_dump(raw), encoding="utf-8")
        env = {key: value for key, value in os.environ.items() if not key.startswith(("NLU_", "TELEGRAM_", "TWILIO_"))}
        env.update(
            TEMAN_CONFIG=str(config), TEMAN_VAR_DIR=str(tmp_path / "var"), APP_ENV="test",
            DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}", NLU_PROJECT_DIR=str(NLU_PROJECT),
            PORT=str(free_port()), PYTHONUNBUFFERED="1",
        )
        self.log = open(tmp_path / f"{command}.log", "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", command], cwd=PROJECT_ROOT, env=env,
            stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def rasa_started(self) -> list[int]:
        return wait_until(lambda: rasa_processes(self.port), 60, "the bot did not start its Rasa server")

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for pid in rasa_processes(self.port):  # a leftover this test caused; never leave 1 GB behind
            os.kill(pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def managed_bot(tmp_path: Path) -> Iterator[Callable[[str], ManagedBot]]:
    started: list[ManagedBot] = []

    def start(command: str) -> ManagedBot:
        bot = ManagedBot(tmp_path, command)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.stop()


@pytest.mark.parametrize("command", ["chat", "serve"])
def test_sigterm_while_rasa_is_loading_stops_the_rasa_server_too(managed_bot: Callable[[str], ManagedBot], command: str) -> None:
    bot = managed_bot(command)
    bot.rasa_started()
    time.sleep(1)  # well inside the model's loading time (tens of seconds)
    assert bot.proc.poll() is None, bot.output()
    bot.proc.send_signal(signal.SIGTERM)
    assert bot.proc.wait(30) != 0 or command == "serve"
    wait_until(lambda: not rasa_processes(bot.port), 20, lambda: f"Rasa outlived `bot {command}`:\n{bot.output()}")


@pytest.mark.parametrize("command", ["chat", "serve"])
def test_a_killed_bot_takes_its_rasa_server_with_it(managed_bot: Callable[[str], ManagedBot], command: str) -> None:
    bot = managed_bot(command)
    bot.rasa_started()
    time.sleep(1)
    bot.proc.kill()  # kill -9: no cleanup code runs in the bot
    bot.proc.wait(10)
    wait_until(lambda: not rasa_processes(bot.port), 20, lambda: f"Rasa outlived a killed `bot {command}`")


def test_sigterm_while_chat_waits_for_a_line_ends_it_cleanly(tmp_path: Path) -> None:
    """No Rasa here (the NLU address is closed): the stop signal alone, after start-up."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NLU_")}
    env.update(APP_ENV="test", TEMAN_VAR_DIR=str(tmp_path / "var"), DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
               NLU_URL=f"http://127.0.0.1:{free_port()}", NLU_TOKEN="unused", PYTHONUNBUFFERED="1")
    output = tmp_path / "chat.log"
    with open(output, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "chat"], cwd=PROJECT_ROOT, env=env,
                                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert proc.stdin is not None
        proc.stdin.write(b"halo\n")
        proc.stdin.flush()
        wait_until(lambda: b"bot> " in output.read_bytes(), 60, "no answer from `bot chat`")
        proc.send_signal(signal.SIGTERM)  # it now waits for the next line, which never comes
        assert proc.wait(20) == 128 + signal.SIGTERM, output.read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
