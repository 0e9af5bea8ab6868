"""Follow a report (/status, "status KB-2026-000123", intent check_case_status), in every state.

Only the channel identity that made the report sees it. A number that does not exist and a number
that belongs to someone else get the same answer, so the bot never confirms that a case exists.
"""

from __future__ import annotations

from bot.chat.payload import Command, FlowAnswer
from bot.chat.turn import Turn
from bot.hotline import cases
from bot.storage import people
from bot.storage.models import Case, ConversationState
from bot.understanding.understand import case_id_entity

NAME = "case_status"
MAX_LISTED = 5


def start(turn: Turn) -> None:
    """Show the case named in the message, or this chat's own reports."""
    with_staff = turn.conversation.state is ConversationState.WITH_STAFF
    if not with_staff:
        people.leave_flow(turn.conversation)
    number = turn.understanding.entity("case_id")
    if number is None:
        entity = case_id_entity(turn.text)
        number = entity.value if entity else None
    # While staff hold the chat the bot's menu does not act, so it offers no buttons.
    buttons = [] if with_staff else [turn.button("btn_menu", Command("menu"))]
    if number:
        case = cases.find_own(turn.session, turn.contact, number)
        if case is None:
            turn.say(turn.t("case_not_found", number=number), buttons)
        else:
            turn.say(_describe(turn, case), buttons)
        return
    own = cases.own_cases(turn.session, turn.contact, MAX_LISTED)
    if not own:
        turn.say(turn.t("case_none"), [turn.button("menu_report", Command("report")), *buttons] if buttons else [])
        return
    listed = "\n\n".join(_describe(turn, case) for case in own)
    turn.say(f"{turn.t('case_list_head')}\n\n{listed}", buttons)


def resume(turn: Turn, answer: FlowAnswer | None) -> None:
    start(turn)


def _describe(turn: Turn, case: Case) -> str:
    return turn.t(
        "case_line",
        number=case.number,
        kind=turn.t(f"case_kind.{case.kind.value}"),
        status=cases.status_label(turn.services.texts, case.status, turn.lang),
        created=cases.local_date(case.created_at),
        updated=cases.local_date(case.updated_at),
        meaning=turn.t(f"case_meaning.{case.status.value}"),
    )
