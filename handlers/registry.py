"""Route -> handler. The router (bot/router.py) names the route; this maps it to code."""

from __future__ import annotations

from collections.abc import Callable

from bot.chat.turn import Turn
from handlers import buttons, clarify, escalation, flows, info, smalltalk

Handler = Callable[[Turn], None]

_BY_KIND: dict[str, Handler] = {
    "answer": info.answer,
    "smalltalk": smalltalk.smalltalk,
    "clarify": clarify.clarify,
    "escalate": escalation.escalate,
    "staff": escalation.with_staff,
    "button": buttons.pressed,
}


def resolve_handler(route: str) -> Handler:
    kind, _, rest = route.partition(":")
    if kind == "flow":
        return lambda turn: flows.run(turn, rest)
    try:
        return _BY_KIND[kind]
    except KeyError:
        raise LookupError(f"no handler for route {route!r}") from None
