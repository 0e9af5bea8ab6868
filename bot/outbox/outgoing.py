"""What a channel sender receives (one stored reply) and what it may raise: the outbox's contract
with the channels (bot/channels/ implement `ChannelSender`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.storage.models import Contact


class SendError(Exception):
    """Base of what a channel sender may raise."""

    def __init__(self, message: str, *, progress: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        # Kept in the row's `extra`, so the next try resumes (e.g. the parts of a long text
        # already delivered are not sent again).
        self.progress: dict[str, Any] = dict(progress or {})


class RetryLater(SendError):
    """The channel is down or busy (429 with retry_after, 5xx, timeout, no connection): not this
    message's fault. Retried with backoff until outbox.give_up_after_hours; uses no attempts."""

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
        # The channel said "too fast" (429): the whole channel pauses, and the try is given back.
        self.rate_limited = rate_limited


class PermanentFailure(SendError):
    """The channel refuses this message for good (blocked bot, invalid number): dead at once."""


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
    # A campaign's message (bulk): sent after people's replies, and never twice.
    campaign_id: int | None = None


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
