"""Guided conversations. Their state (flow, step, answers) lives in the conversations table.

A flow is a module with `NAME`, `start(turn)` and `resume(turn, answer)`: `answer` is the pressed
button of the flow (a FlowAnswer, also for a typed number), or None when the person typed free text
(read `turn.text`). Register it in FLOWS below. The engine handles cancel and menu at every step
(a flow with its own `cancelled(turn)` says what cancelling it means); a flow handles
"kembali"/back itself (FlowAnswer.back).
"""

from __future__ import annotations

import re
from types import ModuleType

from bot.chat.payload import BACK, FlowAnswer
from bot.chat.turn import Turn
from bot.storage import people
from bot.storage.models import ConversationState
from handlers.flows import (
    agency_check,
    case_status,
    erase,
    job_offer,
    language,
    missing_person,
    subscription,
    trafficking_report,
    work_problem,
)
from handlers.info import answer_intent
from handlers.menu import menu_buttons, show_menu

# "stop" and "berhenti" are opt-out words, read in dispatch before a flow sees them (payload.opt_out_word):
# they leave the flow too (handlers/flows/subscription.stop).
CANCEL_WORDS = re.compile(r"^\s*(batal|batalkan|cancel|tak jadi|gak jadi|ga jadi|nggak jadi)\s*[.!]*\s*$", re.I)
BACK_WORDS = re.compile(r"^\s*(kembali|balik|back|sebelumnya|mundur)\s*[.!]*\s*$", re.I)
MENU_WORDS = re.compile(r"^\s*(menu|menu utama|main menu)\s*[.!]*\s*$", re.I)

FLOWS: dict[str, ModuleType] = {
    language.NAME: language,
    subscription.NAME: subscription,
    erase.NAME: erase,
    job_offer.NAME: job_offer,
    agency_check.NAME: agency_check,
    missing_person.NAME: missing_person,
    trafficking_report.NAME: trafficking_report,
    case_status.NAME: case_status,
    work_problem.NAME: work_problem,
}


def register(module: ModuleType) -> None:
    FLOWS[module.NAME] = module


def in_flow(turn: Turn, name: str) -> bool:
    conv = turn.conversation
    return conv.state is ConversationState.IN_FLOW and conv.flow == name


def cancel(turn: Turn) -> None:
    """Leave any flow and say so."""
    module = FLOWS.get(turn.conversation.flow or "") if turn.conversation.state is ConversationState.IN_FLOW else None
    people.leave_flow(turn.conversation)
    cancelled = getattr(module, "cancelled", None)
    if cancelled is not None:
        cancelled(turn)
        return
    turn.say(turn.t("flow_cancelled"), menu_buttons(turn))


def run(turn: Turn, name: str, answer: FlowAnswer | None = None) -> None:
    """Start flow `name`, or feed it this message if the person is already in it."""
    module = FLOWS.get(name)
    if module is None:
        # A flow not built yet falls back to its general content answer.
        answer_intent(turn, turn.decision.intent or "ask_menu")
        return
    if not in_flow(turn, name):
        module.start(turn)
        return
    if answer is None:
        if CANCEL_WORDS.match(turn.text):
            cancel(turn)
            return
        if MENU_WORDS.match(turn.text):
            people.leave_flow(turn.conversation)
            show_menu(turn)
            return
        if BACK_WORDS.match(turn.text):
            answer = FlowAnswer(name, BACK)
    module.resume(turn, answer)
