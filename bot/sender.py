"""Drains the outbox: in order per chat, within each channel's rate, retrying without losing a row."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.config import OutboxSettings
from bot.db import transaction
from bot.models import Message, OutboxItem, OutboxStatus, utcnow

log = logging.getLogger(__name__)
# A row being sent is leased for this long; if the process dies mid-send it is retried after.
LEASE = timedelta(seconds=60)
BATCH = 500


class SendError(Exception):
    """Base of what a channel sender may raise."""


class RetryLater(SendError):
    """Transient: rate limit (429, with retry_after), 5xx, timeout, network."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


class OutboxWorker:
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
        self._last_channel_send: dict[str, float] = {}
        self._last_chat_send: dict[tuple[str, str], float] = {}

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Send until stopped; pending rows left at shutdown are sent after the next start."""
        log.info("outbox.worker.start channels=%s", ",".join(sorted(self.senders)) or "-")
        while not self._stopping:
            try:
                sent = await self.drain_once()
            except Exception:
                log.exception("outbox.worker.pass_failed")
                sent = 0
            if sent:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_interval_s)
            except asyncio.TimeoutError:
                pass

    async def drain_once(self) -> int:
        """One pass: the first pending message of every chat whose turn it is. Returns how many went."""
        batch = await asyncio.to_thread(self._due_heads)
        done = 0
        for item in batch:
            if self._stopping:
                break
            sender = self.senders[item.channel]
            await self._respect_rates(sender, item)
            if not await asyncio.to_thread(self._lease, item):
                continue  # another worker took it
            try:
                provider_id = await sender.send(item)
            except RetryLater as exc:
                await asyncio.to_thread(self._retry, item, str(exc), exc.retry_after)
                continue
            except HoldMessage as exc:
                await asyncio.to_thread(self._finish, item, OutboxStatus.HELD, str(exc), None)
                log.warning("outbox.held id=%s channel=%s reason=%s", item.id, item.channel, exc)
                continue
            except PermanentFailure as exc:
                await asyncio.to_thread(self._finish, item, OutboxStatus.DEAD, str(exc), None)
                log.error("outbox.dead id=%s channel=%s chat=%s reason=%s", item.id, item.channel, item.chat_id, exc)
                continue
            except Exception as exc:  # a sender bug must not lose the row: retry with backoff
                log.exception("outbox.send_crashed id=%s channel=%s", item.id, item.channel)
                await asyncio.to_thread(self._retry, item, f"{type(exc).__name__}: {exc}", None)
                continue
            await asyncio.to_thread(self._finish, item, OutboxStatus.SENT, None, provider_id)
            done += 1
        return done

    async def _respect_rates(self, sender: ChannelSender, item: Outgoing) -> None:
        now = time.monotonic()
        gap = 1.0 / sender.max_per_second
        wait = self._last_channel_send.get(item.channel, 0.0) + gap - now
        chat_key = (item.channel, item.chat_id)
        wait = max(wait, self._last_chat_send.get(chat_key, 0.0) + sender.per_chat_interval_s - now)
        if wait > 0:
            await asyncio.sleep(wait)
        stamp = time.monotonic()
        self._last_channel_send[item.channel] = stamp
        self._last_chat_send[chat_key] = stamp

    def _due_heads(self) -> list[Outgoing]:
        now = self.clock()
        with self.sessions() as session:
            rows = session.scalars(
                select(OutboxItem)
                .where(OutboxItem.status == OutboxStatus.PENDING, OutboxItem.channel.in_(list(self.senders)))
                .order_by(OutboxItem.id)
                .limit(BATCH)
            ).all()
        heads: list[Outgoing] = []
        seen: set[tuple[str, str]] = set()
        for row in rows:
            key = (row.channel, row.chat_id)
            if key in seen:
                continue  # a later message never overtakes an earlier one in the same chat
            seen.add(key)
            if row.next_attempt_at <= now:
                heads.append(
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
                )
        return heads

    def _lease(self, item: Outgoing) -> bool:
        with transaction(self.sessions) as session:
            result = session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.id == item.id,
                    OutboxItem.status == OutboxStatus.PENDING,
                    OutboxItem.attempts == item.attempts,
                )
                .values(attempts=item.attempts + 1, next_attempt_at=self.clock() + LEASE)
            )
            return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]

    def _retry(self, item: Outgoing, error: str, retry_after: float | None) -> None:
        attempts = item.attempts + 1
        if attempts >= self.settings.max_attempts:
            self._finish(item, OutboxStatus.DEAD, error, None)
            log.error(
                "outbox.dead id=%s channel=%s chat=%s attempts=%d error=%s: operator action needed",
                item.id, item.channel, item.chat_id, attempts, error,
            )
            return
        delay = retry_after if retry_after is not None else min(
            self.settings.base_backoff_s * 2 ** (attempts - 1), self.settings.max_backoff_s
        )
        with transaction(self.sessions) as session:
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == item.id)
                .values(next_attempt_at=self.clock() + timedelta(seconds=delay), last_error=error[:2000])
            )
        log.warning("outbox.retry id=%s channel=%s attempt=%d delay_s=%.1f error=%s", item.id, item.channel, attempts, delay, error)

    def _finish(self, item: Outgoing, status: OutboxStatus, error: str | None, provider_id: str | None) -> None:
        now = self.clock()
        with transaction(self.sessions) as session:
            row = session.get(OutboxItem, item.id)
            if row is None:
                return  # erased on request meanwhile
            row.status = status
            row.last_error = error[:2000] if error else row.last_error
            row.provider_message_id = provider_id
            if status is OutboxStatus.SENT:
                row.sent_at = now
            if row.message_id is not None:
                message = session.get(Message, row.message_id)
                if message is not None:
                    message.delivery_status = status.value
                    if provider_id:
                        message.channel_message_id = provider_id
