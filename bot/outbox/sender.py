"""Drains the outbox: in order per chat, within each channel's rate, retrying without losing a row."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.config import OutboxSettings
from bot.storage.db import transaction
from bot.storage.models import Contact, Message, OutboxItem, OutboxStatus, utcnow

log = logging.getLogger(__name__)
# A row being sent is leased for this long; if the process dies mid-send it is retried after.
LEASE = timedelta(seconds=60)
# A send (every part of a long text) that takes longer is abandoned and retried. Well inside LEASE,
# so no other worker takes the row while this one might still deliver it.
SEND_DEADLINE_S = 30.0
# Chats looked at per pass, and sends in progress at once (never two to the same chat).
HEADS = 500
MAX_IN_FLIGHT = 32
# A send waits at most this long for its slot while holding a lease (longer 429 pauses: see _take_slot).
MAX_SLOT_WAIT_S = 10.0
# Writing "sent" is retried this often: giving up would send the reply again after the lease.
FINISH_TRIES = 5


class SendError(Exception):
    """Base of what a channel sender may raise."""

    def __init__(self, message: str, *, progress: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        # Kept in the row's `extra`, so the next try resumes (e.g. the parts of a long text
        # already delivered are not sent again).
        self.progress: dict[str, Any] = dict(progress or {})


class RetryLater(SendError):
    """Transient: rate limit (429, with retry_after), 5xx, timeout, network."""

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        *,
        rate_limited: bool = False,
        progress: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, progress=progress)
        self.retry_after = retry_after
        # The channel said "too fast" (429). That is not the message's fault: it does not count
        # as a failed attempt (a 429 storm never kills a reply) and the whole channel pauses.
        self.rate_limited = rate_limited


class PermanentFailure(SendError):
    """The channel will never accept this message (blocked bot, bad chat id)."""


class HoldMessage(SendError):
    """Cannot be sent now (WhatsApp 24-hour window, no template): kept visible for staff."""


@dataclass(frozen=True)
class Outgoing:
    id: int
    channel: str
    chat_id: str
    text: str
    buttons: tuple[tuple[str, str], ...]
    extra: Mapping[str, Any]
    contact_id: int | None
    attempts: int


class ChannelSender(Protocol):
    channel: str
    max_per_second: float
    per_chat_interval_s: float

    async def send(self, message: Outgoing) -> str | None:
        """Deliver one message; return the provider's message id. Raise a SendError subclass."""


# Can free text reach this contact now, or would its channel refuse it (WhatsApp: only within 24
# hours of the person's last message)? Each channel's rule; the app factory hands the combined
# one (bot.channels.base.ReplyWindows) to the features that write to people unprompted.
WindowOpen = Callable[[Contact, datetime], bool]


class OutboxWorker:
    """Sends due rows concurrently across chats, one at a time per chat, each under a lease.

    Ordering: only the oldest pending row of a chat is ever sent, and never while another send
    to that chat is in flight. Rates: sends of a channel are spaced 1/max_per_second apart and
    a chat's sends per_chat_interval_s apart; a 429 pauses the channel for retry_after.
    Restarts: a row is leased (attempts+1, next_attempt_at = now + LEASE) before it is sent, so
    a worker that dies mid-send leaves it to be sent once after the lease runs out.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        senders: Mapping[str, ChannelSender],
        settings: OutboxSettings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.senders = dict(senders)
        self.settings = settings
        self.clock = clock
        self._wake = asyncio.Event()
        self._stopping = False
        self._inflight: dict[tuple[str, str], asyncio.Task[bool]] = {}
        self._next_slot: dict[str, float] = {}  # monotonic time a channel may send next
        self._paused_until: dict[str, float] = {}  # after a 429
        self._rate_limited_streak: dict[str, int] = {}
        self._last_chat_send: dict[tuple[str, str], float] = {}
        self._wait_hint: float | None = None  # seconds until something throttled is due

    def add_sender(self, sender: ChannelSender) -> None:
        """A channel connected after the app was built (Telegram, WhatsApp)."""
        self.senders[sender.channel] = sender

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Send until stopped; pending rows left at shutdown are sent after the next start."""
        log.info("outbox.worker.start channels=%s", ",".join(sorted(self.senders)) or "-")
        try:
            while not self._stopping:
                self._wake.clear()  # before looking, so a wake that comes during the pass is kept
                try:
                    await self._launch_due()
                except Exception:
                    log.exception("outbox.worker.pass_failed")
                    self._wait_hint = None
                await self._idle()
        except asyncio.CancelledError:
            self._cancel_inflight()
            raise
        await self._settle()

    async def drain_once(self) -> int:
        """One pass: send the first pending message of every chat whose turn it is, and wait.

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
        heads, next_due = await asyncio.to_thread(self._due_heads)
        now = time.monotonic()
        waits: list[float] = []
        if next_due is not None:
            waits.append((next_due - self.clock()).total_seconds())
        launched: list[asyncio.Task[bool]] = []
        for item in heads:
            key = (item.channel, item.chat_id)
            if key in self._inflight:
                continue  # the chat's previous message is still being sent
            if len(self._inflight) >= MAX_IN_FLIGHT:
                break  # a finishing send wakes the worker
            sender = self.senders[item.channel]
            ready_at = max(
                self._paused_until.get(item.channel, 0.0),
                self._last_chat_send.get(key, -math.inf) + sender.per_chat_interval_s,
            )
            if ready_at > now:
                waits.append(ready_at - now)
                continue
            task = asyncio.create_task(self._deliver(sender, item), name=f"outbox-{item.id}")
            self._inflight[key] = task
            task.add_done_callback(functools.partial(self._sent_or_given_up, key))
            launched.append(task)
        self._wait_hint = min(waits) if waits else None
        return launched

    def _sent_or_given_up(self, key: tuple[str, str], _task: asyncio.Task[bool]) -> None:
        self._inflight.pop(key, None)
        self._wake.set()  # the chat's next message may be due now

    async def _take_slot(self, sender: ChannelSender) -> float:
        """Wait for the channel's next send slot (its rate). Returns 0, or how long a 429 pause
        still lasts when that is too long to wait holding the lease."""
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

    async def _deliver(self, sender: ChannelSender, item: Outgoing) -> bool:
        """Send one row under a lease and write the outcome back. True when the channel accepted it."""
        try:
            if not await asyncio.to_thread(self._lease, item):
                return False  # another worker took it, or it was erased meanwhile
            paused = await self._take_slot(sender)  # last, so the rate holds at the channel's door
            if paused:
                # A long 429 pause began while this row waited: give the lease back until it ends.
                await asyncio.to_thread(self._retry, item, "channel paused after a 429", paused, False, {})
                return False
            self._last_chat_send[(item.channel, item.chat_id)] = time.monotonic()
            try:
                provider_id = await asyncio.wait_for(sender.send(item), timeout=SEND_DEADLINE_S)
            except TimeoutError:
                await self._retry_later(item, RetryLater(f"no answer from {item.channel} in {SEND_DEADLINE_S:.0f}s"))
                return False
            except RetryLater as exc:
                await self._retry_later(item, exc)
                return False
            except HoldMessage as exc:
                await self._finish_surely(item, OutboxStatus.HELD, str(exc), None, exc.progress)
                log.warning("outbox.held id=%s channel=%s reason=%s", item.id, item.channel, exc)
                return False
            except PermanentFailure as exc:
                await self._finish_surely(item, OutboxStatus.DEAD, str(exc), None, exc.progress)
                log.error(
                    "outbox.dead id=%s channel=%s chat=%s reason=%s: operator action needed",
                    item.id, item.channel, item.chat_id, exc,
                )
                return False
            except Exception as exc:  # a sender bug must not lose the row: retry with backoff
                log.exception("outbox.send_crashed id=%s channel=%s", item.id, item.channel)
                await self._retry_later(item, RetryLater(f"{type(exc).__name__}: {exc}"))
                return False
            self._rate_limited_streak.pop(item.channel, None)
            await self._finish_surely(item, OutboxStatus.SENT, None, provider_id)
            return True
        except asyncio.CancelledError:
            raise
        except Exception:
            # The database failed while writing the outcome: the lease keeps the row safe and
            # it is tried again after the lease runs out.
            log.exception("outbox.bookkeeping_failed id=%s channel=%s", item.id, item.channel)
            return False

    async def _retry_later(self, item: Outgoing, exc: RetryLater) -> None:
        delay = exc.retry_after
        if exc.rate_limited:
            streak = self._rate_limited_streak[item.channel] = self._rate_limited_streak.get(item.channel, 0) + 1
            if delay is None:
                delay = self._backoff(streak)
            self._paused_until[item.channel] = max(
                self._paused_until.get(item.channel, 0.0), time.monotonic() + delay
            )
        await asyncio.to_thread(self._retry, item, str(exc), delay, not exc.rate_limited, exc.progress)

    async def _finish_surely(
        self,
        item: Outgoing,
        status: OutboxStatus,
        error: str | None,
        provider_id: str | None,
        progress: Mapping[str, Any] | None = None,
    ) -> None:
        # Giving up on writing "sent" would send the reply again after the lease: try harder.
        for attempt in range(1, FINISH_TRIES + 1):
            try:
                await asyncio.to_thread(self._finish, item, status, error, provider_id, progress)
                return
            except Exception as exc:
                if attempt == FINISH_TRIES:
                    raise
                log.warning("outbox.finish_retry id=%s attempt=%d error=%s", item.id, attempt, exc)
                await asyncio.sleep(0.2 * 2**attempt)

    def _backoff(self, attempt: int) -> float:
        return float(min(self.settings.base_backoff_s * 2 ** (attempt - 1), self.settings.max_backoff_s))

    def _due_heads(self) -> tuple[list[Outgoing], datetime | None]:
        """The oldest pending row of each chat that is due now, and when the next one falls due."""
        now = self.clock()
        first_of_chat = (
            select(func.min(OutboxItem.id))
            .where(OutboxItem.status == OutboxStatus.PENDING, OutboxItem.channel.in_(list(self.senders)))
            .group_by(OutboxItem.channel, OutboxItem.chat_id)
        )
        with self.sessions() as session:
            rows = session.scalars(
                select(OutboxItem)
                .where(OutboxItem.id.in_(first_of_chat), OutboxItem.next_attempt_at <= now)
                .order_by(OutboxItem.id)
                .limit(HEADS)
            ).all()
            next_due = session.scalar(
                select(func.min(OutboxItem.next_attempt_at)).where(
                    OutboxItem.id.in_(first_of_chat), OutboxItem.next_attempt_at > now
                )
            )
        heads = [
            Outgoing(
                id=row.id,
                channel=row.channel,
                chat_id=row.chat_id,
                text=row.text,
                buttons=tuple((b["label"], b["payload"]) for b in row.buttons or []),
                extra=dict(row.extra or {}),
                contact_id=row.contact_id,
                attempts=row.attempts,
            )
            for row in rows
        ]
        return heads, next_due

    def _lease(self, item: Outgoing) -> bool:
        now = self.clock()
        with transaction(self.sessions) as session:
            result = session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.id == item.id,
                    OutboxItem.status == OutboxStatus.PENDING,
                    OutboxItem.attempts == item.attempts,
                    OutboxItem.next_attempt_at <= now,
                )
                .values(attempts=item.attempts + 1, next_attempt_at=now + LEASE)
            )
            return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]

    def _retry(
        self, item: Outgoing, error: str, retry_after: float | None, counted: bool, progress: Mapping[str, Any]
    ) -> None:
        attempts = item.attempts + 1 if counted else item.attempts
        if counted and attempts >= self.settings.max_attempts:
            self._finish(item, OutboxStatus.DEAD, error, None, progress)
            log.error(
                "outbox.dead id=%s channel=%s chat=%s attempts=%d error=%s: operator action needed",
                item.id, item.channel, item.chat_id, attempts, error,
            )
            return
        delay = retry_after if retry_after is not None else self._backoff(attempts)
        with transaction(self.sessions) as session:
            row = session.get(OutboxItem, item.id)
            if row is None or row.status is not OutboxStatus.PENDING or row.attempts != item.attempts + 1:
                log.warning("outbox.lease_lost id=%s channel=%s", item.id, item.channel)
                return
            row.attempts = attempts
            row.next_attempt_at = self.clock() + timedelta(seconds=delay)
            row.last_error = error[:2000]
            if progress:
                row.extra = {**(row.extra or {}), **progress}
        log.warning(
            "outbox.retry id=%s channel=%s attempt=%d delay_s=%.1f rate_limited=%s error=%s",
            item.id, item.channel, attempts, delay, not counted, error,
        )

    def _finish(
        self,
        item: Outgoing,
        status: OutboxStatus,
        error: str | None,
        provider_id: str | None,
        progress: Mapping[str, Any] | None = None,
    ) -> None:
        now = self.clock()
        with transaction(self.sessions) as session:
            row = session.get(OutboxItem, item.id)
            if row is None:
                return  # erased on request meanwhile
            row.status = status
            row.last_error = error[:2000] if error else row.last_error
            row.provider_message_id = provider_id
            if progress:
                row.extra = {**(row.extra or {}), **progress}
            if status is OutboxStatus.SENT:
                row.sent_at = now
            if row.message_id is not None:
                message = session.get(Message, row.message_id)
                if message is not None:
                    # A delivery receipt (WhatsApp "delivered"/"read") may already have arrived.
                    if status is not OutboxStatus.SENT or message.delivery_status in (None, "queued", "pending"):
                        message.delivery_status = status.value
                    if provider_id:
                        message.channel_message_id = provider_id
