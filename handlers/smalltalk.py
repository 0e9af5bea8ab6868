"""Greetings, thanks, yes/no outside a flow, 'are you a bot?', and out-of-scope questions."""

from __future__ import annotations

from bot.chat.payload import AskIntent, Command
from bot.chat.turn import Turn
from handlers.menu import menu_buttons, show_menu, welcome


def smalltalk(turn: Turn) -> None:
    """Answer small talk by intent."""
    intent = turn.decision.intent
    turn.conversation.clarify_count = 0
    if intent == "greet":
        welcome(turn)
    elif intent == "goodbye":
        turn.say(turn.t("goodbye"))
    elif intent == "thank_you":
        turn.say(turn.t("thank_you"), [turn.button("btn_menu", Command("menu"))])
    elif intent == "bot_challenge":
        turn.say(turn.t("bot_challenge"), [turn.button("menu_human", AskIntent("request_human"))])
    elif intent == "out_of_scope":
        turn.say(turn.t("out_of_scope"), menu_buttons(turn))
    elif intent in ("affirm", "deny"):
        turn.say(turn.t("affirm_deny_idle"), menu_buttons(turn))
    else:
        show_menu(turn)
