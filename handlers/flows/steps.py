"""A small step machine for the guided flows: ask a question, read the answer, go on or back.

State lives in the conversation row (survives restarts): `conversation.step` is the question
being asked and `conversation.answers` holds {"a": answers, "h": questions answered in order,
"x": flow extras}. Buttons carry the question they answer (FlowAnswer.question), so a button from an
older question is recognised as such instead of answering the current one.

A typed answer is understood when it is an option's label, one of its words, a yes / no / "don't
know" in informal Indonesian, Malay or English ("iya", "gak", "tdk tau", "sik"), or free text
where free text is asked for; otherwise the question is asked again, kindly. A clear, confident
new request typed where a button was expected ("status KB-2026-000123") leaves the flow for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.chat.inbound import Button
from bot.chat.payload import BACK, AskIntent, Command, FlowAnswer
from bot.chat.router import Pressed
from bot.chat.turn import Turn
from bot.recruitment.red_flags import fold
from bot.storage import people
from bot.understanding.intents import ANSWERED, FLOW_FOR_INTENT

SKIP = "__skip__"
MEDIA_KINDS = ("photo", "voice", "audio", "video", "document", "sticker", "location", "contact", "unknown")
# A typed message that is not an answer leaves the flow only for one of these, understood this surely.
REROUTE_CONFIDENCE = 0.8
_REROUTE_INTENTS = ANSWERED | frozenset(FLOW_FOR_INTENT) | {"request_human"}

# On fold() output, which already turned gk/ga/tdk/nggak/sik/x into "tidak".
_DONT_KNOW = re.compile(
    r"^(?:saya |aku |kamek )?(?:tidak tau|tidak tahu|belum tau|belum tahu|ntah|entah|entahlah|kurang tau|"
    r"kurang tahu|tidak jelas|belum jelas|tidak yakin|tidak pasti|lupa|dont know|do not know|i dont know|"
    r"not sure|no idea|unknown|dunno|idk|tak tau|tak tahu|ndak tau|nda tau)\b"
)
_NO = re.compile(r"^(?:tidak|bukan|no|nope|nah|belum|blum|tiada|never|not yet|none|takde|tak de|ndak|nda)\b")
_YES = re.compile(
    r"^(?:ya|iya|iye|iyaa|yes|y|yup|yep|yoi|betul|benar|bener|betol|sudah|udah|dah|pernah|ada|ok|oke|okay|"
    r"okey|setuju|boleh|mau|he eh|heeh|em|ho oh|a ah|sure|correct|right|agree)\b"
)
_NOT_NEGATED = r"(?<![a-z0-9])(?<!tidak )(?<!bukan )(?<!belum )(?<!tanpa )(?<!jangan )"
_SKIP = re.compile(r"^(?:lewati|lewat|lompati|skip|next|pass|lanjut|tidak ada|tidak mau jawab|-+|\.+)$")


@dataclass(frozen=True)
class Option:
    value: str
    label: str  # key in content/ui.yml
    words: str = ""  # regex alternation, on fold() output, of typed answers that mean this option
    means: str | None = None  # "yes" | "no" | "unknown": a typed yes / no / don't-know picks it


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str  # key in content/ui.yml
    options: tuple[Option, ...] = ()
    skippable: bool = False
    free_text: bool = False  # with options: other typed text is kept as the answer
    photo: bool = False  # a photo answers it
    max_len: int = 300

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass
class State:
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, turn: Turn) -> State:
        raw = turn.conversation.answers or {}
        return cls(dict(raw.get("a", {})), list(raw.get("h", [])), dict(raw.get("x", {})))

    def save(self, turn: Turn) -> None:
        # A new dict: the JSON column notices assignment, not changes inside it.
        turn.conversation.answers = {"a": dict(self.answers), "h": list(self.history), "x": dict(self.extra)}

    def given(self, key: str) -> Any:
        """The answer, or None when skipped or not asked."""
        value = self.answers.get(key)
        return None if value == SKIP else value


@dataclass(frozen=True)
class Read:
    kind: str  # answer | skip | unclear | stale | media
    value: Any = None


@dataclass
class Script:
    """One guided flow: its questions in order and what happens around them."""

    name: str
    intent: str  # the intent that starts it; a typed request for another intent may leave it
    questions: tuple[Question, ...]
    finish: Callable[[Turn, State], None]
    applies: Callable[[str, State], bool] = lambda key, state: True
    render: Callable[[Turn, Question, State], str] | None = None  # prompt text other than ui.yml
    after_answer: Callable[[Turn, State, str], bool] | None = None  # True: the flow took over
    intercept: Callable[[Turn, State, Question], bool] | None = None  # typed text, before reading; True: handled
    parse: dict[str, Callable[[Turn, str], Any]] = field(default_factory=dict)  # per-question typed answers
    keep_media: bool = False  # reports keep photos/voice sent at any step for the staff
    # False where "Lewati" already ends the questions harmlessly and the buttons are many (a
    # typed "batal" still cancels).
    cancel_button: bool = True

    def question(self, key: str | None) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def next_question(self, state: State) -> Question | None:
        for q in self.questions:
            if q.key not in state.answers and self.applies(q.key, state):
                return q
        return None


# ------------------------------------------------------------------------------------ asking
def buttons_for(turn: Turn, script: Script, state: State, q: Question) -> list[Button]:
    buttons = [turn.button(o.label, FlowAnswer(script.name, o.value, q.key)) for o in q.options]
    if q.skippable:
        buttons.append(turn.button("btn_skip", FlowAnswer(script.name, SKIP, q.key)))
    if state.history:
        buttons.append(turn.button("btn_back", FlowAnswer(script.name, BACK)))
    if script.cancel_button:
        buttons.append(turn.button("btn_cancel", Command("cancel")))
    return buttons


def ask(turn: Turn, script: Script, state: State, q: Question, prefix: str | None = None) -> None:
    turn.conversation.step = q.key
    state.save(turn)
    text = script.render(turn, q, state) if script.render else turn.t(q.prompt)
    turn.say(f"{prefix}\n\n{text}" if prefix else text, buttons_for(turn, script, state, q))


def begin(turn: Turn, script: Script, state: State | None = None, prefix: str | None = None) -> None:
    """Enter the flow and ask its first open question."""
    state = state or State()
    people.enter_flow(turn.conversation, script.name, script.questions[0].key)
    state.save(turn)
    advance(turn, script, state, prefix)


def advance(turn: Turn, script: Script, state: State, prefix: str | None = None) -> None:
    q = script.next_question(state)
    if q is None:
        if prefix:
            turn.say(prefix)
        script.finish(turn, state)
        return
    ask(turn, script, state, q, prefix)


# ------------------------------------------------------------------------------------ reading
def read(turn: Turn, script: Script, q: Question, answer: FlowAnswer | None) -> Read:
    if answer is not None:
        chosen = answer.choice or ""
        if answer.question != q.key:
            return Read("stale")
        if chosen == SKIP and q.skippable:
            return Read("skip")
        return Read("answer", chosen) if q.option(chosen) else Read("stale")
    kind = turn.inbound.kind
    if kind in MEDIA_KINDS:
        if q.photo and kind == "photo":
            return Read("answer", media_refs(turn))
        return Read("media", media_refs(turn))
    text = turn.text.strip()
    if not text:
        return Read("unclear")
    folded = fold(text)
    if q.skippable and _SKIP.match(folded):
        return Read("skip")
    if q.options:
        chosen = match_option(turn, q, text, folded)
        if chosen is not None:
            return Read("answer", chosen)
    parser = script.parse.get(q.key)
    if parser is not None:
        parsed = parser(turn, text)
        if parsed is not None:
            return Read("answer", parsed)
        return Read("unclear")
    if q.photo:
        return Read("unclear")
    if not q.options or q.free_text:
        return Read("answer", text[: q.max_len])
    return Read("unclear")


def match_option(turn: Turn, q: Question, text: str, folded: str) -> str | None:
    lowered = text.strip().lower()
    for o in q.options:
        if turn.t(o.label).lower() == lowered:
            return o.value
    for o in q.options:
        # "tidak ada" is not "ada", "tidak resmi" is not "resmi".
        if o.words and re.search(_NOT_NEGATED + r"(?:" + o.words + r")(?![a-z0-9])", folded):
            return o.value
    # "tidak tahu" before "tidak": the don't-know answer starts with a no-word.
    for meaning, pattern in (("unknown", _DONT_KNOW), ("no", _NO), ("yes", _YES)):
        if pattern.search(folded):
            chosen = next((o.value for o in q.options if o.means == meaning), None)
            if chosen is not None:
                return chosen
            if meaning == "unknown":
                break  # "gak tau" is not "no"
    return None


def media_refs(turn: Turn) -> list[dict[str, Any]]:
    """What staff need to fetch a photo or voice note later (the message itself is stored too)."""
    refs = [
        {k: v for k, v in {"kind": m.kind, "file_id": m.file_id, "url": m.url, "content_type": m.content_type}.items() if v}
        for m in turn.inbound.media
    ]
    return refs or [{"kind": turn.inbound.kind, "message_id": turn.inbound.message_id}]


# ------------------------------------------------------------------------------------ resuming
def resume(turn: Turn, script: Script, answer: FlowAnswer | None) -> None:
    """Feed one message to the flow at its current question."""
    state = State.load(turn)
    q = script.question(turn.conversation.step)
    if q is None:
        # A step this version does not know (changed flow): start over rather than guess.
        begin(turn, script)
        return
    if answer is not None and answer.back:
        go_back(turn, script, state, q)
        return
    if answer is None and turn.inbound.kind == "text" and script.intercept is not None:
        if script.intercept(turn, state, q):
            return
    result = read(turn, script, q, answer)
    if result.kind == "stale":
        ask(turn, script, state, q, turn.t("flow_stale_button"))
        return
    if result.kind == "media":
        if script.keep_media:
            state.extra["attachments"] = [*state.extra.get("attachments", []), *result.value]
            ask(turn, script, state, q, turn.t("flow_media_kept"))
        else:
            ask(turn, script, state, q, turn.t("flow_media_unreadable"))
        return
    if result.kind == "unclear":
        if q.options and left_for_new_request(turn, script):
            return
        ask(turn, script, state, q, turn.t("flow_unclear_photo" if q.photo else "flow_unclear"))
        return
    state.answers[q.key] = SKIP if result.kind == "skip" else result.value
    state.history = [k for k in state.history if k != q.key] + [q.key]
    state.save(turn)
    if script.after_answer is not None and script.after_answer(turn, state, q.key):
        return
    advance(turn, script, state)


def go_back(turn: Turn, script: Script, state: State, current: Question) -> None:
    if not state.history:
        ask(turn, script, state, current, turn.t("flow_at_first"))
        return
    previous = state.history.pop()
    state.answers.pop(previous, None)
    q = script.question(previous) or current
    ask(turn, script, state, q)


def left_for_new_request(turn: Turn, script: Script) -> bool:
    """A confident, different request typed instead of an answer: leave the flow; dispatch serves it."""
    u = turn.understanding
    if (
        u.source != "rasa"
        or u.intent is None
        or u.intent == script.intent
        or u.intent not in _REROUTE_INTENTS
        or u.confidence < REROUTE_CONFIDENCE
    ):
        return False
    people.leave_flow(turn.conversation)
    turn.say(turn.t("flow_left"))
    turn.follow(u.intent)
    return True


def stale_start(turn: Turn, script: Script) -> bool:
    """A button of this flow pressed after it ended (a double tap, an old message): say so."""
    route = turn.decision.route
    if not (
        isinstance(route, Pressed)
        and isinstance(route.payload, FlowAnswer)
        and route.payload.flow == script.name
        and route.payload.choice is not None
    ):
        return False
    turn.say(
        turn.t("flow_already_ended"),
        [turn.button(f"intent.{script.intent}", AskIntent(script.intent)), turn.button("btn_menu", Command("menu"))],
    )
    return True
