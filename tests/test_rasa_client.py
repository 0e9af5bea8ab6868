"""RasaClient against fake Rasa servers: turns, failover, and NluUnavailable only when every server fails."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot.understanding.rasa import NluUnavailable, RasaClient
from tests.fakes.rasa_api import PARSE, TOKEN, FakeRasa

TIMEOUT_S = 0.5


@pytest.fixture
async def two_servers() -> AsyncIterator[tuple[FakeRasa, FakeRasa]]:
    async with FakeRasa("ask_costs") as first, FakeRasa("ask_costs") as second:
        yield first, second


@pytest.fixture
async def client(two_servers: tuple[FakeRasa, FakeRasa]) -> AsyncIterator[RasaClient]:
    rasa = RasaClient([server.url for server in two_servers], TOKEN, TIMEOUT_S, retry_after_s=60)
    yield rasa
    await rasa.aclose()


def parses(server: FakeRasa) -> list[int]:
    return [call.status for call in server.calls if call.method == PARSE]


async def test_parses_take_turns_and_a_leading_slash_is_not_a_command(
    client: RasaClient, two_servers: tuple[FakeRasa, FakeRasa]
) -> None:
    first, second = two_servers
    for _ in range(2):
        parsed = await client.parse("/berapa biaya ke hongkong")
        assert (parsed.intent, parsed.confidence) == ("ask_costs", 0.95)
    assert (parses(first), parses(second)) == ([200], [200])
    assert first.calls[0].params == {"text": "berapa biaya ke hongkong"}
    assert await client.is_ready()


@pytest.mark.parametrize(("status", "hang_s"), [(500, 0.0), (401, 0.0), (0, 3 * TIMEOUT_S)])
async def test_a_failing_server_is_skipped_then_tried_last(
    client: RasaClient, two_servers: tuple[FakeRasa, FakeRasa], status: int, hang_s: float
) -> None:
    first, second = two_servers
    first.outage(PARSE, status, 60, hang_s=hang_s)
    for _ in range(3):
        assert (await client.parse("halo")).intent == "ask_costs"
    assert parses(first) == [status]  # tried once, then last: the second server answers every parse
    assert parses(second) == [200, 200, 200]


async def test_when_every_server_fails_the_parse_is_unavailable(
    client: RasaClient, two_servers: tuple[FakeRasa, FakeRasa]
) -> None:
    first, second = two_servers
    first.outage(PARSE, 503, 60)
    await second.stop()  # connection refused
    started = time.monotonic()
    with pytest.raises(NluUnavailable) as raised:
        await client.parse("halo")
    assert time.monotonic() - started < 2 * TIMEOUT_S
    assert first.url in str(raised.value) and second.url in str(raised.value)

    first.recover(PARSE)  # a failed server is still asked when it is the only hope
    assert (await client.parse("halo")).intent == "ask_costs"


async def test_nothing_listening_is_not_ready() -> None:
    async with FakeRasa() as server:
        url = server.url
    rasa = RasaClient(url, TOKEN, TIMEOUT_S)
    try:
        assert not await rasa.is_ready()
        with pytest.raises(NluUnavailable):
            await rasa.parse("halo")
    finally:
        await rasa.aclose()
