"""Decide what the bot does with one understood message. Pure: no database, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.storage.models import ConversationState
from bot.understanding.result import Understanding

SMALLTALK = frozenset(
    {"greet", "goodbye", "thank_you", "affirm", "deny", "bot_challenge", "out_of_scope", "ask_menu"}
)
# Intents answered from the curated content library (content/answers).
INFORMATIONAL = frozenset(
    {
        "ask_procedure", "ask_documents", "ask_costs", "ask_visa", "ask_scam_signs",
        "ask_destination_info", "ask_worker_rights", "ask_legal_aid", "ask_victim_rights",
        "ask_contacts",
    }
)
# Intents that start a guided conversation (handlers/flows).
FLOW_FOR_INTENT = {
    "change_language": "language",
    "check_job_offer": "job_offer",
    "check_agency": "agency_check",
    "report_missing_person": "missing_person",
    "report_trafficking": "trafficking_report",
    "check_case_status": "case_status",
    "subscribe_updates": "subscription",
    "unsubscribe_updates": "subscription",
}
ALL_INTENTS = SMALLTALK | INFORMATIONAL | frozenset(FLOW_FOR_INTENT) | {"emergency", "request_human"}


@dataclass(frozen=True)
class Decision:
    """intent: the table's intent (or None); route: what runs next.

    Routes: answer:<content_id> | flow:<name> | escalate | clarify | smalltalk (CONTRACTS §3), and
    internally staff (a person is answering), button:<payload> (a pressed button or command).
    """

    intent: str | None
    urgent: bool
    route: str


FindAnswer = Callable[[str, dict[str, str]], "str | None"]


def decide(
    understanding: Understanding,
    *,
    state: ConversationState = ConversationState.IDLE,
    flow: str | None = None,
    payload: str | None = None,
    threshold: float,
    find_answer: FindAnswer,
) -> Decision:
    """The one routing rule set, used by live messages and by `python -m bot triage`."""
    in_flow = state is ConversationState.IN_FLOW and bool(flow)
    # Mid-flow, a short answer ("paspornya ditahan", "dia mau pulang") out of context is not an
    # emergency by Rasa's guess alone; the safety rules still catch real danger at every step.
    urgent = understanding.safety.urgent if in_flow else understanding.urgent(threshold)
    intent = "emergency" if urgent else understanding.intent
    # Safety first: an urgent message escalates from any state, even mid-flow or mid-button.
    if urgent and state is not ConversationState.WITH_STAFF:
        return Decision("emergency", True, "escalate")
    if payload is not None:
        return Decision(intent, urgent, f"button:{payload}")
    if state is ConversationState.WITH_STAFF:
        return Decision(intent, urgent, "staff")
    if in_flow:
        # The flow reads the answer itself; it may hand a clear new request back to the router.
        return Decision(intent, urgent, f"flow:{flow}")
    if intent is None or understanding.confidence < threshold:
        return Decision(intent or "out_of_scope", False, "clarify")
    return Decision(intent, False, route_for_intent(understanding, find_answer))


def route_for_intent(understanding: Understanding, find_answer: FindAnswer) -> str:
    intent = understanding.intent or "out_of_scope"
    if intent == "request_human":
        return "escalate"
    if intent in FLOW_FOR_INTENT:
        return f"flow:{FLOW_FOR_INTENT[intent]}"
    if intent in INFORMATIONAL:
        entities = {e.entity: e.value for e in understanding.entities}
        item = find_answer(intent, entities)
        return f"answer:{item}" if item else "clarify"
    return "smalltalk"
