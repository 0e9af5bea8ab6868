"""The reliability suite's score table, printed at the end of the run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.rasa_api import FakeRasa
from tests.reliability.harness import Score, table

SCORES: list[Score] = []


@pytest.fixture
def scoreboard() -> list[Score]:
    return SCORES


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    """A Rasa server the test can hang or kill (the real one's behaviour is not what is tested here)."""
    async with FakeRasa() as fake:
        yield fake


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SCORES:
        terminalreporter.section("reliability: sent / answered / lost / doubled per scenario")
        terminalreporter.write_line(table(SCORES))
