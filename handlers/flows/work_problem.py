"""A worker's own problem abroad (intent report_work_problem): unpaid wages, passport held, contract
changed, sick, wants to go home, undocumented, facing deportation; not in danger now.

The person gets their rights in two or three lines (cited content, content/answers/work_problems.yml),
what to do where they are (asked once if the bot does not know: the answer is kept on the contact), and
an offer to open a case with staff at high priority. Danger said at any point escalates as urgent
(the router's safety net runs before any flow).
"""

from __future__ import annotations

import logging

from bot.chat.payload import AskIntent, Command, FlowAnswer
from bot.chat.turn import Turn
from bot.hotline import escalations
from bot.storage import people
from bot.storage.models import Priority
from bot.understanding import places
from bot.understanding.places import INDONESIA, Place
from handlers import whereabouts
from handlers.flows import steps
from handlers.flows.steps import Option, Question, Script, State

log = logging.getLogger(__name__)

NAME = "work_problem"
# Content items with the rights for each problem (content/answers/work_problems.yml); at most two are shown.
RIGHTS_ITEM = "work_problem_{}"
GENERAL_ITEM = "work_problem_general"
MAX_RIGHTS = 2
HOME_CONTACTS = ("bp3mi_kalbar", "kp2mi_call_centre", "kanwil_hotline", "legal_aid_queue")
UNKNOWN_PLACE_CONTACTS = ("malaysia_emergency_999", "kp2mi_call_centre")

QUESTIONS = (
    Question("where", "wp_q_where", (
        Option("malaysia", "wp_opt_malaysia"),
        Option(INDONESIA, "wp_opt_home"),
    ), skippable=True),
    Question("case", "wp_offer", (
        Option("open", "wp_btn_open", r"buka|open|kasus|case|petugas|staff|lapor", means="yes"),
        Option("no", "wp_btn_not_now", r"nanti|later|not now|tidak sekarang", means="no"),
    )),
)


def _place(state: State) -> Place | None:
    raw = state.extra.get("place")
    return Place(raw[0], raw[1]) if raw else None


def _applies(key: str, state: State) -> bool:
    return key != "where" or _place(state) is None


def _parse_where(turn: Turn, text: str) -> str | None:
    """A typed place ("Kuching", "sy di sibu", "malaysia, miri"), kept as 'country/city'."""
    reading = turn.understanding.reading
    place = reading.here or reading.bare_place or reading.place
    if place is None:
        return None
    return f"{place.country}/{place.city or ''}"


def _after_answer(turn: Turn, state: State, key: str) -> bool:
    if key == "where" and state.given("where"):
        country, _, city = str(state.given("where")).partition("/")
        state.extra["place"] = [country, city or None]
        state.save(turn)
        people.remember_place(turn.contact, country, city or None, turn.now)
    return False


def _render(turn: Turn, q: Question, state: State) -> str:
    if q.key == "case":
        return f"{_what_to_do(turn, _place(state))}\n\n{turn.t('wp_offer')}"
    return turn.t(q.prompt)


def _what_to_do(turn: Turn, place: Place | None) -> str:
    texts = turn.services.texts
    if place is None:
        local = "\n".join(
            line for line in (texts.contact_lines(UNKNOWN_PLACE_CONTACTS, turn.lang), turn.t("safe_travel_panic")) if line
        )
        return turn.t("wp_unknown_place", local=local)
    if not place.abroad:
        return turn.t("wp_home", numbers=texts.contact_lines(HOME_CONTACTS, turn.lang))
    return turn.t("wp_abroad", place=places.name(place, turn.lang), local=whereabouts.local_lines(turn, place))


SCRIPT = Script(
    name=NAME,
    intent="report_work_problem",
    questions=QUESTIONS,
    finish=lambda turn, state: finish(turn, state),
    applies=_applies,
    render=_render,
    after_answer=_after_answer,
    parse={"where": _parse_where},
)


def start(turn: Turn) -> None:
    """The rights for the problem first, then where the person is (if unknown), then the offer."""
    if steps.stale_start(turn, SCRIPT):
        return
    reading = turn.understanding.reading
    state = State()
    state.extra["problems"] = list(reading.work_problems)
    place = whereabouts.place_now(turn)
    if place is None and reading.place is not None and reading.place.abroad:
        # "gaji sy ndak dibayar di malaysia": a worker's own problem happens where they work.
        place = reading.place
        people.remember_place(turn.contact, place.country, place.city, turn.now)
    if place is not None:
        state.extra["place"] = [place.country, place.city]
    _say_rights(turn, reading.work_problems)
    steps.begin(turn, SCRIPT, state)


def _say_rights(turn: Turn, problems: tuple[str, ...]) -> None:
    library = turn.services.library
    items = [library.get(RIGHTS_ITEM.format(p)) for p in problems[:MAX_RIGHTS]]
    shown = [item for item in items if item is not None] or [library.get(GENERAL_ITEM)]
    for item in shown:
        if item is not None:
            turn.say(library.render(item, turn.lang, 0).text)


def resume(turn: Turn, answer: FlowAnswer | None) -> None:
    steps.resume(turn, SCRIPT, answer)


def finish(turn: Turn, state: State) -> None:
    """Open a case with staff (high priority), or leave the door open."""
    people.leave_flow(turn.conversation)
    if state.given("case") != "open":
        turn.say(turn.t("wp_no_case"), [
            turn.button("menu_human", AskIntent("request_human")), turn.button("btn_menu", Command("menu")),
        ])
        return
    reason = "work_problem:" + ",".join(state.extra.get("problems") or ["other"])
    escalation, created = escalations.open_escalation(
        turn.session, turn.contact, priority=Priority.HIGH, reason=reason[:120], now=turn.now,
    )
    escalations.hand_to_staff(turn.conversation)
    log.warning(
        "escalation.%s id=%s contact=%s priority=%s reason=%s",
        "opened" if created else "joined", escalation.id, turn.contact.id, escalation.priority.value, reason,
    )
    turn.say(turn.t("wp_case_opened"), [turn.button("btn_end_staff", Command("end_staff"))])
