"""Ask a short question instead of answering confidently wrong."""

from __future__ import annotations

from bot.chat.payload import AskIntent, Command
from bot.chat.turn import Turn
from bot.understanding.intents import GUESSABLE
from handlers.comfort import distress
from handlers.info import say_ban_first
from handlers.menu import menu_buttons
from handlers.whereabouts import acknowledge_place

_MIN_GUESS = 0.15


def clarify(turn: Turn) -> None:
    """Offer the likeliest meanings as buttons; after repeated misses, offer a person."""
    if turn.understanding.reading.distress_only:
        distress(turn)
        return
    if turn.understanding.reading.here is not None and turn.understanding.source != "degraded":
        # "sy di kuching skrg": the bot cannot tell what they want, but it can say what works there.
        acknowledge_place(turn)
        return
    conversation = turn.conversation
    conversation.clarify_count += 1
    if turn.understanding.source == "degraded":
        turn.say(turn.t("degraded"), menu_buttons(turn))
        return
    if not turn.text:
        turn.say(turn.t("empty_message"), menu_buttons(turn))
        return
    if conversation.clarify_count >= turn.services.settings.nlu.clarify_limit:
        conversation.clarify_count = 0
        turn.say(
            turn.t("clarify_offer_human"),
            [turn.button("menu_human", AskIntent("request_human")), turn.button("btn_menu", Command("menu"))],
        )
        return
    # Unsure what is asked, but sure of the country: a banned destination is said at once.
    say_ban_first(turn)
    guesses = [
        name for name, confidence in turn.understanding.ranking[:4]
        if name in GUESSABLE and confidence >= _MIN_GUESS
    ][:3]
    maybe_danger = any(
        name == "emergency" and confidence >= _MIN_GUESS for name, confidence in turn.understanding.ranking[:3]
    )
    if maybe_danger:
        # Rasa half-thinks this is an emergency: ask, with the numbers, and a one-tap way to staff.
        buttons = [turn.button("intent.emergency", AskIntent("emergency"))]
        buttons += [turn.button(f"intent.{name}", AskIntent(name)) for name in guesses[:2]]
        buttons.append(turn.button("btn_menu", Command("menu")))
        turn.say(turn.t("clarify_danger"), buttons)
    elif guesses:
        buttons = [turn.button(f"intent.{name}", AskIntent(name)) for name in guesses]
        buttons.append(turn.button("btn_menu", Command("menu")))
        turn.say(turn.t("clarify_guess"), buttons)
    else:
        turn.say(turn.t("clarify_menu"), menu_buttons(turn))
