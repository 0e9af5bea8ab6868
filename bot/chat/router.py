"""Decide what the bot does with one understood message. Pure: no database, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.chat.payload import MediaSent, Payload
from bot.storage.models import ConversationState
from bot.understanding.intents import FLOW_FOR_INTENT, Kind, kind_of
from bot.understanding.result import Understanding


# Routes. str(route) is the name `python -m bot triage` prints and the transcript stores:
# answer:<content_id> | flow:<name> | escalate | clarify | smalltalk, and internally
# staff (a person is answering) and button:<payload> (a pressed button or typed command).
@dataclass(frozen=True)
class Answer:
    content_id: str

    def __str__(self) -> str:
        return f"answer:{self.content_id}"


@dataclass(frozen=True)
class Flow:
    name: str

    def __str__(self) -> str:
        return f"flow:{self.name}"


@dataclass(frozen=True)
class Pressed:
    payload: Payload

    def __str__(self) -> str:
        return f"button:{self.payload}"


@dataclass(frozen=True)
class Escalate:
    def __str__(self) -> str:
        return "escalate"


@dataclass(frozen=True)
class Clarify:
    def __str__(self) -> str:
        return "clarify"


@dataclass(frozen=True)
class Smalltalk:
    def __str__(self) -> str:
        return "smalltalk"


@dataclass(frozen=True)
class WithStaff:
    def __str__(self) -> str:
        return "staff"


Route = Answer | Flow | Pressed | Escalate | Clarify | Smalltalk | WithStaff


@dataclass(frozen=True)
class Decision:
    """intent: an intent of the catalogue (or None); urgent: goes to the hotline as urgent."""

    intent: str | None
    urgent: bool
    route: Route

    @property
    def escalates(self) -> bool:
        return isinstance(self.route, Escalate)


FindAnswer = Callable[[str, dict[str, str]], "str | None"]


def decide(
    understanding: Understanding,
    *,
    state: ConversationState = ConversationState.IDLE,
    flow: str | None = None,
    payload: Payload | None = None,
    threshold: float,
    find_answer: FindAnswer,
    after_close: bool = False,
) -> Decision:
    """The one routing rule set, used by live messages and by `python -m bot triage`.

    after_close: staff closed this person's escalation lately (config.yml hotline.reopen_hours); what
    they write next goes to the staff side (WithStaff), which reopens it or, for a plain question,
    lets the bot answer and tells staff. Buttons and commands still act as pressed.
    """
    in_flow = state is ConversationState.IN_FLOW and bool(flow)
    # Mid-flow, a short answer ("paspornya ditahan", "dia mau pulang") out of context is not an
    # emergency by Rasa's guess alone; the safety rules still catch real danger at every step.
    urgent = understanding.safety.urgent if in_flow else understanding.urgent(threshold)
    intent = "emergency" if urgent else understanding.intent
    # Safety first: an urgent message escalates from any state, even mid-flow or mid-button.
    if urgent and state is not ConversationState.WITH_STAFF:
        return Decision("emergency", True, Escalate())
    if after_close and state is ConversationState.IDLE and (payload is None or isinstance(payload, MediaSent)):
        return Decision(intent, urgent, WithStaff())
    if payload is not None:
        return Decision(intent, urgent, Pressed(payload))
    if state is ConversationState.WITH_STAFF:
        return Decision(intent, urgent, WithStaff())
    if in_flow and flow:
        # The flow reads the answer itself; it may hand a clear new request back to dispatch.
        return Decision(intent, urgent, Flow(flow))
    if intent is None or understanding.confidence < threshold:
        return Decision(intent or "out_of_scope", False, Clarify())
    return Decision(intent, False, route_for_intent(understanding, find_answer))


def decide_followed(
    understanding: Understanding, intent: str, *, urgent: bool, find_answer: FindAnswer
) -> tuple[Understanding, Decision]:
    """A handler asked to treat this turn as a confident request for `intent` (a button naming an
    intent, or a clear new request typed mid-flow): the understanding and decision to run next."""
    followed = replace(understanding, intent=intent, confidence=1.0)
    # "I am in danger now" pressed: as urgent as the safety rules firing.
    urgent = urgent or intent == "emergency"
    route = Escalate() if intent == "emergency" else route_for_intent(followed, find_answer)
    return followed, Decision(intent, urgent, route)


def route_for_intent(understanding: Understanding, find_answer: FindAnswer) -> Route:
    intent = understanding.intent or "out_of_scope"
    kind = kind_of(intent)
    if kind is Kind.HUMAN:
        return Escalate()
    if kind is Kind.FLOW:
        return Flow(FLOW_FOR_INTENT[intent])
    if kind is Kind.ANSWER:
        entities = {e.entity: e.value for e in understanding.entities}
        item = find_answer(intent, entities)
        return Answer(item) if item else Clarify()
    return Smalltalk()
