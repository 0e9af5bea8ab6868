"""Choose the language: Bahasa Indonesia or English. Remembered per person."""

from __future__ import annotations

from bot.chat.inbound import Button
from bot.chat.turn import Turn

NAME = "language"
BUTTONS = (Button("Bahasa Indonesia", "lang:id"), Button("English", "lang:en"))


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


def resume(turn: Turn, value: str | None) -> None:
    start(turn)


def choose(turn: Turn, lang: str) -> None:
    """Remember the language; a newcomer then hears what the bot is and how to reach a person."""
    from handlers.menu import menu_buttons

    first_time = turn.contact.language is None
    turn.contact.language = lang if lang in ("id", "en") else "id"
    key = "welcome" if first_time else "language_set"
    turn.say(turn.t(key), menu_buttons(turn))
