"""Button payloads and typed commands: a string protocol, parsed once at the edge into typed values.

A payload travels as a short string (Telegram's callback_data, the buttons remembered for numbered
choices, the outbox row) and is parsed exactly once, in dispatch. Handlers build buttons from these
types and never split a payload string themselves.

Wire forms (stable: stored conversations and sent buttons carry them):
    intent:<intent>                  AskIntent        a button that means "I ask about <intent>"
    answer:<item>:<part>             ShowAnswer       part N of a content item
    flow:<flow>[:<question>=<choice>|:<choice>]       FlowAnswer
    lang:<code>                      ChooseLanguage
    cmd:<name>                       Command          menu, start, language, report, cancel, erase, end_staff,
                                                      unsubscribe
    media:<kind>                     MediaSent        a photo, voice note... (never on a button)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The choice of a "back" button in a flow.
BACK = "__back__"


@dataclass(frozen=True)
class AskIntent:
    intent: str

    def __str__(self) -> str:
        return f"intent:{self.intent}"


@dataclass(frozen=True)
class ShowAnswer:
    item_id: str
    part: int = 0

    def __str__(self) -> str:
        return f"answer:{self.item_id}:{self.part}"


@dataclass(frozen=True)
class FlowAnswer:
    """A button of a guided flow; `question` lets an older question's button be recognised as stale."""

    flow: str
    choice: str | None = None
    question: str | None = None

    @property
    def back(self) -> bool:
        return self.choice == BACK

    def __str__(self) -> str:
        if self.question is not None:
            return f"flow:{self.flow}:{self.question}={self.choice or ''}"
        if self.choice is not None:
            return f"flow:{self.flow}:{self.choice}"
        return f"flow:{self.flow}"


@dataclass(frozen=True)
class ChooseLanguage:
    code: str

    def __str__(self) -> str:
        return f"lang:{self.code}"


@dataclass(frozen=True)
class Command:
    name: str

    def __str__(self) -> str:
        return f"cmd:{self.name}"


@dataclass(frozen=True)
class MediaSent:
    kind: str

    def __str__(self) -> str:
        return f"media:{self.kind}"


Payload = AskIntent | ShowAnswer | FlowAnswer | ChooseLanguage | Command | MediaSent

# Typed commands work on every channel (a WhatsApp user may type /menu too).
COMMANDS: dict[str, Payload] = {
    "/start": Command("start"),
    "/menu": Command("menu"),
    "/help": Command("menu"),
    "/bantuan": Command("menu"),
    "/bahasa": Command("language"),
    "/language": Command("language"),
    "/lapor": Command("report"),
    "/report": Command("report"),
    "/status": AskIntent("check_case_status"),
    "/cek": AskIntent("check_job_offer"),
    "/check": AskIntent("check_job_offer"),
    "/hapus": Command("erase"),
    "/delete": Command("erase"),
    "/batal": Command("cancel"),
    "/cancel": Command("cancel"),
    "/petugas": AskIntent("request_human"),
    "/selesai": Command("end_staff"),
    "/langganan": AskIntent("subscribe_updates"),
    "/subscribe": AskIntent("subscribe_updates"),
    "/berhenti": Command("unsubscribe"),
    "/stop": Command("unsubscribe"),
    "/unsubscribe": Command("unsubscribe"),
}

# The whole message is an opt-out ("STOP", "berhenti.", "stop langganan tips"): it must work in every state,
# so it is read here, before any flow sees the text. "stop" inside a sentence ("tolong stop mereka
# memukul saya") is not one and goes on to the NLU and the safety rules.
OPT_OUT_WORDS = re.compile(
    r"^[\W_]*(?:(?:berhenti|stop)(?:\s+langganan)?(?:\s+tips)?|unsubscribe)[\W_]*$", re.IGNORECASE
)
# "2", "2.", "2)": the person picks the second button shown last time.
NUMBER_CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def parse(data: str | None) -> Payload | None:
    """The typed payload of a button's data, or None for data this version does not know."""
    if not data:
        return None
    kind, _, rest = data.partition(":")
    if kind == "intent" and rest:
        return AskIntent(rest)
    if kind == "answer" and rest:
        item_id, _, part = rest.rpartition(":")
        if not item_id:  # "answer:<item>" without a part
            return ShowAnswer(rest)
        return ShowAnswer(item_id, int(part) if part.isdigit() else 0)
    if kind == "flow" and rest:
        flow, _, value = rest.partition(":")
        if not value:
            return FlowAnswer(flow)
        question, eq, choice = value.partition("=")
        return FlowAnswer(flow, choice, question) if eq else FlowAnswer(flow, value)
    if kind == "lang" and rest:
        return ChooseLanguage(rest)
    if kind == "cmd" and rest:
        return Command(rest)
    if kind == "media" and rest:
        return MediaSent(rest)
    return None


def typed_command(text: str | None) -> Payload | None:
    """The payload of a typed command such as /menu (also /menu@BotName), else None."""
    if not text or not text.startswith("/"):
        return None
    word = text.split()[0].split("@")[0].lower()
    return COMMANDS.get(word)


def opt_out_word(text: str | None) -> Payload | None:
    """Command("unsubscribe") when the whole message is an opt-out word, else None."""
    if text and OPT_OUT_WORDS.match(text):
        return Command("unsubscribe")
    return None


def numbered_choice(text: str) -> int | None:
    """The 0-based index a bare number picks ("2" -> 1), or None when the text is not one."""
    match = NUMBER_CHOICE.match(text)
    return int(match.group(1)) - 1 if match else None
