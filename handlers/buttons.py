"""Pressed buttons, typed commands and numbered choices: payloads need no NLU."""

from __future__ import annotations

import dataclasses

from bot.chat.router import route_for_intent
from bot.chat.turn import Turn
from bot.storage.models import ConversationState
from handlers import escalation, flows, info, media, menu
from handlers.flows import language


def pressed(turn: Turn) -> None:
    """Act on the payload of a button or command."""
    payload = turn.decision.route.split(":", 1)[1]
    kind, _, rest = payload.partition(":")
    conversation = turn.conversation

    if conversation.state is ConversationState.WITH_STAFF and payload not in ("cmd:end_staff", "cmd:erase"):
        escalation.with_staff(turn)
        return
    if kind == "intent":
        reroute(turn, rest)
    elif kind == "answer":
        item_id, _, part = rest.rpartition(":")
        info.send_part(turn, item_id, int(part) if part.isdigit() else 0)
    elif kind == "flow":
        name, _, value = rest.partition(":")
        flows.run(turn, name, value or None)
    elif kind == "lang":
        language.choose(turn, rest)
    elif kind == "media":
        if conversation.state is ConversationState.IN_FLOW and conversation.flow:
            flows.run(turn, conversation.flow, None)
        else:
            media.media(turn)
    elif kind == "cmd":
        command(turn, rest)
    else:
        menu.show_menu(turn)


def reroute(turn: Turn, intent: str) -> None:
    """A button that names an intent behaves exactly like a confident message of that intent."""
    from handlers.registry import resolve_handler

    understanding = dataclasses.replace(turn.understanding, intent=intent, confidence=1.0)
    route = (
        "escalate" if intent == "emergency" else route_for_intent(understanding, turn.services.find_answer)
    )
    turn.understanding = understanding
    # "I am in danger now" pressed: as urgent as the safety rules firing.
    urgent = turn.decision.urgent or intent == "emergency"
    turn.decision = dataclasses.replace(turn.decision, intent=intent, route=route, urgent=urgent)
    resolve_handler(route)(turn)


def command(turn: Turn, name: str) -> None:
    if name in ("menu",):
        if turn.conversation.state is ConversationState.IN_FLOW:
            flows.store.leave_flow(turn.conversation)
        menu.show_menu(turn)
    elif name == "start":
        flows.store.leave_flow(turn.conversation)
        menu.welcome(turn)
    elif name == "language":
        turn.say(turn.t("choose_language"), list(language.BUTTONS))
    elif name == "cancel":
        flows.cancel(turn)
    elif name == "end_staff":
        escalation.end_staff(turn)
    elif name == "erase":
        flows.run(turn, "erase")
    elif name == "report":
        turn.say(
            turn.t("report_choose"),
            [
                turn.button("btn_report_missing", "intent:report_missing_person"),
                turn.button("btn_report_trafficking", "intent:report_trafficking"),
                turn.button("menu_human", "intent:request_human"),
            ],
        )
    else:
        menu.show_menu(turn)
