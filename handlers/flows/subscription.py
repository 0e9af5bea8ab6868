"""Start or stop periodic safe-migration tips (consent is the subscription itself)."""

from __future__ import annotations

from bot.chat.payload import Command, FlowAnswer
from bot.chat.turn import Turn

NAME = "subscription"


def start(turn: Turn) -> None:
    """Subscribe or unsubscribe by the intent that brought the person here."""
    if turn.decision.intent == "unsubscribe_updates":
        turn.contact.subscribed_at = None
        turn.say(turn.t("unsubscribed"), [turn.button("btn_menu", Command("menu"))])
    else:
        turn.contact.subscribed_at = turn.now
        turn.say(turn.t("subscribed"), [turn.button("btn_menu", Command("menu"))])


def resume(turn: Turn, answer: FlowAnswer | None) -> None:
    start(turn)
