"""Report a relative abroad who cannot be reached (/lapor, intent report_missing_person).

Consent, then: name, relation, age, country and place, regency of origin (West Kalimantan), last
contact, employer or agent, how they left, anything else, the reporter's phone, a photo; every
question can be skipped. A summary to
confirm, then a case in the hotline queue with high priority, urgent when what was written shows
danger or the relative is under 18 (a child cannot be placed abroad at all: UU 18/2017
Pasal 5).
"""

from __future__ import annotations

import re

from bot.chat.payload import FlowAnswer
from bot.chat.turn import Turn
from bot.storage.models import CaseKind
from handlers.flows import reports, steps
from handlers.flows.steps import SKIP, Option, Question, State

NAME = "missing_person"
ADULT_AGE = 18

QUESTIONS = (
    Question("name", "mp_q_name", skippable=True, max_len=120),
    Question("relation", "mp_q_relation", (
        Option("child", "mp_opt_child", r"anak|anak saya|putra|putri|son|daughter"),
        Option("spouse", "mp_opt_spouse", r"suami|istri|isteri|bini|laki|husband|wife"),
        Option("parent", "mp_opt_parent", r"ibu|bapak|ayah|mama|mamak|emak|abah|orang tua|mother|father|mom|dad"),
        Option("sibling", "mp_opt_sibling", r"adik|kakak|abang|saudara kandung|sister|brother"),
        Option("other", "mp_opt_other_relation", r"lainnya|lain|other"),
    ), skippable=True, free_text=True, max_len=60),
    Question("age", "mp_q_age", skippable=True, max_len=40),
    Question("place", "mp_q_place", skippable=True, max_len=200),
    reports.regency_question("mp_q_regency"),
    Question("last_contact", "mp_q_last_contact", skippable=True, max_len=120),
    Question("employer", "mp_q_employer", skippable=True, max_len=200),
    Question("departure", "mp_q_departure", (
        Option("official", "mp_opt_official", r"resmi|official|p3mi|bp3mi|visa kerja|legal"),
        Option("unofficial", "mp_opt_unofficial", r"tidak resmi|ilegal|illegal|calo|tikus|turis|pelancong|unofficial"),
        Option("unknown", "jo_opt_unknown", means="unknown"),
    ), skippable=True),
    Question("notes", "mp_q_notes", skippable=True, max_len=1000),
    Question("reporter_phone", "mp_q_reporter_phone", skippable=True),
    Question("photo", "mp_q_photo", skippable=True, photo=True),
)


def _minor(state: State) -> list[str]:
    age = state.answers.get("age")
    if not isinstance(age, str) or age == SKIP:
        return []
    match = re.search(r"\d{1,2}", age)
    return ["minor"] if match and int(match.group(0)) < ADULT_AGE else []


SPEC = reports.ReportSpec(
    name=NAME,
    intent="report_missing_person",
    kind=CaseKind.MISSING_PERSON,
    questions=QUESTIONS,
    consent_text="mp_consent",
    declined_contacts=("kp2mi_call_centre", "kemlu_hotline", "bp3mi_kalbar", "police"),
    extra_urgent=_minor,
)
SCRIPT = reports.build_script(SPEC, parse={"reporter_phone": reports.phone})


def start(turn: Turn) -> None:
    """Ask for consent before anything is collected."""
    reports.start(turn, SCRIPT)


def resume(turn: Turn, answer: FlowAnswer | None) -> None:
    steps.resume(turn, SCRIPT, answer)
