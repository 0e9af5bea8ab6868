"""Distress without words ("😭😭🙏🙏"): a short, warm answer, the numbers, and a person offered."""

from __future__ import annotations

from bot.answers.texts import URGENT_CONTACTS
from bot.chat.payload import AskIntent, Command
from bot.chat.turn import Turn
from handlers import whereabouts


def distress(turn: Turn) -> None:
    """Ask gently what happened; one tap says "I am in danger", one reaches a staff member."""
    turn.conversation.clarify_count = 0
    abroad = whereabouts.abroad_now(turn)
    if abroad is not None:
        numbers = whereabouts.local_lines(turn, abroad)
    else:
        numbers = turn.services.texts.contact_lines(URGENT_CONTACTS, turn.lang)
    turn.say(
        turn.t("distress", numbers=numbers),
        [
            turn.button("intent.emergency", AskIntent("emergency")),
            turn.button("menu_human", AskIntent("request_human")),
            turn.button("btn_menu", Command("menu")),
        ],
    )
