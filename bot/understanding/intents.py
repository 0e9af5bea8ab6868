"""The intent catalogue: every intent the NLU may name, and what kind of help each one asks for.

This is the one list. nlu/domain.yml (what Rasa is trained on), the router, the content library
and content/ui.yml's button labels must agree with it; tests/test_intents.py checks that they do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    SMALLTALK = "smalltalk"  # greetings, yes/no, "are you a bot?", the menu
    ANSWER = "answer"  # answered from the cited content library (content/answers)
    FLOW = "flow"  # starts a guided conversation (handlers/flows)
    HUMAN = "human"  # goes to the hotline queue


@dataclass(frozen=True)
class Intent:
    name: str
    kind: Kind
    flow: str | None = None  # the guided flow it starts (Kind.FLOW)
    guessable: bool = True  # worth offering as "did you mean ...?" when the NLU is unsure
    # A flow that also needs a general content item: shown when the person declines the flow or it
    # cannot run (every Kind.ANSWER intent needs one anyway).
    general_answer: bool = False


CATALOGUE: tuple[Intent, ...] = (
    Intent("greet", Kind.SMALLTALK, guessable=False),
    Intent("goodbye", Kind.SMALLTALK, guessable=False),
    Intent("thank_you", Kind.SMALLTALK, guessable=False),
    Intent("affirm", Kind.SMALLTALK, guessable=False),
    Intent("deny", Kind.SMALLTALK, guessable=False),
    Intent("ask_menu", Kind.SMALLTALK, guessable=False),
    Intent("bot_challenge", Kind.SMALLTALK),
    Intent("out_of_scope", Kind.SMALLTALK, guessable=False),
    Intent("change_language", Kind.FLOW, flow="language"),
    Intent("ask_procedure", Kind.ANSWER),
    Intent("ask_documents", Kind.ANSWER),
    Intent("ask_costs", Kind.ANSWER),
    Intent("ask_visa", Kind.ANSWER),
    Intent("check_job_offer", Kind.FLOW, flow="job_offer"),
    Intent("check_agency", Kind.FLOW, flow="agency_check", general_answer=True),
    Intent("ask_scam_signs", Kind.ANSWER),
    Intent("ask_destination_info", Kind.ANSWER),
    Intent("ask_worker_rights", Kind.ANSWER),
    Intent("ask_legal_aid", Kind.ANSWER),
    Intent("ask_victim_rights", Kind.ANSWER),
    Intent("report_missing_person", Kind.FLOW, flow="missing_person", general_answer=True),
    Intent("report_trafficking", Kind.FLOW, flow="trafficking_report", general_answer=True),
    # A worker's own trouble abroad, not in danger now: rights in brief, what to do there, a case offered.
    Intent("report_work_problem", Kind.FLOW, flow="work_problem", general_answer=True),
    Intent("emergency", Kind.HUMAN, guessable=False),
    Intent("request_human", Kind.HUMAN),
    Intent("ask_contacts", Kind.ANSWER),
    Intent("check_case_status", Kind.FLOW, flow="case_status"),
    Intent("subscribe_updates", Kind.FLOW, flow="subscription"),
    Intent("unsubscribe_updates", Kind.FLOW, flow="subscription"),
)

BY_NAME: dict[str, Intent] = {intent.name: intent for intent in CATALOGUE}
NAMES: frozenset[str] = frozenset(BY_NAME)
ANSWERED: frozenset[str] = frozenset(i.name for i in CATALOGUE if i.kind is Kind.ANSWER)
# The intents the content library must answer with a general item (one without entity filters).
NEEDS_GENERAL_ANSWER: frozenset[str] = ANSWERED | frozenset(i.name for i in CATALOGUE if i.general_answer)
FLOW_FOR_INTENT: dict[str, str] = {i.name: i.flow for i in CATALOGUE if i.flow is not None}
GUESSABLE: frozenset[str] = frozenset(i.name for i in CATALOGUE if i.guessable)


def kind_of(name: str | None) -> Kind:
    """An intent this version does not know is treated as small talk (the menu), never guessed at."""
    intent = BY_NAME.get(name or "")
    return intent.kind if intent else Kind.SMALLTALK
