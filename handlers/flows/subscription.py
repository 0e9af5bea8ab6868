"""Tips and campaign messages: subscribing, choosing what to hear, changing it, and stopping.

Consent is the subscription itself: asking for tips subscribes at once and says what comes, how
often and how to stop. The questions after it (where the person lives: a kabupaten/kota of Kalbar or
abroad with the country; which topics) are optional, and each answer is stored as it comes, so
someone who leaves halfway stays subscribed with what they chose. A subscriber who asks again sees
their choices and may change them. Opt-out words work in every state: dispatch reads them
(bot/chat/payload.opt_out_word) and handlers/buttons.py calls stop().
"""

from __future__ import annotations

import logging
import re

from bot.campaigns import subscribers
from bot.campaigns.audience import ABROAD, TOPICS
from bot.chat import payload as payloads
from bot.chat.inbound import Button
from bot.chat.payload import Command, FlowAnswer
from bot.chat.router import Pressed
from bot.chat.turn import Turn
from bot.hotline import case_fields
from bot.recruitment.red_flags import fold
from bot.storage import people
from bot.storage.models import ConversationState
from bot.understanding import places
from handlers.flows import steps
from handlers.flows.steps import Option, Question, Script, State

log = logging.getLogger(__name__)

NAME = "subscription"
# The "Ubah pilihan" button: ask the questions again.
CHANGE = "change"
REGION, COUNTRY, TOPICS_Q, MORE = "region", "country", "topics", "topics_more"
ALL, DONE = "all", "done"
# The countries most people from Kalbar work in get a button; any other is typed.
COMMON_COUNTRIES = ("malaysia", "brunei", "singapore", "hong_kong", "taiwan")
# Typed names of the topics (on fold() output), so "kerja dan hak" picks two.
TOPIC_WORDS = {
    "jobs": r"lowongan|loker|pekerjaan|kerja|penipuan|modus|jobs?|job offers?|scams?",
    "procedure": r"prosedur|dokumen|biaya|paspor|visa|syarat|procedures?|documents?|costs?|fees?",
    "rights": r"hak|hak pekerja|korban|bantuan hukum|hukum|rights|victims?|legal aid|legal",
    "countries": r"aturan|negara tujuan|negara|destination|countries|country|rules",
}
_ALL_WORDS = r"semua|semuanya|semua topik|all|all topics|everything|terserah|apa saja|apa aja|lewati|skip"
# "1 3", "1, 3 dan 4": several choices typed at once.
_SEVERAL_NUMBERS = re.compile(r"^\s*\d{1,2}(?:\s*(?:,|&|\+|dan|and|\s)\s*\d{1,2})+\s*[.]?\s*$", re.IGNORECASE)


def _topic_options() -> list[Option]:
    return [Option(key, f"topic.{key}", TOPIC_WORDS[key]) for key in TOPICS]


def _region_question() -> Question:
    # 14 kabupaten/kota and "abroad", one button each: with no Back on the first question and no
    # Cancel ("Lewati" does no harm), 16 buttons. A typed name is understood as in the reports.
    options = [Option(key, f"regency.{key}", words) for key, (_, words) in case_fields.REGENCIES.items()]
    options.append(Option(ABROAD, "sub_abroad", r"luar negeri|luar indonesia|abroad|overseas|di luar negeri"))
    return Question(REGION, "sub_ask_region", tuple(options), skippable=True)


QUESTIONS = (
    _region_question(),
    Question(COUNTRY, "sub_ask_country", tuple(
        Option(key, f"country.{key}", case_fields.COUNTRIES[key][1]) for key in COMMON_COUNTRIES
    ), skippable=True),
    Question(TOPICS_Q, "sub_ask_topics", (*_topic_options(), Option(ALL, "sub_topics_all", _ALL_WORDS))),
    # Asked again after each pick until "Selesai": one choice at a time works on every channel.
    Question(MORE, "sub_ask_more_topics", (
        *_topic_options(),
        Option(DONE, "sub_topics_done", r"selesai|sudah|cukup|itu saja|done|finished|that is all|thats all"),
        Option(ALL, "sub_topics_all", _ALL_WORDS),
    )),
)


# ------------------------------------------------------------------------------------ entry points
def start(turn: Turn) -> None:
    """Subscribe (and ask the optional questions), show a subscriber their choices, or stop."""
    subscribed = turn.contact.subscribed_at is not None
    if turn.decision.intent == "unsubscribe_updates":
        stop(turn)
    elif _pressed_change(turn):
        if subscribed:
            _ask_again(turn)
        else:
            stop(turn)  # an old "Ubah pilihan" after opting out does not subscribe again: /langganan does
    elif steps.stale_start(turn, SCRIPT):
        return  # a question's button pressed after the questions ended
    elif not subscribed:
        subscribers.subscribe(turn.contact, turn.now)
        log.info("subscription.started contact=%s", turn.contact.id)
        steps.begin(turn, SCRIPT, prefix=turn.t("subscribed"))
    else:
        turn.say(turn.t("sub_current", choices=choices(turn)), after_buttons(turn))


def resume(turn: Turn, answer: FlowAnswer | None) -> None:
    if answer is not None and answer.choice == CHANGE and answer.question is None:
        _ask_again(turn)
        return
    understood = turn.understanding
    if (
        answer is None
        and understood.intent == "unsubscribe_updates"
        and understood.confidence >= steps.REROUTE_CONFIDENCE
    ):
        # "saya tidak mau tips lagi" typed, or an older tip's "Berhenti tips" button, mid-questions.
        stop(turn)
        return
    steps.resume(turn, SCRIPT, answer)


def cancelled(turn: Turn) -> None:
    """"Batal" mid-questions: the questions stop, the subscription and the answers given stay."""
    turn.say(turn.t("sub_questions_stopped", choices=choices(turn)), after_buttons(turn))


def stop(turn: Turn) -> None:
    """Opt out, from any state: the subscription ends and queued campaign messages are withdrawn.
    A flow in progress ends too; while staff hold the chat, the talk with staff goes on."""
    conversation = turn.conversation
    with_staff = conversation.state is ConversationState.WITH_STAFF
    if turn.contact.subscribed_at is None:
        # While staff hold the chat the bot's menu does not act, so it offers no buttons.
        turn.say(turn.t("sub_not_subscribed"), [] if with_staff else [turn.button("btn_menu", Command("menu"))])
        return
    withdrawn = subscribers.opt_out(turn.session, turn.contact)
    log.info("subscription.opted_out contact=%s withdrawn=%d", turn.contact.id, withdrawn)
    if with_staff:
        turn.say(turn.t("unsubscribed_with_staff"))  # no buttons: staff hold the chat
        return
    text = turn.t("unsubscribed")
    if conversation.state is ConversationState.IN_FLOW:
        if conversation.flow != NAME:
            text = f"{text}\n\n{turn.t('unsubscribed_flow_left')}"
        people.leave_flow(conversation)
    turn.say(text, [turn.button("btn_menu", Command("menu"))])


# ------------------------------------------------------------------------------------ the questions
def applies(key: str, state: State) -> bool:
    if key == COUNTRY:
        return state.answers.get(REGION) == ABROAD
    if key == MORE:
        return bool(state.extra.get("topics"))
    return True


def render(turn: Turn, q: Question, state: State) -> str:
    if q.key == MORE:
        return turn.t(q.prompt, chosen=_topic_names(turn, state.extra.get("topics", [])))
    return turn.t(q.prompt)


def typed_country(turn: Turn, text: str) -> str | None:
    return case_fields.country_in(text)


def typed_region(turn: Turn, text: str) -> dict[str, str] | None:
    """A country typed where the regency was asked: abroad, and the country is known already."""
    country = case_fields.country_in(text)
    return {"country": country} if country else None


def after_answer(turn: Turn, state: State, key: str) -> bool:
    """Store each answer at once (subscribers.set_region / set_topics)."""
    value = state.given(key)
    if key == REGION:
        state.answers.pop(COUNTRY, None)  # a new place: the country asked (or read) afresh
        if isinstance(value, dict):
            state.answers[REGION] = ABROAD
            state.answers[COUNTRY] = value["country"]
            subscribers.set_region(turn.contact, ABROAD, value["country"])
        else:
            subscribers.set_region(turn.contact, value)  # None when skipped
        state.save(turn)
    elif key == COUNTRY:
        subscribers.set_region(turn.contact, ABROAD, value)
    elif key in (TOPICS_Q, MORE):
        _topic_chosen(turn, state, key, value)
    return False


def _topic_chosen(turn: Turn, state: State, key: str, value: str) -> None:
    topics = list(state.extra.get("topics", []))
    if value == ALL:
        topics = []
    elif key == TOPICS_Q:
        topics = [value]  # the first pick starts the list afresh (also after "Kembali")
    elif value != DONE:
        topics = [t for t in topics if t != value] if value in topics else [*topics, value]
    state.extra["topics"] = topics
    subscribers.set_topics(turn.contact, topics)
    if key == MORE and value not in (DONE, ALL):
        # Asked again, showing what is chosen, until "Selesai"; everything unticked asks afresh.
        again = (MORE,) if topics else (MORE, TOPICS_Q)
        for k in again:
            state.answers.pop(k, None)
        state.history = [k for k in state.history if k not in again]
    state.save(turn)


def intercept(turn: Turn, state: State, q: Question) -> bool:
    """Several topics typed at once ("1 3", "kerja dan hak"): take them all and finish."""
    if q.key not in (TOPICS_Q, MORE):
        return False
    picked = _several_topics(turn)
    if len(picked) < 2:
        return False
    topics = picked if q.key == TOPICS_Q else list(dict.fromkeys([*state.extra.get("topics", []), *picked]))
    state.extra["topics"] = topics
    subscribers.set_topics(turn.contact, topics)
    state.answers[TOPICS_Q] = topics[0]
    state.answers[MORE] = DONE
    state.history = [k for k in state.history if k not in (TOPICS_Q, MORE)] + [TOPICS_Q, MORE]
    state.save(turn)
    steps.advance(turn, SCRIPT, state)
    return True


def _several_topics(turn: Turn) -> list[str]:
    text = turn.text
    if _SEVERAL_NUMBERS.match(text):
        # The numbers pick among the buttons shown with this question, as a single number does.
        offered = turn.conversation.offered or []
        picked = []
        for number in re.findall(r"\d{1,2}", text):
            index = int(number) - 1
            chosen = payloads.parse(str(offered[index]["payload"])) if 0 <= index < len(offered) else None
            if isinstance(chosen, FlowAnswer) and chosen.choice in TOPICS:
                picked.append(chosen.choice)
        return list(dict.fromkeys(picked))
    folded = fold(text)
    return [key for key in TOPICS if re.search(rf"(?<![a-z0-9])(?:{TOPIC_WORDS[key]})(?![a-z0-9])", folded)]


def finish(turn: Turn, state: State) -> None:
    people.leave_flow(turn.conversation)
    log.info("subscription.chosen contact=%s regency=%s topics=%d", turn.contact.id, turn.contact.sub_regency,
             len(turn.contact.sub_topics or []))
    turn.say(turn.t("sub_done", choices=choices(turn)), after_buttons(turn))


SCRIPT = Script(
    name=NAME,
    intent="subscribe_updates",
    questions=QUESTIONS,
    finish=finish,
    applies=applies,
    render=render,
    after_answer=after_answer,
    intercept=intercept,
    parse={REGION: typed_region, COUNTRY: typed_country},
    cancel_button=False,
)


# ------------------------------------------------------------------------------------ showing choices
def choices(turn: Turn) -> str:
    """The subscriber's choices, as they read them."""
    contact = turn.contact
    return turn.t("sub_choices", region=_region_name(turn), topics=_topic_names(turn, contact.sub_topics or []))


def after_buttons(turn: Turn) -> list[Button]:
    return [
        turn.button("btn_sub_change", FlowAnswer(NAME, CHANGE)),
        turn.button("btn_sub_stop", Command("unsubscribe")),
        turn.button("btn_menu", Command("menu")),
    ]


def _region_name(turn: Turn) -> str:
    regency, country = turn.contact.sub_regency, turn.contact.sub_country
    if regency == ABROAD:
        return turn.t("sub_abroad_in", country=_country_name(turn, country)) if country else turn.t("sub_abroad")
    if regency in case_fields.REGENCIES:
        return turn.t(f"regency.{regency}")
    return turn.t("sub_not_said")


def _country_name(turn: Turn, country: str) -> str:
    pair = places.COUNTRY_NAMES.get(country)
    if pair is not None:
        return pair[1 if turn.lang == "en" else 0]
    return case_fields.COUNTRIES[country][0] if country in case_fields.COUNTRIES else country


def _topic_names(turn: Turn, topics: list[str]) -> str:
    names = [turn.t(f"topic.{key}") for key in topics if key in TOPICS]
    return ", ".join(names) if names else turn.t("sub_topics_all")


def _pressed_change(turn: Turn) -> bool:
    route = turn.decision.route
    return isinstance(route, Pressed) and route.payload == FlowAnswer(NAME, CHANGE)


def _ask_again(turn: Turn) -> None:
    """Run the questions again for a subscriber ("Ubah pilihan")."""
    state = State()
    steps.begin(turn, SCRIPT, state, prefix=turn.t("sub_current_short", choices=choices(turn)))
