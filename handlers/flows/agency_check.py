"""Check a recruiter (intent check_agency): look the name up in the registry staff maintain.

The name comes from the NLU's `agency` entity or a "PT ..." in the message; otherwise the bot asks
for it. Not being on the list never proves a company is illegal: the answer says so and points
to BP3MI (its number is shown only when the deployment configured it).
"""

from __future__ import annotations

from bot.chat.payload import AskIntent, Command, FlowAnswer, ShowAnswer
from bot.chat.turn import Turn
from bot.hotline.cases import local_date
from bot.recruitment import agencies
from bot.storage import people
from bot.storage.models import Agency, AgencyStatus
from handlers.flows.steps import MEDIA_KINDS

NAME = "agency_check"
ASK = "name"
MAX_NAME = 200


def start(turn: Turn) -> None:
    """Answer at once when the message names the company; otherwise ask for the name."""
    candidates: list[str | None] = []
    if turn.understanding.source in ("rasa", "degraded"):
        # The NLU's entity is sometimes only "PT"; the name written after "PT" is a second guess.
        candidates = [turn.understanding.entity("agency"), *agencies.names_in(turn.text)]
    candidates = [c for c in candidates if c and len(agencies.normalise_name(c)) >= 3]
    if candidates:
        answer(turn, candidates)
        return
    people.enter_flow(turn.conversation, NAME, ASK)
    turn.say(
        turn.t("agency_ask_name"),
        [turn.button("agency_btn_how", ShowAnswer("check_agency_how", 0)), turn.button("btn_cancel", Command("cancel"))],
    )


def resume(turn: Turn, pressed: FlowAnswer | None) -> None:
    if turn.conversation.flow != NAME or turn.conversation.step != ASK:
        start(turn)
        return
    text = turn.text.strip()
    if pressed is not None or turn.inbound.kind in MEDIA_KINDS or not text:
        prefix = turn.t("flow_at_first") if pressed is not None and pressed.back else turn.t("agency_need_text")
        turn.say(f"{prefix}\n\n{turn.t('agency_ask_name')}", [turn.button("btn_cancel", Command("cancel"))])
        return
    # Asked for a name, the whole message is the best guess; "namanya PT X" also tries "PT X".
    answer(turn, [text[:MAX_NAME], turn.understanding.entity("agency"), *agencies.names_in(text)])


def answer(turn: Turn, candidates: list[str | None]) -> None:
    """Say what the registry knows about the name, and what that does and does not prove."""
    people.leave_flow(turn.conversation)
    found = agencies.lookup_any(turn.session, candidates)
    name = found.query
    bp3mi = turn.services.texts.contact_line("bp3mi_kalbar", turn.lang)
    buttons = [turn.button("agency_btn_again", AskIntent("check_agency")), turn.button("btn_menu", Command("menu"))]
    if found.match is not None:
        agency = found.match
        text = _known(turn, agency)
        if agency.status is not AgencyStatus.ACTIVE:
            buttons.insert(0, turn.button("jo_btn_report", AskIntent("report_trafficking")))
    elif found.similar:
        similar = "\n".join(f"• {c.agency.name} — {turn.t('agency_status.' + c.agency.status.value)}" for c in found.similar)
        text = turn.t("agency_similar", query=name, similar=similar)
    else:
        text = turn.t("agency_not_found", query=name)
    if bp3mi:
        text = f"{text}\n{bp3mi}"
    buttons.insert(-1, turn.button("menu_job_offer", AskIntent("check_job_offer")))
    turn.say(text, buttons)


def _known(turn: Turn, agency: Agency) -> str:
    source = turn.t(
        "agency_source", source=agency.source or "-",
        updated=local_date_of(agency),
    )
    key = {
        AgencyStatus.ACTIVE: "agency_active",
        AgencyStatus.SUSPENDED: "agency_suspended",
        AgencyStatus.REVOKED: "agency_revoked",
    }[agency.status]
    return f"{turn.t(key, name=agency.name, licence=agency.licence_number or '-')}\n{source}"


def local_date_of(agency: Agency) -> str:
    if agency.updated_on is not None:
        return agency.updated_on.strftime("%d-%m-%Y")
    return local_date(agency.imported_at)
