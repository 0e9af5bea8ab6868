"""Photos, voice notes, stickers and other non-text messages: stored, and answered kindly."""

from __future__ import annotations

from bot.chat.turn import Turn
from handlers.menu import menu_buttons


def media(turn: Turn) -> None:
    """Tell the person the bot reads text only, and how to get help now."""
    turn.say(turn.t("media_only"), menu_buttons(turn))
