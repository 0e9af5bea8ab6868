"""Choose the language: Bahasa Indonesia or English. Remembered per person."""

from __future__ import annotations

from bot.chat.payload import FlowAnswer
from bot.chat.turn import Turn
from handlers.menu import LANGUAGE_BUTTONS, menu_buttons

NAME = "language"
BUTTONS = LANGUAGE_BUTTONS


def start(turn: Turn) -> None:
    """Ask which language to use."""
    text = turn.text.lower()
    # "pakai english" / "in bahasa please": switch at once when the message names the language.
    if any(word in text for word in ("english", "inggris", "eng ")):
        choose(turn, "en")
    elif any(word in text for word in ("indonesia", "bahasa indo", "melayu", "malay")):
        choose(turn, "id")
    else:
        turn.say(turn.t("choose_language"), list(BUTTONS))


def resume(turn: Turn, answer: FlowAnswer | None) -> None:
    start(turn)


def choose(turn: Turn, lang: str) -> None:
    """Remember the language; a newcomer then hears what the bot is and how to reach a person."""
    first_time = turn.contact.language is None
    turn.contact.language = lang if lang in ("id", "en") else "id"
    key = "welcome" if first_time else "language_set"
    turn.say(turn.t(key), menu_buttons(turn))
