"""Route -> handler. The router (bot/chat/router.py) names the route; this maps it to code."""

from __future__ import annotations

from collections.abc import Callable

from bot.chat.router import Answer, Clarify, Escalate, Flow, Pressed, Route, Smalltalk, WithStaff
from bot.chat.turn import Turn
from handlers import buttons, clarify, escalation, flows, info, smalltalk

Handler = Callable[[Turn], None]


def resolve_handler(route: Route) -> Handler:
    match route:
        case Answer(content_id):
            return lambda turn: info.answer(turn, content_id)
        case Flow(name):
            return lambda turn: flows.run(turn, name)
        case Pressed(payload):
            return lambda turn: buttons.pressed(turn, payload)
        case Escalate():
            return escalation.escalate
        case WithStaff():
            return escalation.with_staff
        case Clarify():
            return clarify.clarify
        case Smalltalk():
            return smalltalk.smalltalk
    raise LookupError(f"no handler for route {route!r}")
