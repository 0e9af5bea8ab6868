"""The outbox worker with the real channel senders against the fake Bot API and Twilio servers:
order per chat, rates, 429 storms, 5xx and timeouts, dead rows, and restarts."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App, build_app, connect_channels
from bot.chat.inbound import Button, Reply
from bot.config import Settings
from bot.outbox.enqueue import enqueue
from bot.outbox.sender import LEASE, Outgoing
from bot.storage.db import transaction
from bot.storage.models import Contact, Message, OutboxItem, OutboxStatus, utcnow
from tests.conftest import make_settings
from tests.fakes import shapes
from tests.fakes.bot import channel_env, closed_nlu, serve_bot, tuned
from tests.fakes.server import Call
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import CREATE, FakeTwilio
from tests.support import Clock, outbox_drained, until

SEND = "sendMessage"
# PTB's own RetryAfter constructor reads its deprecated int-valued retry_after (PTB 22.2+).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def make(tmp_path: Path, database_url: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio):  # type: ignore[no-untyped-def]
    """Settings for both channels on the fakes, with test-sized waits unless told otherwise."""

    def settings(**tuning: float) -> Settings:
        env = channel_env(telegram=fake_telegram, twilio=fake_twilio)
        return tuned(make_settings(tmp_path, database_url, **closed_nlu(), **env), **tuning)

    return settings


@asynccontextmanager
async def bot_app(settings: Settings, clock: Callable[[], datetime] = utcnow) -> AsyncIterator[App]:
    """One process of the bot: the app with its real channel senders (no web server needed here)."""
    app = build_app(settings, clock=clock, manage_nlu=False)
    connect_channels(app)
    try:
        yield app
    finally:
        await app.aclose()


@asynccontextmanager
async def running_worker(app: App) -> AsyncIterator[None]:
    task = asyncio.create_task(app.outbox.run())
    try:
        yield
    finally:
        app.outbox.stop()
        await asyncio.wait_for(task, 30)


def queue_messages(
    app: App, channel: str, chat_ids: list[str], per_chat: int, *, prefix: str = "m"
) -> list[str]:
    """Replies waiting in the outbox, interleaved across chats as a busy hour produces them."""
    texts: list[str] = []
    with transaction(app.sessions) as session:
        contacts = {}
        for chat_id in chat_ids:
            contact = Contact(channel=channel, external_id=chat_id, last_inbound_at=utcnow())
            session.add(contact)
            session.flush()
            contacts[chat_id] = contact
        for n in range(per_chat):
            for chat_id in chat_ids:
                text = f"{prefix}{n} untuk {chat_id}"
                enqueue(session, contacts[chat_id], Reply(text))
                texts.append(text)
    app.outbox.wake()
    return texts


def telegram_texts(fake: FakeTelegram, chat_id: str) -> list[str]:
    return [c.params["text"] for c in fake.sent(chat_id)]


def rows(app: App) -> list[OutboxItem]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


async def test_a_429_storm_loses_nothing_and_sends_nothing_twice(make, fake_telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    settings = make(max_attempts=3)
    chats = ["1001", "1002", "1003"]
    fake_telegram.fail(SEND, 429, retry_after=1, times=2)
    fake_telegram.fail(SEND, 429, retry_after=1, times=3, after=4)  # a second wave mid-way
    async with bot_app(settings) as app, running_worker(app):
        texts = queue_messages(app, "telegram", chats, per_chat=4)
        await fake_telegram.wait_for(SEND, len(texts), timeout=30)

    assert sorted(c.params["text"] for c in fake_telegram.sent()) == sorted(texts)  # each exactly once
    for chat in chats:
        assert telegram_texts(fake_telegram, chat) == [f"m{n} untuk {chat}" for n in range(4)]  # in order
    assert {r.status for r in rows(app)} == {OutboxStatus.SENT}  # 5 refusals > max_attempts, none dead
    # Once a 429 is in, nothing more is sent before retry_after has passed (sends already on
    # the wire when it came back may still arrive just after it).
    calls = [c for c in fake_telegram.calls if c.method == SEND]
    for refused in (c for c in calls if c.status == 429):
        assert not [c for c in calls if refused.at + 0.1 < c.at < refused.at + 0.95]


async def test_a_long_429_pause_gives_waiting_rows_back_instead_of_holding_them(
    make, fake_telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    settings = make()
    settings = dataclasses.replace(
        settings, telegram=dataclasses.replace(settings.telegram, max_per_second=2)
    )
    fake_telegram.fail(SEND, 429, retry_after=20)
    async with bot_app(settings) as app:
        queue_messages(app, "telegram", ["1101", "1102"], per_chat=1)
        assert await app.outbox.drain_once() == 0
        # One request was refused; the other row, still waiting for its slot, was not sent into
        # the pause and is not held under a lease for 20 s either.
        assert [c.status for c in fake_telegram.calls if c.method == SEND] == [429]
        later = utcnow().timestamp() + 19
        for row in rows(app):
            assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
            assert row.next_attempt_at.timestamp() >= later


async def test_5xx_and_timeouts_are_retried_with_backoff_until_delivered(
    make, fake_telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    settings = make(send_timeout_s=0.5, base_backoff_s=0.2)
    fake_telegram.fail(SEND, 500, times=2)
    fake_telegram.fail(SEND, 0, hang_s=2.0)  # Telegram does not answer: the request times out
    async with bot_app(settings) as app, running_worker(app):
        [text] = queue_messages(app, "telegram", ["2001"], per_chat=1)
        await fake_telegram.wait_for(SEND, 1, timeout=20)

    assert [c.status for c in fake_telegram.calls if c.method == SEND] == [500, 500, 0, 200]
    assert telegram_texts(fake_telegram, "2001") == [text]
    [row] = rows(app)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 4)
    tries = [c.at for c in fake_telegram.calls if c.method == SEND]
    assert tries[1] - tries[0] >= 0.2 and tries[2] - tries[1] >= 0.4  # exponential backoff


async def test_a_channel_outage_holds_each_chat_behind_its_failing_reply_and_loses_nothing(
    make, fake_telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    # Many more failed tries than max_attempts: an outage is not the messages' fault.
    settings = make(max_attempts=2, base_backoff_s=0.05, max_backoff_s=0.3)
    chats = ["3101", "3102", "3103"]
    fake_telegram.outage(SEND, 502, seconds=2.5)
    async with bot_app(settings) as app, running_worker(app):
        texts = queue_messages(app, "telegram", chats, per_chat=3)
        await until(lambda: fake_telegram.in_outage(SEND) is False and len(fake_telegram.sent()) == len(texts), 20)

    refused = [c for c in fake_telegram.calls if c.method == SEND and c.status == 502]
    assert len(refused) >= 3 * len(chats)  # each chat's first reply was tried again and again ...
    assert {c.params["text"] for c in refused} == {f"m0 untuk {chat}" for chat in chats}  # ... and only it
    for chat in chats:
        assert telegram_texts(fake_telegram, chat) == [f"m{n} untuk {chat}" for n in range(3)]  # no hole, in order
    assert {r.status for r in rows(app)} == {OutboxStatus.SENT}
    assert sorted(fake_telegram.texts()) == sorted(texts)  # each once


async def test_a_reply_the_channel_has_not_taken_for_hours_is_dead_with_an_operator_alert_and_the_chat_moves_on(
    make, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    settings = make(give_up_after_hours=6, max_backoff_s=0.2)
    clock = Clock()
    fake_telegram.outage(SEND, 500, seconds=3600)
    async with bot_app(settings, clock=clock) as app, running_worker(app):
        first, second = queue_messages(app, "telegram", ["3001"], per_chat=2)
        await until(lambda: rows(app)[0].attempts >= 3)
        assert [r.status for r in rows(app)][1] is OutboxStatus.PENDING  # the chat waits behind it
        assert {c.params["text"] for c in fake_telegram.calls} == {first}
        clock.advance(hours=6)  # the first reply was written 6 hours ago: its next failure is the last
        await until(lambda: rows(app)[0].status is OutboxStatus.DEAD)
        fake_telegram.recover(SEND)  # the channel comes back: the chat's next reply goes out
        await fake_telegram.wait_for(SEND, 1, timeout=20)

    dead, sent = rows(app)
    assert (dead.status, sent.status) == (OutboxStatus.DEAD, OutboxStatus.SENT)
    assert telegram_texts(fake_telegram, "3001") == [second]
    alerts = [
        r for r in caplog.records if r.levelno == logging.ERROR and "operator action needed" in r.getMessage()
    ]
    assert len(alerts) == 1 and f"id={dead.id}" in alerts[0].getMessage() and "6 hours" in alerts[0].getMessage()
    with app.sessions() as session:
        assert (
            session.get(Message, dead.message_id).delivery_status == "dead"
        )  # staff see it in the transcript


async def test_an_unexpected_error_in_a_sender_counts_towards_max_attempts(make) -> None:  # type: ignore[no-untyped-def]
    class Broken:
        """A channel whose sending code has a bug for one message."""

        channel = "telegram"
        max_per_second = 100.0
        per_chat_interval_s = 0.0
        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send(self, message: Outgoing) -> str | None:
            if "rusak" in message.text:
                raise KeyError("buttons")
            self.sent.append(message.text)
            return None

    broken = Broken()
    app = build_app(make(max_attempts=3, max_backoff_s=0.05), senders={"telegram": broken}, manage_nlu=False)
    try:
        async with running_worker(app):
            with transaction(app.sessions) as session:
                contact = Contact(channel="telegram", external_id="3201")
                session.add(contact)
                session.flush()
                enqueue(session, contact, Reply("pesan rusak"))
                enqueue(session, contact, Reply("pesan berikutnya"))
            app.outbox.wake()
            await until(lambda: broken.sent == ["pesan berikutnya"])
    finally:
        await app.aclose()
    dead, sent = rows(app)
    assert (dead.status, dead.attempts, dead.failures, sent.status) == (OutboxStatus.DEAD, 3, 3, OutboxStatus.SENT)
    assert "KeyError" in (dead.last_error or "")


async def test_a_person_who_blocked_the_bot_is_not_retried(make, fake_telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    fake_telegram.fail(SEND, 403)
    async with bot_app(make()) as app:
        queue_messages(app, "telegram", ["4001"], per_chat=1)
        assert await app.outbox.drain_once() == 0
        [row] = rows(app)
        assert (row.status, row.attempts) == (OutboxStatus.DEAD, 1)
        assert "blocked" in (row.last_error or "")


async def test_a_worker_that_dies_mid_send_leaves_the_row_to_one_new_worker(
    make, fake_telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    settings = make(send_timeout_s=30)
    fake_telegram.fail(SEND, 0, hang_s=3.0)  # the request reaches Telegram, no answer comes back
    async with bot_app(settings) as first:
        [text] = queue_messages(first, "telegram", ["5001"], per_chat=1)
        dying = asyncio.create_task(first.outbox.drain_once())
        await until(lambda: fake_telegram.calls)
        dying.cancel()  # the process dies mid-send
        await asyncio.gather(dying, return_exceptions=True)
        [leased] = rows(first)
        # Marked "sending" with the time its request went out, leased for a while.
        assert (leased.status, leased.attempts) == (OutboxStatus.SENDING, 1)
        assert leased.attempted_at is not None and leased.attempted_at <= utcnow() < leased.next_attempt_at

    clock = Clock()
    async with bot_app(settings, clock=clock) as restarted:  # a new process on the same database
        assert await restarted.outbox.drain_once() == 0  # the lease holds: no second send alongside
        clock.advance(seconds=LEASE.total_seconds() + 1)
        assert await restarted.outbox.drain_once() == 1
        assert await restarted.outbox.drain_once() == 0
        [row] = rows(restarted)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert telegram_texts(fake_telegram, "5001") == [text]  # answered once


async def test_replies_pending_at_shutdown_are_sent_after_restart(make, fake_telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    settings = make()
    async with bot_app(settings) as first:
        texts = queue_messages(first, "telegram", ["6001", "6002"], per_chat=2)
        # Shut down before anything was sent (no worker ran).
    assert fake_telegram.sent() == []

    async with bot_app(settings) as second, running_worker(second):
        await fake_telegram.wait_for(SEND, len(texts))
    assert sorted(c.params["text"] for c in fake_telegram.sent()) == sorted(texts)


async def test_a_graceful_shutdown_lets_a_send_in_flight_finish(make, fake_telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    fake_telegram.slow(SEND, 0.8)
    async with bot_app(make()) as app:
        app.start_background()
        queue_messages(app, "telegram", ["7001"], per_chat=1)
        await until(lambda: rows(app)[0].attempts == 1)  # leased: the send has started
        # Leaving the block runs app.aclose() while Telegram is still answering.
    [row] = rows(app)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
    assert len(fake_telegram.sent("7001")) == 1


async def test_order_per_chat_and_the_configured_rates_are_kept(make, fake_telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    settings = make(per_chat_interval_s=0.3)
    settings = dataclasses.replace(
        settings, telegram=dataclasses.replace(settings.telegram, max_per_second=10)
    )
    chats = ["8001", "8002"]
    async with bot_app(settings) as app, running_worker(app):
        texts = queue_messages(app, "telegram", chats, per_chat=4)
        await fake_telegram.wait_for(SEND, len(texts))

    sends = fake_telegram.sent()
    for chat in chats:
        mine = [c for c in sends if c.params["chat_id"] == chat]
        assert [c.params["text"] for c in mine] == [f"m{n} untuk {chat}" for n in range(4)]
        # 1 per 0.3 s per chat (arrival times jitter by a few milliseconds)
        assert all(b.at - a.at >= 0.25 for a, b in zip(mine, mine[1:], strict=False))
    # 10 per second overall: on average, and no two much closer than 0.1 s
    assert sends[-1].at - sends[0].at >= 0.1 * (len(sends) - 1) * 0.95
    assert all(b.at - a.at >= 0.07 for a, b in zip(sends, sends[1:], strict=False))


async def test_a_long_text_goes_out_in_parts_and_a_retry_does_not_repeat_them(
    make, fake_telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    paragraphs = [f"Paragraf {n}: " + "kata " * 400 for n in range(5)]  # about 2,000 characters each
    long_text = "\n\n".join(paragraphs)
    fake_telegram.fail(SEND, 500, after=1)  # the second part fails once
    async with bot_app(make()) as app, running_worker(app):
        with transaction(app.sessions) as session:
            contact = Contact(channel="telegram", external_id="9001")
            session.add(contact)
            session.flush()
            enqueue(session, contact, Reply(long_text, (Button("Menu", "cmd:menu"),)))
        app.outbox.wake()
        await until(lambda: rows(app)[0].status is OutboxStatus.SENT)

    parts: list[Call] = fake_telegram.sent("9001")
    assert len(parts) == 3 and all(len(c.params["text"]) <= 4096 for c in parts)
    assert " ".join(" ".join(c.params["text"] for c in parts).split()) == " ".join(long_text.split())
    assert [("reply_markup" in c.params) for c in parts] == [
        False,
        False,
        True,
    ]  # buttons under the last part


async def test_whatsapp_rate_limits_are_waited_out_and_long_texts_split_for_twilio(
    make,
    fake_twilio: FakeTwilio,  # type: ignore[no-untyped-def]
) -> None:
    fake_twilio.fail(CREATE, 429, times=4)
    async with bot_app(make(max_attempts=3)) as app, running_worker(app):
        with transaction(app.sessions) as session:
            contact = Contact(channel="whatsapp", external_id="+6281111111", last_inbound_at=utcnow())
            session.add(contact)
            session.flush()
            enqueue(session, contact, Reply("Paragraf.\n\n" * 400, (Button("Menu", "cmd:menu"),)))
        app.outbox.wake()
        await until(lambda: rows(app)[0].status is OutboxStatus.SENT, timeout=30)

    bodies = fake_twilio.bodies("whatsapp:+6281111111")
    assert len(bodies) == 3 and all(len(b) <= 1600 for b in bodies)
    assert bodies[-1].endswith("Balas dengan angka:\n1. Menu")
    assert [c.status for c in fake_twilio.calls][:4] == [429] * 4  # 4 refusals > max_attempts: still sent



async def test_two_processes_on_one_database_keep_each_chats_order_and_interval(
    make, fake_telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    """Replica one sends each chat's first reply alone, the two then send side by side, and replica two
    sends the rest alone: each chat's order and interval hold whichever process sends. (Started
    together, one replica could take every reply, and only one process would have been checked.)"""
    settings = make(per_chat_interval_s=0.4)
    settings = dataclasses.replace(settings, telegram=dataclasses.replace(settings.telegram, max_per_second=50))
    chats = ["8101", "8102", "8103"]
    async with bot_app(settings) as one, bot_app(settings) as two:  # two replicas, one database
        texts = queue_messages(one, "telegram", chats, per_chat=4)
        one_worker = asyncio.create_task(one.outbox.run())
        try:
            await fake_telegram.wait_for(SEND, len(chats))
            async with running_worker(two):
                two.outbox.wake()
                await fake_telegram.wait_for(SEND, 2 * len(chats))
                one.outbox.stop()  # sends in flight finish; what one has not sent stays for two
                await asyncio.wait_for(one_worker, 30)
                await fake_telegram.wait_for(SEND, len(texts))
                await outbox_drained(two)
        finally:
            one.outbox.stop()
            await asyncio.wait_for(one_worker, 30)

    assert sorted(fake_telegram.texts()) == sorted(texts)  # each once
    for chat in chats:
        mine = fake_telegram.sent(chat)
        assert [c.params["text"] for c in mine] == [f"m{n} untuk {chat}" for n in range(4)]
        gaps = [round(b.at - a.at, 3) for a, b in zip(mine, mine[1:], strict=False)]
        assert min(gaps) >= 0.4, gaps
    for replica in (one, two):  # both replicas did send
        assert replica.outbox.health.record("telegram").last_success_at is not None


async def test_a_send_slower_than_the_lease_keeps_it_by_heartbeat_and_is_not_sent_twice(
    make, fake_telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    settings = make(lease_s=0.6)
    fake_telegram.slow(SEND, 2.5)  # Telegram takes four leases' time to answer
    async with bot_app(settings) as one, bot_app(settings) as two:
        async with running_worker(one), running_worker(two):
            [text] = queue_messages(one, "telegram", ["8201"], per_chat=1)
            await until(lambda: rows(one)[0].status is OutboxStatus.SENDING)
            two.outbox.wake()
            await until(lambda: rows(one)[0].status is OutboxStatus.SENT, timeout=10)
            await asyncio.sleep(1.0)  # a second send, if the lease had lapsed, would have gone out by now

    assert [c.params["text"] for c in fake_telegram.calls if c.method == SEND] == [text]
    [row] = rows(one)
    assert row.attempts == 1


async def test_readyz_shows_each_channels_health_through_an_outage(
    make, fake_telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    settings = make(max_backoff_s=0.2)
    fake_telegram.outage(SEND, 503, seconds=3600)
    async with serve_bot(settings, telegram=fake_telegram) as bot:

        async def telegram_health() -> dict:  # type: ignore[type-arg]
            response = await bot.http.get("/readyz")
            assert response.status_code == 200
            return response.json()["outbox"]["channels"]["telegram"]  # type: ignore[no-any-return]

        assert (await bot.post_update(shapes.message("/start"))).status_code == 200
        await until(lambda: rows(bot.app)[0].attempts >= 2)
        down = await telegram_health()
        assert down["state"] == "down" and down["waiting"] == 1 and down["last_success_at"] is None
        assert "Service Unavailable" in down["last_error"] or "503" in down["last_error"]
        assert down["failing_since"] is not None and down["oldest_waiting_s"] >= 0

        fake_telegram.recover(SEND)
        await fake_telegram.wait_for(SEND, 1)
        await outbox_drained(bot.app)
        up = await telegram_health()
        assert up["state"] == "up" and up["waiting"] == 0 and up["failing_since"] is None
        assert up["last_success_at"] > down["last_error_at"]


async def test_a_twilio_account_problem_is_retried_but_a_refused_number_is_dead_at_once(
    make, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    # Suspended credentials, a sender not set up, the daily limit: every message would fail alike.
    fake_twilio.fail(CREATE, 401, code=20003)
    fake_twilio.fail(CREATE, 400, code=63007)
    fake_twilio.fail(CREATE, 400, code=63038)
    async with bot_app(make(max_attempts=1)) as app, running_worker(app):
        with transaction(app.sessions) as session:
            contact = Contact(channel="whatsapp", external_id="+6281200000001", last_inbound_at=utcnow())
            session.add(contact)
            session.flush()
            enqueue(session, contact, Reply("Halo"))
        app.outbox.wake()
        await until(lambda: rows(app)[0].status is OutboxStatus.SENT)
        fake_twilio.fail(CREATE, 400, code=21614)  # not a mobile number: this message, never
        queue_messages(app, "whatsapp", ["+6281200000002"], per_chat=1)
        await until(lambda: rows(app)[-1].status is OutboxStatus.DEAD)

    assert [c.status for c in fake_twilio.calls] == [401, 400, 400, 201, 400]
    assert rows(app)[-1].attempts == 1 and "21614" in (rows(app)[-1].last_error or "")
    assert ["outbox.dead" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [True]
