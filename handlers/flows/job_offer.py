"""Check a job offer (/cek, intent check_job_offer): up to eight short questions, then a verdict.

A pasted advert (the message that started the flow, or text typed at any question) is read first
(bot/red_flags.scan) and only what it did not answer is asked. The job is asked only where it
changes the verdict (scam-compound countries, the Middle East, other countries) and the route only
for the land border (Malaysia / Brunei, or an unknown destination), so no path asks more than eight.
"""

from __future__ import annotations

from typing import Any

from bot.chat.inbound import Button
from bot.chat.payload import AskIntent, Command, FlowAnswer
from bot.chat.router import Pressed
from bot.chat.turn import Turn
from bot.hotline import job_checks
from bot.recruitment import agencies, red_flags
from bot.recruitment.red_flags import SalaryRules
from bot.storage import people
from handlers.flows import reports, steps
from handlers.flows.steps import Option, Question, Script, State

NAME = "job_offer"
# Below this many characters a typed answer is an answer; longer text that is not one is read as an advert.
ADVERT_MIN_CHARS = 40
# The verdict leads with this many red flags, gravest first; the rest wait behind a button (phone-sized text).
FLAGS_SHOWN = 3
# The choice of the "more warning signs" button under a verdict.
MORE_FLAGS = "more_flags"
# A pasted advert is kept (this long) for a report made right after the check.
ADVERT_KEPT_CHARS = 1000

_UNKNOWN = Option("unknown", "jo_opt_unknown", means="unknown")
QUESTIONS = (
    Question("recruiter", "jo_q_recruiter", (
        Option("company", "jo_opt_recruiter_company", r"pt|p t|cv|perusahaan|p3mi|pptkis|agensi|agency|company"),
        Option("individual", "jo_opt_recruiter_individual",
               r"calo|sponsor|tekong|perorangan|orang|kenalan|teman|kawan|tetangga|saudara|person|friend|individu\w*"),
        Option("social_media", "jo_opt_recruiter_social",
               r"fb|facebook|tiktok|tik tok|ig|instagram|telegram|medsos|sosmed|media sosial|social media|grup|group|online|akun"),
        _UNKNOWN,
    )),
    Question("fee", "jo_q_fee", (
        Option("yes", "jo_opt_fee_yes", r"bayar|biaya|transfer|dp|uang", means="yes"),
        Option("no", "jo_opt_no", r"gratis|free", means="no"),
        _UNKNOWN,
    )),
    Question("visa", "jo_q_visa", (
        Option("work", "jo_opt_visa_work", r"kerja|work|working|calling"),
        Option("tourist", "jo_opt_visa_tourist", r"turis|wisata|pelancong|tourist|bebas visa|visa free|liburan"),
        Option("visit", "jo_opt_visa_visit", r"kunjungan|visit|lawatan"),
        Option("umrah", "jo_opt_visa_umrah", r"umrah|umroh|haji|hajj|ziarah"),
        _UNKNOWN,
    )),
    Question("destination", "jo_q_destination", (
        Option("malaysia_brunei", "jo_opt_dest_malaysia"),
        Option("scam_region", "jo_opt_dest_scam"),
        Option("middle_east", "jo_opt_dest_middle_east"),
        Option("other", "jo_opt_dest_other", r"lain|lainnya|other"),
        _UNKNOWN,
    )),
    Question("job", "jo_q_job", (
        Option("household", "jo_opt_job_household"),
        Option("online", "jo_opt_job_online"),
        Option("mandarin", "jo_opt_job_mandarin", r"mandarin|penerjemah|translator|chinese"),
        Option("other", "jo_opt_job_other", r"lain|lainnya|other"),
        _UNKNOWN,
    )),
    Question("contract", "jo_q_contract", (
        Option("yes", "jo_opt_contract_yes", r"sudah|ada|pernah|yes", means="yes"),
        Option("no", "jo_opt_contract_no", r"nanti|di sana|disana|belum", means="no"),
        _UNKNOWN,
    )),
    Question("passport", "jo_q_passport", (
        Option("yes", "jo_opt_yes", r"dipegang|ditahan|disimpan|diminta|diambil|serahkan|titip\w*", means="yes"),
        Option("no", "jo_opt_no", r"saya pegang|sendiri|pegang sendiri|simpan sendiri", means="no"),
        _UNKNOWN,
    )),
    Question("salary", "jo_q_salary", (
        Option("high", "jo_opt_salary_high", r"tinggi|besar|banyak|high|very high"),
        Option("normal", "jo_opt_salary_normal", r"biasa|wajar|normal|standar|standard|umr|ump"),
        Option("unknown", "jo_opt_salary_unknown", r"belum disebut|tidak disebut", means="unknown"),
    )),
    Question("route", "jo_q_route", (
        Option("official", "jo_opt_route_official", r"plbn|resmi|imigrasi|bandara|pesawat|airport|official|pos"),
        Option("unofficial", "jo_opt_route_unofficial",
               r"tikus|hutan|belakang|tidak resmi|ilegal|illegal|tanpa paspor|tanpa cap"),
        _UNKNOWN,
    )),
)
# Short names of the questions, for "what I read in your text".
_SHORT = {q.key: f"jo_short_{q.key}" for q in QUESTIONS}


def _rules(turn: Turn) -> SalaryRules:
    cfg = turn.services.settings.job_offer
    return SalaryRules(
        too_high_idr=cfg.salary_too_high_idr or red_flags.DEFAULT_SALARY_RULES.too_high_idr,
        rates_to_idr=cfg.rates_to_idr or red_flags.DEFAULT_SALARY_RULES.rates_to_idr,
    )


def _applies(key: str, state: State) -> bool:
    destination = state.answers.get("destination")
    if key == "job":
        return destination in ("scam_region", "middle_east", "other")
    if key == "route":
        return destination in ("malaysia_brunei", "unknown")
    return True


# ------------------------------------------------------------------------------------ typed answers
def _parse_destination(turn: Turn, text: str) -> str | None:
    if red_flags.fold(text).strip() in ("lain", "lainnya", "negara lain", "other"):
        return "other"
    return red_flags.destination_of(text, turn.understanding.entity("country"))


def _parse_job(turn: Turn, text: str) -> str | None:
    return red_flags.job_of(text) or ("other" if len(text.split()) <= 4 else None)


def _parse_salary(turn: Turn, text: str) -> str | None:
    amount = red_flags.salary_amount_idr(text, _rules(turn), need_keyword=False)
    return "amount" if amount is not None else None


def _parse_recruiter(turn: Turn, text: str) -> str | None:
    return red_flags.recruiter_of(text)


def _parse_visa(turn: Turn, text: str) -> str | None:
    return red_flags.visa_of(text)


def _intercept(turn: Turn, state: State, q: Question) -> bool:
    """A long text is read as an advert first; then only what it left open is asked."""
    text = turn.text.strip()
    if len(text) < ADVERT_MIN_CHARS:
        return _short_answer_flags(turn, state, q, text)
    found = _read_advert(turn, state, text)
    if not found:
        return False
    steps.advance(turn, SCRIPT, state, _with_at_once(turn, state, _understood(turn, found, state)))
    return True


def _short_answer_flags(turn: Turn, state: State, q: Question, text: str) -> bool:
    """A short answer may show a red flag by itself ("ndak perlu paspor", "paspor nanti dibuatkan"): note it.

    At the passport question it is the answer (whether someone will hold a passport is then unknown).
    """
    known = set(state.extra.get("text_flags", []))
    found = red_flags.scan(text, _rules(turn)).text_flags - known
    if not found:
        return False
    state.extra["text_flags"] = sorted(known | found)
    state.save(turn)
    if q.key != "passport" or "no_passport" not in found:
        return False  # the answer is still read as usual
    state.answers["passport"] = "unknown"
    state.history = [k for k in state.history if k != q.key] + [q.key]
    steps.advance(turn, SCRIPT, state, _with_at_once(turn, state, turn.t("jo_read_flags_only")))
    return True


def _after_answer(turn: Turn, state: State, key: str) -> bool:
    if key == "job" and turn.inbound.kind == "text" and state.answers.get("job") == "other":
        kind = red_flags.job_kind_of(turn.text)
        if kind:
            state.extra["job_kind"] = kind
            state.save(turn)
    if key == "salary" and state.answers.get("salary") == "amount":
        state.extra["salary_idr"] = red_flags.salary_amount_idr(turn.text, _rules(turn), need_keyword=False)
        state.save(turn)
    warning = _at_once(turn, state)
    if warning:
        turn.say(warning)
    return False


def _at_once(turn: Turn, state: State) -> str | None:
    """A flag that must not wait for the verdict (the Middle East household ban), said once."""
    answers = {k: str(v) for k, v in state.answers.items() if v != steps.SKIP}
    said = set(state.extra.get("said_at_once", []))
    new = [flag for flag in red_flags.at_once(answers) if flag.code not in said]
    if not new:
        return None
    state.extra["said_at_once"] = sorted(said | {flag.code for flag in new})
    state.save(turn)
    return turn.t("jo_at_once", line="\n".join(flag.line(turn.lang) for flag in new))


def _with_at_once(turn: Turn, state: State, text: str) -> str:
    warning = _at_once(turn, state)
    return f"{text}\n\n{warning}" if warning else text


def _read_advert(turn: Turn, state: State, text: str) -> dict[str, str]:
    """Merge what the text answers (never over the person's own answers); returns what was new."""
    result = red_flags.scan(text, _rules(turn), turn.understanding.entity("country"))
    new = {k: v for k, v in result.answers.items() if k not in state.answers}
    state.answers.update(new)
    if result.salary_idr is not None and "salary" in new:
        state.extra["salary_idr"] = result.salary_idr
    flags = sorted(set(state.extra.get("text_flags", [])) | result.text_flags)
    if flags:
        state.extra["text_flags"] = flags
    company = red_flags.company_name_in(text)
    if company and "company_name" not in state.extra:
        state.extra["company_name"] = company
    kind = red_flags.job_kind_of(text)
    if kind and state.answers.get("job") == "other" and "job_kind" not in state.extra:
        state.extra["job_kind"] = kind
    if new or result.text_flags:
        state.extra.setdefault("advert", text[:ADVERT_KEPT_CHARS])
    state.save(turn)
    return {**new, **{f"flag:{f}": "1" for f in result.text_flags}} if (new or result.text_flags) else {}


def _understood(turn: Turn, found: dict[str, str], state: State) -> str:
    parts = [
        f"• {turn.t(_SHORT[key])}: {_label(turn, state, key, value)}"
        for key, value in found.items() if not key.startswith("flag:")
    ]
    if not parts:
        return turn.t("jo_read_flags_only")
    flags = [key.removeprefix("flag:") for key in found if key.startswith("flag:")]
    if flags:
        parts.append(f"• {turn.t('jo_flags_head')} {_flag_names(turn, flags)}")
    return turn.t("jo_read_advert", items="\n".join(parts))


def _label(turn: Turn, state: State, key: str, value: str) -> str:
    """An answer as the person reads it back: the job they named ("Restoran"), not the button's group."""
    if key == "salary" and value == "amount":
        return _salary_label(turn, state)
    if key == "job" and value == "other" and state.extra.get("job_kind"):
        return turn.t(f"jo_job_kind.{state.extra['job_kind']}")
    option = next((q.option(value) for q in QUESTIONS if q.key == key), None)
    return turn.t(option.label) if option else value


def _salary_label(turn: Turn, state: State) -> str:
    amount = state.extra.get("salary_idr")
    if not amount:
        return "-"
    return f"± Rp {amount:,.0f}".replace(",", ".") + " " + turn.t("jo_per_month")


SCRIPT = Script(
    name=NAME,
    intent="check_job_offer",
    questions=QUESTIONS,
    finish=lambda turn, state: finish(turn, state),
    applies=_applies,
    intercept=_intercept,
    after_answer=_after_answer,
    parse={
        "recruiter": _parse_recruiter, "visa": _parse_visa, "destination": _parse_destination,
        "job": _parse_job, "salary": _parse_salary,
    },
)


# ------------------------------------------------------------------------------------ flow
def start(turn: Turn) -> None:
    """Explain the check; read the message that started it if it describes the offer."""
    if _more_flags_pressed(turn):
        more_flags(turn)
        return
    if steps.stale_start(turn, SCRIPT):
        return
    state = State()
    prefix = turn.t("jo_intro")
    if turn.understanding.source in ("rasa", "degraded") and turn.text:
        found = _read_advert(turn, state, turn.text)
        if found:
            prefix = _with_at_once(turn, state, f"{prefix}\n\n{_understood(turn, found, state)}")
    steps.begin(turn, SCRIPT, state, prefix)


def resume(turn: Turn, answer: FlowAnswer | None) -> None:
    steps.resume(turn, SCRIPT, answer)


def finish(turn: Turn, state: State) -> None:
    """The verdict: risk level, the gravest red flags with their legal bases, what to do next."""
    answers = {k: str(v) for k, v in state.answers.items() if v != steps.SKIP}
    result = red_flags.assess(
        answers, set(state.extra.get("text_flags", [])),
        salary_idr=state.extra.get("salary_idr"), rules=_rules(turn),
    )
    people.leave_flow(turn.conversation)
    # Only the verdict is kept, for the monitoring figures (no text, no person).
    job_checks.record(turn.session, result.level, [f.code for f in result.flags], turn.now)
    # What a report made right after this check needs, so it does not ask it again.
    reports.carry(turn, NAME, {
        "answers": answers, "job_kind": state.extra.get("job_kind"), "company_name": state.extra.get("company_name"),
        "salary_idr": state.extra.get("salary_idr"), "advert": state.extra.get("advert"),
        "flags": [flag.code for flag in result.flags], "level": result.level,
    })
    lines = [turn.t(f"jo_result_{result.level}")]
    if result.flags:
        lines.append(turn.t("jo_flags_head"))
        lines.extend(flag.line(turn.lang) for flag in result.flags[:FLAGS_SHOWN])
    else:
        lines.append(turn.t("jo_no_flags"))
    if result.unknown:
        lines.append(turn.t("jo_unknown", items=", ".join(turn.t(_SHORT[k]).lower() for k in result.unknown)))
    turn.say("\n".join(lines))
    company = state.extra.get("company_name")
    registry = _registry_line(turn, company) if company else None
    bp3mi = turn.services.texts.contact_line("bp3mi_kalbar", turn.lang)
    next_steps = turn.t("jo_next_steps")
    if bp3mi:
        next_steps = f"{next_steps}\n{bp3mi}"
    if registry:
        next_steps = f"{registry}\n\n{next_steps}"
    hidden = len(result.flags) - FLAGS_SHOWN
    turn.say(f"{next_steps}\n\n{turn.t('flow_legal_note')}", _result_buttons(turn, hidden))


def _result_buttons(turn: Turn, hidden: int) -> list[Button]:
    buttons = []
    if hidden > 0:
        label = turn.t("jo_btn_more_flags", count=hidden)
        buttons.append(Button(label, str(FlowAnswer(NAME, MORE_FLAGS))))
    return buttons + [
        turn.button("jo_btn_report", AskIntent("report_trafficking")),
        turn.button("jo_btn_check_agency", AskIntent("check_agency")),
        turn.button("menu_human", AskIntent("request_human")),
        turn.button("btn_menu", Command("menu")),
    ]


def _more_flags_pressed(turn: Turn) -> bool:
    route = turn.decision.route
    return isinstance(route, Pressed) and route.payload == FlowAnswer(NAME, MORE_FLAGS)


def more_flags(turn: Turn) -> None:
    """The red flags the verdict left out, from the check just finished."""
    check = reports.carried(turn, NAME)
    codes = (check or {}).get("flags", [])[FLAGS_SHOWN:]
    if not codes:
        turn.say(turn.t("flow_already_ended"), [
            turn.button("intent.check_job_offer", AskIntent("check_job_offer")), turn.button("btn_menu", Command("menu")),
        ])
        return
    lines = [turn.t("jo_more_flags_head")] + [red_flags.FLAGS[code].line(turn.lang) for code in codes]
    turn.say("\n".join(lines), _result_buttons(turn, 0))


def summary(turn: Turn, check: dict[str, Any]) -> str:
    """The check's answers and red flags in a few lines, for the report made after it."""
    state = State(dict(check.get("answers", {})), [], {
        k: check[k] for k in ("job_kind", "salary_idr") if check.get(k) is not None
    })
    lines = [
        f"• {turn.t(_SHORT[key])}: {_label(turn, state, key, value)}"
        for key, value in state.answers.items() if key in _SHORT and value != "unknown"
    ]
    if check.get("flags"):
        lines.append(f"• {turn.t('jo_flags_head')} {_flag_names(turn, check['flags'])}")
    return "\n".join(lines)


def _flag_names(turn: Turn, codes: list[str]) -> str:
    """Each flag's first clause ("Perekrutnya perorangan"); the explanation and basis stay in the verdict."""
    lang = turn.lang if turn.lang in ("id", "en") else "id"
    return "; ".join(red_flags.FLAGS[code].text[lang].split(":")[0] for code in codes if code in red_flags.FLAGS)


def _registry_line(turn: Turn, company: str) -> str | None:
    found = agencies.lookup(turn.session, company)
    if found.match is not None:
        key = {"active": "jo_registry_active", "suspended": "jo_registry_suspended", "revoked": "jo_registry_revoked"}
        return turn.t(key[found.match.status.value], name=found.match.name, query=company)
    return turn.t("jo_registry_not_found", query=company)
