"""The local channel: `python -m bot chat` talks to the bot in a terminal, through dispatch."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bot.outbox.sender import Outgoing

CHANNEL = "local"


def render(message: Outgoing) -> str:
    """Text plus numbered buttons; the person answers with the number."""
    lines = [message.text]
    lines += [f"  {n}. {label}" for n, (label, _payload) in enumerate(message.buttons, start=1)]
    return "\n".join(lines)


class LocalSender:
    """Prints replies for the terminal user (every local chat id is this terminal's person)."""

    channel = CHANNEL
    max_per_second = 1000.0
    per_chat_interval_s = 0.0

    def __init__(self, out: TextIO | None = None, on_sent: Callable[[Outgoing], None] | None = None) -> None:
        self.out = out or sys.stdout
        self.on_sent = on_sent

    async def send(self, message: Outgoing) -> str | None:
        self.out.write("\nbot> " + render(message).replace("\n", "\n     ") + "\n")
        self.out.flush()
        if self.on_sent:
            self.on_sent(message)
        return None
