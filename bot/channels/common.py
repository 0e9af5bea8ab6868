"""What the Telegram and WhatsApp adapters share: the dispatch they feed, long texts in parts, and
the fallback when the store failed.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.chat.inbound import Inbound, Reply
from bot.outbox.sender import ChannelSender, Outgoing

log = logging.getLogger(__name__)
# The person has just written: WhatsApp's 24-hour window is open, whatever the database says.
FRESH_INBOUND = "fresh_inbound"


class Dispatched(Protocol):
    """What an adapter needs of dispatch's result (bot.chat.dispatch.DispatchResult)."""

    @property
    def stored(self) -> bool: ...  # False: the database failed; replies are the fallback to send directly

    @property
    def replies(self) -> Sequence[Reply]: ...


# The one path every inbound message takes (bot.chat.dispatch.Dispatcher.dispatch).
Dispatch = Callable[[Inbound], Awaitable[Dispatched]]


class RecentKeys:
    """A bounded memory of keys seen lately (which messages already got the store-failed fallback)."""

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> bool:
        """Remember `key`; False when it was already there."""
        if key in self._keys:
            return False
        self._keys[key] = None
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return True


async def send_fallback(
    sender: ChannelSender, inbound: Inbound, replies: Sequence[Reply], seen: RecentKeys
) -> None:
    """The database is down: send dispatch's kind fallback straight to the person, once per message.

    The webhook then answers 5xx so the channel delivers the message again; the repeat is stored
    when the database is back, but the person is not told the same thing twice.
    """
    if not seen.add(inbound.message_id):
        return
    for reply in replies:
        outgoing = Outgoing(
            id=0,
            channel=inbound.channel,
            chat_id=inbound.chat_id,
            text=reply.text,
            buttons=(),
            extra={FRESH_INBOUND: True},
            contact_id=None,
            attempts=0,
        )
        try:
            await sender.send(outgoing)
        except Exception as exc:
            log.error(
                "channel.fallback_failed channel=%s chat=%s message=%s error=%s",
                inbound.channel,
                inbound.chat_id,
                inbound.message_id,
                exc,
            )
