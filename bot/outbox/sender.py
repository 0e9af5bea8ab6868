"""Drains the outbox: in order per chat, within each channel's rate, retrying without losing a row."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import functools
import logging
import math
import random
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.config import OutboxSettings
from bot.outbox import rows
from bot.outbox.health import HealthBoard
from bot.outbox.outgoing import (
    ChannelSender,
    HoldMessage,
    Outgoing,
    PermanentFailure,
    RetryLater,
    SendError,
    WindowOpen,
)
from bot.outbox.rows import LEASE, Head
from bot.storage.chained import autocommitting
from bot.storage.db import AnyDatabaseWork, DatabaseWork, transaction
from bot.storage.models import OutboxStatus, utcnow

__all__ = [
    "LEASE",
    "MAX_IN_FLIGHT",
    "ChannelSender",
    "HoldMessage",
    "OutboxWorker",
    "Outgoing",
    "PermanentFailure",
    "RetryLater",
    "SendError",
    "WindowOpen",
]

log = logging.getLogger(__name__)
# A send (every part of a long text) that takes longer is abandoned and retried.
SEND_DEADLINE_S = 30.0
# Sends in progress at once (never two to the same chat), and chats looked at per pass beyond the
# free places: a pass loads only what it may launch, so a long queue (a campaign) costs little per pass.
MAX_IN_FLIGHT = 32
HEADS_SPARE = 32
# A row waits at most this long for its channel's send slot (longer 429 pauses: see _take_slot).
MAX_SLOT_WAIT_S = 10.0
# Writing an outcome is retried this often: giving up on "sent" would send the reply again.
FINISH_TRIES = 5
# Campaign rows (bulk) in flight book the channel's send slots at most this far ahead, so a reply
# that comes in during a campaign waits for a fraction of a second, not for a queue of slots.
BULK_AHEAD_S = 0.5
IN_DOUBT = "in doubt"


def _task_name(item: Outgoing) -> str:
    return f"outbox-{item.id}"


class OutboxWorker:
    """Sends due rows concurrently across chats, one at a time per chat.

    Ordering: only the oldest waiting row of a chat is sent, and only after a conditional UPDATE
    in the database claimed it (bot.outbox.rows.claim), so order and the per-chat interval hold
    across processes. Rates: a channel's sends are spaced 1/max_per_second apart in this process;
    a 429 pauses the channel for retry_after. Crashes: a row is marked "sending" (with the attempt
    time, leased for outbox.lease_s and renewed every third of it) only just before its request goes out, so
    after a kill -9 only the requests that were on the wire are sent again (at least once).
    Failures: "the channel is down" (5xx, timeout, no connection, 429) is retried with capped,
    jittered backoff until the reply is outbox.give_up_after_hours old, and the chat waits behind
    it; "this message is refused" (4xx) is dead at once; both dead cases log an operator line.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        senders: Mapping[str, ChannelSender],
        settings: OutboxSettings,
        clock: Callable[[], datetime] = utcnow,
        db: AnyDatabaseWork | None = None,
    ) -> None:
        self.db: AnyDatabaseWork = db or DatabaseWork()
        self.sessions = sessions
        self._autocommit = autocommitting(sessions)
        self.senders = dict(senders)
        self.settings = settings
        self.clock = clock
        self.health = HealthBoard()
        self.lease = timedelta(seconds=settings.lease_s)
        self._wake = asyncio.Event()
        self._stopping = False
        self._inflight: dict[tuple[str, str], asyncio.Task[bool]] = {}
        self._bulk_inflight: dict[str, int] = {}  # campaign rows in flight, per channel
        self._bulk_capped = False  # a pass left campaign rows for lack of a campaign place
        self._next_slot: dict[str, float] = {}  # monotonic time a channel may send next
        self._door: dict[str, float] = {}  # ... and when its next request may actually leave
        self._departures: dict[str, collections.deque[float]] = {}  # requests that left in the last second
        self._paused_until: dict[str, float] = {}  # after a 429
        self._rate_limited_streak: dict[str, int] = {}
        # When this process last sent to a chat: saves claims that would fail. The database keeps
        # the interval across processes (rows.claim).
        self._last_chat_send: dict[tuple[str, str], float] = {}
        self._wait_hint: float | None = None  # seconds until something throttled is due
        self._running = False
        # The fast path (offer): rows a turn just committed, waiting behind their chat's send in flight.
        self._offered: dict[tuple[str, str], deque[Head]] = {}
        # Chats a pass skipped because a send was in flight, or any chat when too many were: when
        # such a send finishes, a pass looks again.
        self._look_after: set[tuple[str, str]] = set()
        self._crowded = False
        # wake() was called: rows may wait behind a chat's send in flight, so the pass notes every
        # chat it skips (a pass woken by a finished send notes only rows other than the one in flight).
        self._enqueued = False
        self._noting_all = True
        # "Sent" outcomes waiting for the transaction that writes them (_record_sent), and its task.
        self._sent: list[tuple[Outgoing, str | None, asyncio.Future[None]]] = []
        self._sent_writer: asyncio.Task[None] | None = None

    def add_sender(self, sender: ChannelSender) -> None:
        """A channel connected after the app was built (Telegram, WhatsApp)."""
        self.senders[sender.channel] = sender

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._enqueued = True
        self._wake.set()

    def offer(self, heads: Sequence[Head]) -> None:
        """Rows a turn has just committed: sent at once, without a pass looking for them.

        Only a shortcut: each is still claimed in the database (order and spacing across
        processes), and what cannot go at once (its chat throttled, too many sends running, its
        claim refused) is left to a pass, as if it had never been offered.
        """
        if not self._running or self._stopping:
            self._give_back(heads)
            self.wake()
            return
        now = time.monotonic()
        for head in heads:
            key = (head.message.channel, head.message.chat_id)
            if key in self._offered or key in self._inflight:
                self._offered.setdefault(key, deque()).append(head)  # sent when the chat's send finishes
            elif not isinstance(self._launch(head, now), asyncio.Task):
                self.wake()

    def sendable_now(self, channel: str, chat_id: str) -> tuple[datetime, timedelta | None, timedelta] | None:
        """Whether a reply to this chat, stored now, can be sent at once by this process: then
        (the claim time, the chat's spacing or None, the lease) for the turn to claim it with
        (bot.outbox.enqueue.Claim); None when it must wait for a pass. Called from the dispatch thread:
        it only reads, and `_launch` sends a claimed row whatever changed since."""
        sender = self.senders.get(channel)
        if sender is None or not self._running or self._stopping or len(self._inflight) >= MAX_IN_FLIGHT:
            return None
        key = (channel, chat_id)
        now = time.monotonic()
        if key in self._inflight or key in self._offered or self._paused_until.get(channel, 0.0) > now:
            return None
        if self._last_chat_send.get(key, -math.inf) + sender.per_chat_interval_s > now:
            return None
        spacing = timedelta(seconds=sender.per_chat_interval_s) if sender.per_chat_interval_s > 0 else None
        return self.clock(), spacing, self.lease

    def _give_back(self, heads: Sequence[Head]) -> None:
        """Rows claimed with their turn that this process will not send now go back to waiting, due
        at once, so a pass (here or in another replica) sends them instead of waiting out the lease."""
        claimed = [head.message for head in heads if head.claimed]
        if not claimed:
            return

        def give_back() -> None:
            for item in claimed:
                with transaction(self.sessions) as session:
                    rows.back_to_pending(
                        session, item, due=self.clock(), error=None, give_back_try=True, failed=False, progress={}
                    )

        def logged(done: asyncio.Future[None]) -> None:
            if done.exception() is not None:  # the rows are then sent once their lease runs out
                log.error("outbox.give_back_failed ids=%s error=%s", [i.id for i in claimed], done.exception())

        asyncio.ensure_future(self.db.run(give_back)).add_done_callback(logged)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Send until stopped; pending rows left at shutdown are sent after the next start."""
        log.info("outbox.worker.start channels=%s", ",".join(sorted(self.senders)) or "-")
        self._running = True
        try:
            while not self._stopping:
                self._wake.clear()  # before looking, so a wake that comes during the pass is kept
                self._noting_all, self._enqueued = self._enqueued, False
                try:
                    await self._launch_due()
                except Exception:
                    log.exception("outbox.worker.pass_failed")
                    self._wait_hint = None
                await self._idle()
        except asyncio.CancelledError:
            self._cancel_inflight()
            raise
        finally:
            self._running = False
        await self._settle()

    async def drain_once(self) -> int:
        """One pass: send the first waiting message of every chat whose turn it is, and wait.

        Returns how many the channels accepted. Chats still inside their rate wait for a later pass.
        """
        tasks = await self._launch_due()
        results = await asyncio.gather(*tasks)
        return sum(1 for accepted in results if accepted)

    async def _idle(self) -> None:
        timeout = self.settings.poll_interval_s
        if self._wait_hint is not None:
            timeout = min(timeout, max(self._wait_hint, 0.01))
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        except TimeoutError:
            pass

    async def _settle(self) -> None:
        """Graceful stop: sends in flight may finish; the rest stays pending for the next start."""
        tasks = list(self._inflight.values())
        if not tasks:
            return
        try:
            await asyncio.wait(tasks, timeout=SEND_DEADLINE_S)
        finally:
            self._cancel_inflight()

    def _cancel_inflight(self) -> None:
        # A cancelled send keeps its lease: after a restart it is sent once the lease runs out.
        for task in self._inflight.values():
            task.cancel()

    async def _launch_due(self) -> list[asyncio.Task[bool]]:
        if not self.senders:
            self._wait_hint = None
            return []
        heads, next_due = await self.db.run(self._due_heads, MAX_IN_FLIGHT - len(self._inflight) + HEADS_SPARE)
        now = time.monotonic()
        waits: list[float] = []
        if next_due is not None:
            waits.append((next_due - self.clock()).total_seconds())
        launched: list[asyncio.Task[bool]] = []
        for head in heads:
            started = self._launch(head, now)
            if isinstance(started, asyncio.Task):
                launched.append(started)
            elif started is not None:
                waits.append(started)
            elif self._crowded:
                break  # a finishing send wakes the worker
        self._wait_hint = min(waits) if waits else None
        return launched

    def _launch(self, head: Head, now: float) -> asyncio.Task[bool] | float | None:
        """Start sending `head`: the task; or seconds until its chat or channel may be sent to; or
        None when its chat's previous message is still being sent or too many sends run (then the
        finishing send wakes the worker)."""
        item = head.message
        key = (item.channel, item.chat_id)
        running = self._inflight.get(key)
        if head.claimed and running is None and item.channel in self.senders:
            # Claimed with its turn (sendable_now said yes): it goes now, or waits in _deliver for
            # what changed since; never left to a pass, which would not see it before its lease ends.
            return self._start(self.senders[item.channel], head, key, bulk=False)
        if running is not None:
            if self._noting_all or running.get_name() != _task_name(item):
                # Another row of the chat than the one being sent (a pass reading the row in flight
                # itself needs nothing more: it is being sent, and waking for it would chain passes).
                self._look_after.add(key)
            return None
        if len(self._inflight) >= MAX_IN_FLIGHT:
            self._crowded = True
            return None
        sender = self.senders.get(item.channel)
        if sender is None:
            return None  # a channel that is not connected in this process
        bulk = item.campaign_id is not None
        if bulk and self._bulk_inflight.get(item.channel, 0) >= max(2, math.ceil(sender.max_per_second * BULK_AHEAD_S)):
            self._bulk_capped = True
            return None  # a finishing campaign send wakes the worker
        ready_at = max(
            self._paused_until.get(item.channel, 0.0),
            self._last_chat_send.get(key, -math.inf) + sender.per_chat_interval_s,
        )
        if ready_at > now:
            return ready_at - now
        return self._start(sender, head, key, bulk)

    def _start(self, sender: ChannelSender, head: Head, key: tuple[str, str], bulk: bool) -> asyncio.Task[bool]:
        task = asyncio.create_task(self._deliver(sender, head), name=_task_name(head.message))
        self._inflight[key] = task
        if bulk:
            self._bulk_inflight[key[0]] = self._bulk_inflight.get(key[0], 0) + 1
        task.add_done_callback(functools.partial(self._sent_or_given_up, key, bulk))
        return task

    def _sent_or_given_up(self, key: tuple[str, str], bulk: bool, task: asyncio.Task[bool]) -> None:
        self._inflight.pop(key, None)
        if bulk:
            self._bulk_inflight[key[0]] -= 1
            if self._bulk_capped:
                # Campaign rows waited for this place: a pass launches the next.
                self._bulk_capped = False
                self._wake.set()
        accepted = not task.cancelled() and task.exception() is None and task.result()
        offered = self._offered.pop(key, None)
        if accepted and offered and not self._stopping:
            # The turn's next reply to this chat, straight away; the rest wait behind it.
            started = self._launch(offered.popleft(), time.monotonic())
            if isinstance(started, asyncio.Task):
                if offered:
                    self._offered[key] = offered
                if not self._crowded:
                    return  # the chat is busy again: what a pass skipped for it waits for this send
        elif not (offered or not accepted or key in self._look_after or self._crowded):
            return  # nothing else waits for this send: no pass needed
        elif offered:
            self._give_back(offered)
        # The chat's next message may be due now (or this one again later), or other chats waited
        # for a free place: a pass looks. Offered rows not sent at once are the pass's too.
        self._look_after.discard(key)
        self._crowded = False
        self._wake.set()

    async def _take_slot(self, sender: ChannelSender) -> float:
        """Wait for the channel's next send slot (its rate). Returns 0, or how long a 429 pause
        still lasts when that is too long to wait for."""
        channel = sender.channel
        while True:
            now = time.monotonic()
            paused = self._paused_until.get(channel, 0.0) - now
            if paused > MAX_SLOT_WAIT_S:
                return paused
            slot = max(now, self._next_slot.get(channel, 0.0), self._paused_until.get(channel, 0.0))
            self._next_slot[channel] = slot + 1.0 / sender.max_per_second
            if slot > now:
                await asyncio.sleep(slot - now)
            if self._paused_until.get(channel, 0.0) <= time.monotonic():
                return 0.0

    async def _at_the_door(self, sender: ChannelSender) -> None:
        """Claims that return together (a slow database moment) still leave 1/max_per_second apart,
        and never more than max_per_second of them within any second, as the channel counts: sends
        that wake up late together (a busy event loop) must not leave as a burst the channel refuses."""
        now = time.monotonic()
        at = max(now, self._door.get(sender.channel, 0.0))
        self._door[sender.channel] = at + 1.0 / sender.max_per_second
        if at > now:
            await asyncio.sleep(at - now)
        window = self._departures.setdefault(sender.channel, collections.deque())
        limit = max(1, math.floor(sender.max_per_second))
        while True:
            now = time.monotonic()
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) < limit:
                window.append(now)
                return
            await asyncio.sleep(window[0] + 1.0 - now)

    async def _deliver(self, sender: ChannelSender, head: Head) -> bool:
        """Claim one row, send it, write the outcome back. True when the channel accepted it."""
        item = head.message
        key = (item.channel, item.chat_id)
        try:
            if head.in_doubt and item.campaign_id is not None:
                # Its sender died mid-send: the person may have it. A campaign is never sent twice to
                # anyone, so it is not sent again (counted as failed, in doubt).
                await self._finish_surely(
                    item, OutboxStatus.DEAD, f"{IN_DOUBT}: its sender died mid-send; a campaign message is not sent twice",
                    None,
                )
                return False
            if head.claimed:
                if not await self._claimed_turn(sender, item):
                    return False
            else:
                # The channel's slot, then the claim, then the door: a row is marked "sending" only
                # just before its request goes out, and no lease is held while a row waits for its turn.
                paused = await self._take_slot(sender)
                if paused:
                    # A long 429 pause began while this row waited: it is not due before the pause ends.
                    until = self.clock() + timedelta(seconds=paused)
                    await self.db.run(self._in_transaction, rows.defer, item, until)
                    return False
                spacing = timedelta(seconds=sender.per_chat_interval_s)
                if not await self.db.run(
                    self._in_transaction, rows.claim, item, self.clock(), spacing, self.lease
                ):
                    # Another process has it, sent to this chat within its interval, or it was erased.
                    self._last_chat_send[key] = time.monotonic()
                    return False
                item = dataclasses.replace(item, attempts=item.attempts + 1)
            await self._at_the_door(sender)
            paused = self._paused_until.get(item.channel, 0.0) - time.monotonic()
            if paused > 0:
                # A 429 came back for another send while this one was on its way: not into the pause.
                await self.db.run(
                    self._in_transaction, rows.back_to_pending, item,
                    due=self.clock() + timedelta(seconds=paused), error="channel paused after a 429",
                    give_back_try=True, failed=False, progress={},
                )
                return False
            self._last_chat_send[key] = time.monotonic()
            if head.in_doubt:
                log.warning(
                    "outbox.resend_in_doubt id=%s channel=%s chat=%s: its sender died mid-send; "
                    "the person may get it twice",
                    item.id, item.channel, item.chat_id,
                )
            return await self._send(sender, item, head)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The database failed while claiming or writing the outcome: a claimed row keeps its
            # lease and is tried again after it runs out; an unclaimed one is simply due again.
            log.exception("outbox.bookkeeping_failed id=%s channel=%s", item.id, item.channel)
            return False

    async def _claimed_turn(self, sender: ChannelSender, item: Outgoing) -> bool:
        """A row claimed with its turn waits for its chat's interval and the channel's slot, as a
        claim would have; a long 429 pause that began meanwhile gives the claim back (False)."""
        key = (item.channel, item.chat_id)
        wait = max(
            self._paused_until.get(item.channel, 0.0), self._last_chat_send.get(key, -math.inf) + sender.per_chat_interval_s
        ) - time.monotonic()
        paused = wait if wait > MAX_SLOT_WAIT_S else 0.0
        if not paused:
            if wait > 0:
                await asyncio.sleep(wait)
            paused = await self._take_slot(sender)
        if not paused:
            return True
        await self.db.run(
            self._in_transaction, rows.back_to_pending, item,
            due=self.clock() + timedelta(seconds=paused), error="channel paused after a 429",
            give_back_try=True, failed=False, progress={},
        )
        return False

    async def _send(self, sender: ChannelSender, item: Outgoing, head: Head) -> bool:
        try:
            provider_id = await self._with_heartbeat(sender, item)
        except TimeoutError:
            await self._retry_later(item, head, RetryLater(f"no answer from {item.channel} in {SEND_DEADLINE_S:.0f}s"))
            return False
        except RetryLater as exc:
            await self._retry_later(item, head, exc)
            return False
        except HoldMessage as exc:
            await self._finish_surely(item, OutboxStatus.HELD, str(exc), None, exc.progress)
            return False
        except PermanentFailure as exc:
            self.health.refused(item.channel)
            await self._finish_surely(item, OutboxStatus.DEAD, str(exc), None, exc.progress)
            return False
        except Exception as exc:  # a sender bug must not lose the row: retry, max_attempts times
            log.exception("outbox.send_crashed id=%s channel=%s", item.id, item.channel)
            await self._retry_later(item, head, RetryLater(f"{type(exc).__name__}: {exc}"), crashed=True)
            return False
        self._rate_limited_streak.pop(item.channel, None)
        await self._finish_surely(item, OutboxStatus.SENT, None, provider_id)
        if self.health.succeeded(item.channel, self.clock()):
            # The channel is back: chats waiting out a retry delay need not wait for it to end.
            woken = await self.db.run(self._in_transaction, rows.retry_channel_now, item.channel, self.clock())
            log.info("outbox.channel_recovered channel=%s retried_now=%d", item.channel, woken)
        return True

    async def _with_heartbeat(self, sender: ChannelSender, item: Outgoing) -> str | None:
        """The channel's answer; the row's lease is renewed while the request runs.

        The renewing task starts only when a send outlasts a third of the lease: almost every send
        answers in milliseconds, and then costs no task and no timer beyond its deadline.
        """
        renewing: list[asyncio.Task[None]] = []
        heartbeat = asyncio.get_running_loop().call_later(
            self.lease.total_seconds() / 3, lambda: renewing.append(asyncio.create_task(self._renew_lease(item)))
        )
        try:
            async with asyncio.timeout(SEND_DEADLINE_S):
                provider_id = await sender.send(item)
        finally:
            heartbeat.cancel()
            for task in renewing:
                task.cancel()
        # The chat's interval counts from the answer too: the message has surely arrived.
        self._last_chat_send[(item.channel, item.chat_id)] = time.monotonic()
        return provider_id

    async def _renew_lease(self, item: Outgoing) -> None:
        while True:
            try:
                if not await self.db.run(self._in_transaction, rows.extend_lease, item, self.clock(), self.lease):
                    log.warning("outbox.lease_lost id=%s channel=%s", item.id, item.channel)
            except Exception as exc:  # the send goes on; the lease has two more heartbeats of margin
                log.warning("outbox.heartbeat_failed id=%s error=%s", item.id, exc)
            await asyncio.sleep(self.lease.total_seconds() / 3)

    async def _retry_later(self, item: Outgoing, head: Head, exc: RetryLater, *, crashed: bool = False) -> None:
        delay = exc.retry_after
        now = self.clock()
        paused_until = None
        if exc.rate_limited:
            streak = self._rate_limited_streak[item.channel] = self._rate_limited_streak.get(item.channel, 0) + 1
            if delay is None:
                delay = self._backoff(streak)
            self._paused_until[item.channel] = max(
                self._paused_until.get(item.channel, 0.0), time.monotonic() + delay
            )
            paused_until = now + timedelta(seconds=delay)
        if not crashed:
            self.health.failed(item.channel, now, str(exc), paused_until=paused_until)
        if delay is None:
            delay = self._backoff(item.attempts)
        too_old = now - head.created_at >= timedelta(hours=self.settings.give_up_after_hours)
        await self.db.run(self._retry, item, str(exc), delay, exc, crashed, too_old)

    def _retry(
        self, item: Outgoing, error: str, delay: float, exc: RetryLater, crashed: bool, too_old: bool
    ) -> None:
        with transaction(self.sessions) as session:
            give_up = ""
            if crashed and rows.failures(session, item) + 1 >= self.settings.max_attempts:
                give_up = f"{self.settings.max_attempts} unexpected errors"
            elif too_old and not exc.rate_limited:
                give_up = f"the channel has not taken it for {self.settings.give_up_after_hours:g} hours"
            if give_up:
                if rows.finish(
                    session, item, OutboxStatus.DEAD, self.clock(), error=error, progress=exc.progress, failed=crashed
                ):
                    self._dead_line(item, f"{give_up}; last error: {error}")  # logged before the commit
                return
            if not rows.back_to_pending(
                session,
                item,
                due=self.clock() + timedelta(seconds=delay),
                error=error,
                give_back_try=exc.rate_limited,
                failed=crashed,
                progress=exc.progress,
            ):
                log.warning("outbox.lease_lost id=%s channel=%s", item.id, item.channel)
                return
        log.warning(
            "outbox.retry id=%s channel=%s chat=%s attempt=%d delay_s=%.1f rate_limited=%s error=%s",
            item.id, item.channel, item.chat_id, item.attempts, delay, exc.rate_limited, error,
        )

    @staticmethod
    def _dead_line(item: Outgoing, reason: str) -> None:
        log.error(
            "outbox.dead id=%s channel=%s chat=%s attempts=%d reason=%s: operator action needed",
            item.id, item.channel, item.chat_id, item.attempts, reason,
        )

    async def _finish_surely(
        self,
        item: Outgoing,
        status: OutboxStatus,
        error: str | None,
        provider_id: str | None,
        progress: Mapping[str, Any] | None = None,
    ) -> None:
        if status is OutboxStatus.SENT and error is None and not progress:
            await self._record_sent(item, provider_id)
            return
        # Giving up on writing "sent" would send the reply again after the lease: try harder.
        for attempt in range(1, FINISH_TRIES + 1):
            try:
                await self.db.run(self._finish, item, status, error, provider_id, progress)
                return
            except Exception as exc:
                if attempt == FINISH_TRIES:
                    raise
                log.warning("outbox.finish_retry id=%s attempt=%d error=%s", item.id, attempt, exc)
                await asyncio.sleep(0.2 * 2**attempt)

    async def _record_sent(self, item: Outgoing, provider_id: str | None) -> None:
        """"Sent" is written in batches: while one transaction writes some, the sends that finish
        meanwhile wait and go together in the next (one transaction and one hand-over to a database
        thread for several sends). A send alone is written at once."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sent.append((item, provider_id, done))
        if self._sent_writer is None:
            self._sent_writer = asyncio.create_task(self._write_sent(), name="outbox-sent")
        await done

    async def _write_sent(self) -> None:
        try:
            while self._sent:
                batch, self._sent = self._sent, []
                error: Exception | None = None
                # Giving up on writing "sent" would send the reply again after the lease: try harder.
                for attempt in range(1, FINISH_TRIES + 1):
                    try:
                        await self.db.run(self._finish_sent, [(item, provider) for item, provider, _ in batch])
                        error = None
                        break
                    except Exception as exc:
                        error = exc
                        if attempt < FINISH_TRIES:
                            ids = [item.id for item, _, _ in batch]
                            log.warning("outbox.finish_retry ids=%s attempt=%d error=%s", ids, attempt, exc)
                            await asyncio.sleep(0.2 * 2**attempt)
                for _, _, done in batch:
                    if done.done():
                        continue
                    if error is not None:
                        done.set_exception(error)
                    else:
                        done.set_result(None)
        finally:
            self._sent_writer = None

    def _finish_sent(self, sent: list[tuple[Outgoing, str | None]]) -> None:
        now = self.clock()
        if self._autocommit is not None:
            # PostgreSQL: each outcome is one statement (rows.finish), atomic alone, and the outcomes
            # of a batch do not depend on each other: no BEGIN and COMMIT round trips around them.
            # A retry after a failure part-way writes the first ones again, to the same values.
            with self._autocommit.connect() as connection:
                for item, provider_id in sent:
                    rows.finish(connection, item, OutboxStatus.SENT, now, provider_id=provider_id)
            return
        with transaction(self.sessions) as session:
            for item, provider_id in sent:
                rows.finish(session, item, OutboxStatus.SENT, now, provider_id=provider_id)

    def _finish(
        self,
        item: Outgoing,
        status: OutboxStatus,
        error: str | None,
        provider_id: str | None,
        progress: Mapping[str, Any] | None,
    ) -> None:
        with transaction(self.sessions) as session:
            found = rows.finish(
                session, item, status, self.clock(), error=error, provider_id=provider_id, progress=progress
            )
            # Logged before the commit: whoever sees the row dead or held finds the line already there.
            if found and status is OutboxStatus.DEAD:
                self._dead_line(item, error or "-")
            elif found and status is OutboxStatus.HELD:
                log.warning("outbox.held id=%s channel=%s reason=%s", item.id, item.channel, error)

    def _backoff(self, attempt: int) -> float:
        """Capped exponential backoff, plus up to backoff_jitter of it at random."""
        base = min(self.settings.base_backoff_s * 2 ** max(attempt - 1, 0), self.settings.max_backoff_s)
        return float(base * (1 + self.settings.backoff_jitter * random.random()))

    def _due_heads(self, limit: int) -> tuple[list[Head], datetime | None]:
        with self.sessions() as session:
            return rows.due_heads(session, list(self.senders), self.clock(), limit)

    def _in_transaction(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with transaction(self.sessions) as session:
            return operation(session, *args, **kwargs)
