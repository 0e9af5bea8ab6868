"""What the two report flows share: consent first, a summary to confirm, then a case in the queue.

Consent says what is collected, who sees it (Kanwil legal-aid staff, after logging in) and how
long it is kept (config.yml privacy.retention_days after the case is closed). Declining stores
nothing from the flow and gives the general answer and the numbers to call. A confirmed report
becomes a case with a readable number (bot/cases.py) and a high-priority escalation carrying that
case, urgent when what was written shows danger (bot/safety.py on the free-text answers together).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.chat.payload import AskIntent, Command
from bot.chat.turn import Turn
from bot.hotline import case_fields, cases, escalations
from bot.storage import people
from bot.storage.models import Case, CaseKind, ConversationState, Priority
from bot.understanding import safety
from handlers.flows import steps
from handlers.flows.steps import SKIP, Option, Question, Script, State
from handlers.info import answer_intent

log = logging.getLogger(__name__)

CONSENT = "consent"
CONFIRM = "confirm"
_PHONE_CHARS = re.compile(r"[\s().+-]")
# What a finished check leaves in the idle conversation for a report made right after it
# (conversation.answers; entering any flow or staff taking the chat replaces it), and for how long.
CARRIED = "carried"
CARRY_HOURS = 24
# State.extra key: what the report took over from an earlier check, as lines to show and keep.
FROM_CHECK = "from_check"


@dataclass(frozen=True)
class ReportSpec:
    name: str  # flow name
    intent: str
    kind: CaseKind
    questions: tuple[Question, ...]  # between consent and confirm
    consent_text: str  # ui.yml key; {days}
    anonymous_option: bool = False
    # Contacts named when the person declines (config.yml contacts keys).
    declined_contacts: tuple[str, ...] = ("police", "kp2mi_call_centre", "kanwil_hotline")
    extra_urgent: Callable[[State], list[str]] | None = None  # flow-specific danger signs


def regency_question(prompt: str) -> Question:
    """Optional: the kabupaten/kota of West Kalimantan the report is about; a typed place is kept as typed."""
    options = [Option(key, f"regency.{key}", words) for key, (_, words) in case_fields.REGENCIES.items()]
    options.append(Option(case_fields.OTHER, "regency.other", r"lainnya|lain|luar kalbar|other"))
    return Question("regency", prompt, tuple(options), skippable=True, free_text=True, max_len=60)


def consent_question(prompt: str, anonymous_option: bool) -> Question:
    # "tidak setuju" must not read as "setuju", nor "setuju, tanpa nama" as a named report.
    options = [Option("agree", "report_opt_agree", r"(?<!tidak )setuju(?!.*(?:anonim|tanpa nama))|agree|i agree",
                      means="yes")]
    if anonymous_option:
        options.append(Option("anonymous", "report_opt_anonymous", r"anonim|anonymous|tanpa nama|rahasia"))
    options.append(Option("decline", "report_opt_decline", r"tidak setuju|disagree|tidak mau|jangan", means="no"))
    return Question(CONSENT, prompt, tuple(options))


CONFIRM_QUESTION = Question(CONFIRM, "report_confirm_ask", (
    Option("send", "report_opt_send", r"(?<!jangan )(?<!tidak )(?:kirim|send)", means="yes"),
))


def phone(turn: Turn, text: str) -> str | None:
    """A phone number as typed, when it has the digits of one (8 to 15)."""
    digits = _PHONE_CHARS.sub("", text)
    return text.strip()[:32] if digits.isdigit() and 8 <= len(digits) <= 15 else None


def build_script(spec: ReportSpec, parse: dict[str, Callable[[Turn, str], Any]] | None = None) -> Script:
    SPECS[spec.name] = spec
    questions = (consent_question(spec.consent_text, spec.anonymous_option), *spec.questions, CONFIRM_QUESTION)

    def applies(key: str, state: State) -> bool:
        if key.startswith("reporter_") and state.extra.get("anonymous"):
            return False
        return True

    return Script(
        name=spec.name,
        intent=spec.intent,
        questions=questions,
        finish=lambda turn, state: submit(turn, spec, state),
        applies=applies,
        render=lambda turn, q, state: render(turn, spec, q, state),
        after_answer=lambda turn, state, key: after_answer(turn, spec, state, key),
        parse=parse or {},
        keep_media=True,
    )


def render(turn: Turn, spec: ReportSpec, q: Question, state: State) -> str:
    if q.key == CONSENT:
        return turn.t(q.prompt, days=turn.services.settings.privacy.retention_days)
    if q.key == CONFIRM:
        return f"{turn.t('report_summary_head')}\n{summary(turn, spec, state)}\n\n{turn.t(q.prompt)}"
    if state.extra.get(FROM_CHECK) and turn.services.texts.strings.get(f"{q.prompt}_after_check"):
        # The check already told the offer: ask only for what it could not know.
        return turn.t(f"{q.prompt}_after_check")
    return turn.t(q.prompt)


def carry(turn: Turn, source: str, data: dict[str, Any]) -> None:
    """Keep what a finished check found, for a report made right after it (see CARRIED)."""
    turn.conversation.answers = {CARRIED: {"source": source, "at": turn.now.isoformat(), **data}}


def carried(turn: Turn, source: str) -> dict[str, Any] | None:
    """What the check `source` left, if it is the last thing the person did, within CARRY_HOURS."""
    if turn.conversation.state is not ConversationState.IDLE:
        return None
    data = (turn.conversation.answers or {}).get(CARRIED)
    if not isinstance(data, dict) or data.get("source") != source:
        return None
    try:
        at = datetime.fromisoformat(str(data.get("at")))
    except ValueError:
        return None
    return data if turn.now - at <= timedelta(hours=CARRY_HOURS) else None


def summary(turn: Turn, spec: ReportSpec, state: State) -> str:
    lines = []
    if state.extra.get("anonymous"):
        lines.append(turn.t("report_is_anonymous"))
    if state.extra.get(FROM_CHECK):
        lines.append(f"• {turn.t('report_field.from_check')}:\n{state.extra[FROM_CHECK]}")
    for q in spec.questions:
        if q.key.startswith("reporter_") and state.extra.get("anonymous"):
            continue
        lines.append(f"• {turn.t('report_field.' + q.key)}: {_shown(turn, q, state.answers.get(q.key))}")
    attachments = state.extra.get("attachments") or []
    if attachments:
        lines.append(f"• {turn.t('report_field.attachments')}: {len(attachments)}")
    return "\n".join(lines)


def _shown(turn: Turn, q: Question, value: Any) -> str:
    if value is None or value == SKIP:
        return "-"
    if isinstance(value, list):
        return turn.t("report_photo_received")
    option = q.option(str(value))
    return turn.t(option.label) if option else str(value)


def after_answer(turn: Turn, spec: ReportSpec, state: State, key: str) -> bool:
    if key == CONSENT:
        choice = state.answers.get(CONSENT)
        if choice == "decline":
            declined(turn, spec)
            return True
        turn.contact.consent_at = turn.now
        state.extra["consent_at"] = turn.now.isoformat()
        state.extra["anonymous"] = choice == "anonymous"
        state.save(turn)
        return False
    if key == CONFIRM:
        submit(turn, spec, state)
        return True
    return False


def declined(turn: Turn, spec: ReportSpec) -> None:
    """Nothing is kept from the flow; the person still gets the general answer and the numbers."""
    people.leave_flow(turn.conversation)
    numbers = turn.services.texts.contact_lines(spec.declined_contacts, turn.lang)
    turn.say(turn.t("report_declined", numbers=numbers))
    answer_intent(turn, spec.intent)


def danger_signs(spec: ReportSpec, state: State) -> list[str]:
    """Safety-net categories found in everything the person wrote, read together."""
    written = [
        v for q in spec.questions
        if isinstance(v := state.answers.get(q.key), str) and v != SKIP and not q.option(v)
    ]
    verdict = safety.check(". ".join(written))
    reasons = list(verdict.reasons)
    if spec.extra_urgent is not None:
        reasons += spec.extra_urgent(state)
    return reasons


def _details(turn: Turn, spec: ReportSpec, state: State) -> dict[str, Any]:
    """What the report holds: the answers given (no reporter identity when anonymous)."""
    anonymous = bool(state.extra.get("anonymous"))
    details: dict[str, Any] = {}
    for q in spec.questions:
        value = state.answers.get(q.key)
        if value is None or value == SKIP or (anonymous and q.key.startswith("reporter_")):
            continue
        details[q.key] = value
    if state.extra.get("attachments"):
        details["attachments"] = state.extra["attachments"]
    if state.extra.get(FROM_CHECK):
        details["from_check"] = state.extra[FROM_CHECK]
    details["language"] = turn.lang
    return details


def file_in_progress(turn: Turn, reasons: tuple[str, ...]) -> Case | None:
    """A report interrupted by an urgent message becomes an urgent case, so no answer is lost.

    Only when the person already consented in this flow; the urgent message is kept with it.
    """
    spec = SPECS.get(turn.conversation.flow or "")
    if spec is None:
        return None
    state = State.load(turn)
    if not state.extra.get("consent_at"):
        return None
    details = _details(turn, spec, state)
    details["urgent_message"] = turn.text
    details["danger_signs"] = sorted(set(danger_signs(spec, state)) | set(reasons))
    case = cases.create_case(
        turn.session, kind=spec.kind, contact=turn.contact, details=details, now=turn.now,
        anonymous=bool(state.extra.get("anonymous")), urgent=True, consent_at=turn.contact.consent_at,
    )
    log.warning("report.filed_on_urgent case=%s kind=%s", case.number, spec.kind.value)
    return case


def submit(turn: Turn, spec: ReportSpec, state: State) -> None:
    """Make the case, put it in the hotline queue, and tell the reporter its number."""
    anonymous = bool(state.extra.get("anonymous"))
    details = _details(turn, spec, state)
    reasons = danger_signs(spec, state)
    if reasons:
        details["danger_signs"] = reasons
    consent_at = turn.contact.consent_at
    case = cases.create_case(
        turn.session, kind=spec.kind, contact=turn.contact, details=details, now=turn.now,
        anonymous=anonymous, urgent=bool(reasons), consent_at=consent_at,
    )
    escalation, created = escalations.open_escalation(
        turn.session, turn.contact,
        priority=Priority.URGENT if reasons else Priority.HIGH,
        reason=f"case:{spec.kind.value}",
        now=turn.now,
        case_id=case.id,
    )
    people.leave_flow(turn.conversation)
    log.warning(
        "report.filed case=%s kind=%s escalation=%s new=%s priority=%s danger=%s",
        case.number, spec.kind.value, escalation.id, created, escalation.priority.value, ",".join(reasons) or "-",
    )
    text = turn.t("report_done", number=case.number)
    if reasons:
        text = f"{text}\n\n{turn.t('report_done_urgent')}"
    turn.say(
        text,
        [turn.button("menu_status", AskIntent("check_case_status")), turn.button("btn_menu", Command("menu"))],
    )


# Report flows by name, filled by the flow modules when they build their scripts.
SPECS: dict[str, ReportSpec] = {}


def start(turn: Turn, script: Script, state: State | None = None, note: str | None = None) -> None:
    """Begin a report; `state` holds what an earlier check already answered, `note` says so."""
    if steps.stale_start(turn, script):
        return
    intro = turn.t(f"{script.name}_intro")
    steps.begin(turn, script, state, f"{intro}\n\n{note}" if note else intro)
