"""The aiohttp request class under a real PTB Bot, against the fake Bot API: the same answers and
the same errors as PTB's own HTTPXRequest, so the outbox retries exactly as it did."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.channels.telegram import as_send_error, make_requests
from bot.channels.telegram_http import AiohttpRequest
from bot.outbox.sender import PermanentFailure, RetryLater, SendError
from tests.fakes.telegram_api import TOKEN, FakeTelegram

# PTB 22 warns about RetryAfter.retry_after inside Bot.send_message itself; nothing here to change.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
TIMEOUT_S = 0.5
# Connecting on loopback is refused or done at once; 0.5 s was too tight for httpx's connect (anyio
# resolves even an IP literal on a worker thread) in two full runs on a busy 2-core machine.
CONNECT_TIMEOUT_S = 5.0


def request_of(kind: str) -> BaseRequest:
    if kind == "aiohttp":
        return AiohttpRequest(read_timeout=TIMEOUT_S, write_timeout=TIMEOUT_S, connect_timeout=CONNECT_TIMEOUT_S)
    return HTTPXRequest(read_timeout=TIMEOUT_S, write_timeout=TIMEOUT_S, connect_timeout=CONNECT_TIMEOUT_S)


# Every expectation runs against HTTPXRequest too: it is the behaviour the outbox was written for.
@pytest.fixture(params=["aiohttp", "httpx"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def bot(kind: str, fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    calls, updates = request_of(kind), request_of(kind)
    yield Bot(TOKEN, base_url=fake_telegram.base_url, request=calls, get_updates_request=updates)
    await calls.shutdown()
    await updates.shutdown()


async def test_a_message_with_buttons_is_sent_and_read_back(bot: Bot, kind: str, fake_telegram: FakeTelegram) -> None:
    """Ours sends JSON (cheaper to encode), PTB's own a form: the Bot API reads the same from both."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Bahasa Indonesia", callback_data="lang:id")]])
    sent = await bot.send_message(42, "Halo, apa kabar? & 100% aman", reply_markup=markup)

    [call] = fake_telegram.sent(42)
    assert call.params["text"] == "Halo, apa kabar? & 100% aman"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Bahasa Indonesia", "callback_data": "lang:id"}]]
    }
    assert sent.message_id == call.result["message_id"] and sent.text == "Halo, apa kabar? & 100% aman"
    expected = "application/json" if kind == "aiohttp" else "application/x-www-form-urlencoded"
    assert ("sendMessage", expected) in fake_telegram.content_types


async def test_a_file_goes_out_as_multipart(bot: Bot, fake_telegram: FakeTelegram) -> None:
    await bot.send_document(42, b"%PDF-1.4 kontrak kerja", filename="kontrak.pdf", caption="Kontrak")

    [call] = [c for c in fake_telegram.calls if c.method == "sendDocument"]
    assert (call.status, call.params["chat_id"], call.params["caption"]) == (200, "42", "Kontrak")
    assert "kontrak.pdf" in call.params["document"]  # the fake records the upload by its name


@pytest.mark.parametrize(
    ("status", "error", "outbox"),
    [
        (429, RetryAfter, RetryLater),
        (500, NetworkError, RetryLater),
        (502, NetworkError, RetryLater),
        (403, Forbidden, PermanentFailure),
        (400, BadRequest, PermanentFailure),
    ],
)
async def test_telegram_errors_become_the_errors_the_outbox_sorts(
    bot: Bot, fake_telegram: FakeTelegram, status: int, error: type[TelegramError], outbox: type[SendError]
) -> None:
    fake_telegram.fail("sendMessage", status, retry_after=7)
    with pytest.raises(error) as raised:
        await bot.send_message(42, "halo")
    assert not isinstance(raised.value, TimedOut)
    decision = as_send_error(raised.value)
    assert type(decision) is outbox
    if status == 429:
        assert isinstance(decision, RetryLater) and decision.rate_limited and decision.retry_after == 7
    await bot.send_message(42, "halo lagi")  # the connection pool is still usable
    assert fake_telegram.texts(42) == ["halo lagi"]


async def test_no_answer_is_a_timeout_and_the_request_is_given_up(
    bot: Bot, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.fail("sendMessage", 0, hang_s=3 * TIMEOUT_S)
    with pytest.raises(TimedOut):
        await bot.send_message(42, "halo")
    assert [c.status for c in fake_telegram.calls] == [0]
    await bot.send_message(42, "halo lagi")
    assert fake_telegram.texts(42) == ["halo lagi"]


async def test_nothing_listening_is_a_network_error_not_a_timeout(kind: str) -> None:
    calls = request_of(kind)
    # A port held bound but never listening: connecting is refused at once. (A port only found free
    # could meanwhile become a client socket's own port, and a connection to it from that same
    # port connects to itself and waits for an answer: a timeout, once in a full run.)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        unreachable = Bot(TOKEN, base_url=f"http://127.0.0.1:{closed.getsockname()[1]}/bot", request=calls)
        try:
            with pytest.raises(NetworkError) as raised:
                await unreachable.send_message(42, "halo")
        finally:
            await calls.shutdown()
    assert not isinstance(raised.value, TimedOut)


async def test_the_long_poll_has_its_own_connection_and_a_longer_read_timeout(
    fake_telegram: FakeTelegram,
) -> None:
    calls, updates = make_requests(TIMEOUT_S)
    bot = Bot(TOKEN, base_url=fake_telegram.base_url, request=calls, get_updates_request=updates)
    try:
        # PTB adds the poll's own timeout to the read timeout: a 1 s poll outlasts TIMEOUT_S without a TimedOut.
        assert await bot.get_updates(timeout=1) == ()
        fake_telegram.push_update({"update_id": 7})
        assert [u.update_id for u in await bot.get_updates(timeout=1)] == [7]
        await bot.send_message(42, "halo")
    finally:
        await calls.shutdown()
        await updates.shutdown()
    with pytest.raises(NetworkError):  # shut down means shut down, as with HTTPXRequest
        await bot.send_message(42, "after shutdown")
    await calls.initialize()
    try:
        await bot.send_message(42, "initialized again")
    finally:
        await calls.shutdown()
    assert fake_telegram.texts(42) == ["halo", "initialized again"]
