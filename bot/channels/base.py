"""What every channel provides, and the one question features may ask about channels.

A channel (Telegram, WhatsApp, the local terminal chat) brings its webhook routes, a sender for
the outbox, and its own rule for when free text reaches a person. Features (tips, the hotline
queue) never import a channel module: the app factory hands them one `WindowOpen`
(bot.outbox.sender) built from the channels' rules (`ReplyWindows`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from starlette.routing import BaseRoute

from bot.outbox.sender import ChannelSender, WindowOpen
from bot.storage.models import Contact


class Channel(Protocol):
    """A connected channel: what the app factory wires into the web app, the outbox and shutdown."""

    @property
    def name(self) -> str: ...  # what Contact.channel and OutboxItem.channel say: "telegram", "whatsapp"

    @property
    def sender(self) -> ChannelSender: ...

    def routes(self) -> list[BaseRoute]:
        """The webhook routes this channel answers (verified before anything is stored)."""
        ...

    def window_open(self, contact: Contact, now: datetime) -> bool:
        """Can free text reach this contact now, or would the channel refuse it?"""
        ...

    async def aclose(self) -> None:
        """Close the channel's HTTP clients (after the outbox stopped)."""
        ...


def always_open(contact: Contact, now: datetime) -> bool:
    """Telegram and the local chat let the bot write at any time."""
    return True


class ReplyWindows:
    """`window_open(contact, now)` for a contact of any channel, by the rule of the contact's channel.

    Built from every channel the bot knows, configured or not: a WhatsApp contact stays bound by
    WhatsApp's rule even in a process (the terminal chat, a test) that has no Twilio credentials.
    """

    def __init__(self, rules: Mapping[str, WindowOpen]) -> None:
        self._rules = dict(rules)

    def __call__(self, contact: Contact, now: datetime) -> bool:
        return self._rules.get(contact.channel, always_open)(contact, now)
