"""Report a recruiter, a scam or trafficking (intent report_trafficking), by name or anonymously.

An anonymous report holds no name or phone of the reporter; it stays tied to the chat identity so
the reporter can follow its status, and staff can still answer in this chat.
"""

from __future__ import annotations

from bot.chat.payload import FlowAnswer
from bot.chat.turn import Turn
from bot.storage.models import CaseKind
from handlers.flows import job_offer, reports, steps
from handlers.flows.steps import Option, Question, State

NAME = "trafficking_report"

QUESTIONS = (
    Question("what", "tr_q_what", (
        Option("illegal_recruiter", "tr_opt_illegal_recruiter", r"calo|sponsor|agen|perekrut|tanpa izin|ilegal|illegal"),
        Option("job_scam", "tr_opt_job_scam", r"penipuan|tipu|ditipu|scam|lowongan palsu|loker palsu"),
        Option("trafficking", "tr_opt_trafficking", r"perdagangan orang|tppo|trafficking|kerja paksa|eksploitasi"),
        Option("marriage", "tr_opt_marriage", r"kawin kontrak|nikah kontrak|pengantin|mahar|jodoh"),
        Option("other", "tr_opt_other", r"lainnya|lain|other"),
    ), skippable=True, free_text=True, max_len=300),
    Question("recruiter", "tr_q_recruiter", skippable=True, max_len=200),
    Question("recruiter_contact", "tr_q_recruiter_contact", skippable=True, max_len=200),
    Question("place_date", "tr_q_place_date", skippable=True, max_len=200),
    reports.regency_question("tr_q_regency"),
    Question("story", "tr_q_story", skippable=True, max_len=2000),
    Question("evidence", "tr_q_evidence", skippable=True, photo=True),
    Question("reporter_name", "tr_q_reporter_name", skippable=True, max_len=120),
    Question("reporter_phone", "tr_q_reporter_phone", skippable=True),
)

SPEC = reports.ReportSpec(
    name=NAME,
    intent="report_trafficking",
    kind=CaseKind.TRAFFICKING,
    questions=QUESTIONS,
    consent_text="tr_consent",
    anonymous_option=True,
    declined_contacts=("police", "sapa_129", "kp2mi_call_centre", "kanwil_hotline"),
)
SCRIPT = reports.build_script(SPEC, parse={"reporter_phone": reports.phone})


def start(turn: Turn) -> None:
    """Ask for consent (or an anonymous report) before anything is collected.

    Right after a job-offer check, the report takes over what the check found (the offer, its red
    flags, the company named) and asks only for the rest.
    """
    check = reports.carried(turn, job_offer.NAME)
    if check is None:
        reports.start(turn, SCRIPT)
        return
    state = State()
    state.extra[reports.FROM_CHECK] = job_offer.summary(turn, check)
    if check.get("advert"):
        state.extra[reports.FROM_CHECK] += f"\n• {turn.t('report_field.advert')}: {check['advert']}"
    if check.get("company_name"):
        state.answers["recruiter"] = check["company_name"]
    if check.get("answers", {}).get("recruiter") in ("individual", "social_media"):
        # A private person or a social-media account may not recruit: that is what is reported.
        state.answers["what"] = "illegal_recruiter"
    reports.start(turn, SCRIPT, state, turn.t("tr_from_job_check"))


def resume(turn: Turn, answer: FlowAnswer | None) -> None:
    steps.resume(turn, SCRIPT, answer)
