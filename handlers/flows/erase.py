"""Delete my data (/hapus): ask to confirm, then erase what the bot holds about the person."""

from __future__ import annotations

from bot.chat.payload import Command, FlowAnswer
from bot.chat.turn import Turn
from bot.hotline.erasure import erase_person
from bot.storage import people

NAME = "erase"


def start(turn: Turn) -> None:
    """Explain what will be deleted and ask to confirm."""
    people.enter_flow(turn.conversation, NAME, "confirm")
    turn.say(
        turn.t("erase_confirm"),
        [turn.button("btn_erase_yes", FlowAnswer(NAME, "yes")), turn.button("btn_erase_no", FlowAnswer(NAME, "no"))],
    )


def resume(turn: Turn, answer: FlowAnswer | None) -> None:
    if answer is not None and answer.choice == "yes":
        erase_contact_data(turn)
        return
    people.leave_flow(turn.conversation)
    turn.say(turn.t("erase_kept"), [turn.button("btn_menu", Command("menu"))])


def erase_contact_data(turn: Turn) -> None:
    """Say it is done, in the person's language before it is forgotten, then erase their data."""
    turn.say(turn.t("erased"))
    erase_person(turn.session, turn.contact, turn.conversation, turn.now)
