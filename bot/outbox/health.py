"""How each channel is doing, for /readyz and /metrics: what this process saw of its sends (last
success, last error, down since) and what waits in the database for every process.

`channel_health(session, board, channels, now)` is the one function readers call; it returns
plain frozen dataclasses (`ChannelHealth.as_json()` for JSON).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.outbox.rows import WAITING
from bot.storage.models import OutboxItem, OutboxStatus


@dataclass(frozen=True)
class SendRecord:
    """What this process's sender saw of one channel since it started."""

    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None
    # The first "channel down" error after the last success; None while sends go through.
    failing_since: datetime | None = None
    # A 429 paused the channel until then.
    paused_until: datetime | None = None
    # Messages the channel refused for good (blocked bot, invalid number) since the start.
    refused: int = 0


class HealthBoard:
    """Updated by the outbox worker after every send (in the event loop); read by /readyz and /metrics."""

    def __init__(self) -> None:
        self._records: dict[str, SendRecord] = {}

    def succeeded(self, channel: str, now: datetime) -> bool:
        """Record a send the channel accepted; True when the channel was failing until now."""
        record = self._records.get(channel, SendRecord())
        self._records[channel] = replace(record, last_success_at=now, failing_since=None)
        return record.failing_since is not None

    def failed(self, channel: str, now: datetime, error: str, *, paused_until: datetime | None = None) -> None:
        """Record a "channel down" error (5xx, timeout, no connection, 429)."""
        record = self._records.get(channel, SendRecord())
        self._records[channel] = replace(
            record,
            last_error_at=now,
            last_error=error[:500],
            failing_since=record.failing_since or now,
            paused_until=paused_until or record.paused_until,
        )

    def refused(self, channel: str) -> None:
        record = self._records.get(channel, SendRecord())
        self._records[channel] = replace(record, refused=record.refused + 1)

    def record(self, channel: str) -> SendRecord:
        return self._records.get(channel, SendRecord())


@dataclass(frozen=True)
class Backlog:
    """Rows of one channel in the database (all processes)."""

    waiting: int = 0  # pending or in flight
    held: int = 0
    dead: int = 0
    oldest_waiting_at: datetime | None = None


@dataclass(frozen=True)
class ChannelHealth:
    channel: str
    state: str  # "up" (last send went through), "down" (failing since ...), "unknown" (nothing sent yet)
    sends: SendRecord = field(default_factory=SendRecord)
    backlog: Backlog = field(default_factory=Backlog)
    oldest_waiting_s: float | None = None

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "state": self.state,
            "last_success_at": iso(self.sends.last_success_at),
            "last_error_at": iso(self.sends.last_error_at),
            "last_error": self.sends.last_error,
            "failing_since": iso(self.sends.failing_since),
            "paused_until": iso(self.sends.paused_until),
            "refused": self.sends.refused,
            "waiting": self.backlog.waiting,
            "held": self.backlog.held,
            "dead": self.backlog.dead,
            "oldest_waiting_s": None if self.oldest_waiting_s is None else round(self.oldest_waiting_s, 1),
        }


def backlogs(session: Session) -> dict[str, Backlog]:
    """Waiting, held and dead rows per channel, in one grouped query."""
    counts: dict[str, dict[str, Any]] = {}
    query = select(
        OutboxItem.channel, OutboxItem.status, func.count(), func.min(OutboxItem.created_at)
    ).where(OutboxItem.status != OutboxStatus.SENT).group_by(OutboxItem.channel, OutboxItem.status)
    for channel, status, count, oldest in session.execute(query):
        entry = counts.setdefault(channel, {"waiting": 0, "held": 0, "dead": 0, "oldest_waiting_at": None})
        if status in WAITING:
            entry["waiting"] += count
            if oldest is not None and (entry["oldest_waiting_at"] is None or oldest < entry["oldest_waiting_at"]):
                entry["oldest_waiting_at"] = oldest
        elif status is OutboxStatus.HELD:
            entry["held"] += count
        elif status is OutboxStatus.DEAD:
            entry["dead"] += count
    return {channel: Backlog(**entry) for channel, entry in counts.items()}


def channel_health(
    session: Session, board: HealthBoard, channels: Iterable[str], now: datetime
) -> dict[str, ChannelHealth]:
    """Every connected channel's health, plus any channel that has rows in the database."""
    stored = backlogs(session)
    report: dict[str, ChannelHealth] = {}
    for channel in sorted(set(channels) | set(stored)):
        sends = board.record(channel)
        backlog = stored.get(channel, Backlog())
        if sends.failing_since is not None:
            state = "down"
        elif sends.last_success_at is not None:
            state = "up"
        else:
            state = "unknown"
        oldest = backlog.oldest_waiting_at
        report[channel] = ChannelHealth(
            channel, state, sends, backlog, (now - oldest).total_seconds() if oldest else None
        )
    return report
