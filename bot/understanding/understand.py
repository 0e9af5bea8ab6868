"""Turn a message into an Understanding: buttons and commands, the safety net, then Rasa."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from bot.understanding import safety, situation
from bot.understanding.rasa import NluUnavailable, RasaClient
from bot.understanding.result import Entity, Understanding

log = logging.getLogger(__name__)

CASE_ID = re.compile(r"\bKB[-\s]?(\d{4})[-\s]?(\d{1,6})\b", re.IGNORECASE)

# Degraded mode only: a few unmistakable words, so the bot stays polite while Rasa is down.
_DEGRADED_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("request_human", re.compile(r"\b(petugas|staf+|admin|manusia|human|orang asli|cs)\b")),
    ("thank_you", re.compile(r"\b(terima ?kasih|makasih|trims|thanks?|thank you|tq)\b")),
    ("greet", re.compile(r"^\s*(halo+|hal+o|hai+|hi+|hello|assalamu.?alaikum|selamat (pagi|siang|sore|malam))\b")),
    ("ask_menu", re.compile(r"\b(menu|bantuan|help|tolong jelaskan)\b")),
)


def case_id_entity(text: str) -> Entity | None:
    match = CASE_ID.search(text)
    if not match:
        return None
    return Entity("case_id", f"KB-{match.group(1)}-{int(match.group(2)):06d}", match.group(0))


def from_button(intent: str | None, text: str | None = None) -> Understanding:
    """A pressed button (or typed command) needs no NLU; `intent` is the one the button names."""
    verdict = safety.check(text or "")
    # "/status KB-2026-000123": the case number typed with a command is read all the same.
    case = case_id_entity(text or "")
    return Understanding(intent, 1.0, (case,) if case else (), source="button", safety=verdict)


def degraded(text: str, verdict: safety.SafetyVerdict) -> Understanding:
    """Rules alone, when Rasa cannot answer."""
    entities: tuple[Entity, ...] = ()
    case = case_id_entity(text)
    if case:
        entities = (case,)
    reading = situation.read(text)
    if verdict.urgent:
        return Understanding("emergency", 1.0, entities, source="degraded", safety=verdict, reading=reading)
    if case:
        return Understanding("check_case_status", 1.0, entities, source="degraded", safety=verdict, reading=reading)
    lowered = text.lower()
    for intent, pattern in _DEGRADED_KEYWORDS:
        if pattern.search(lowered):
            return Understanding(intent, 1.0, source="degraded", safety=verdict, reading=reading)
    return Understanding(None, 0.0, source="degraded", safety=verdict, reading=reading)


class Understander:
    """Asks Rasa when it is up; remembers an outage so each message doesn't wait for a timeout."""

    def __init__(
        self,
        client: RasaClient | None,
        recheck_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.recheck_interval_s = recheck_interval_s
        self._clock = clock
        self._down_since: float | None = None if client else clock()
        self._next_try = 0.0

    @property
    def status(self) -> str:
        return "degraded" if self._down_since is not None else "rasa"

    def _mark_down(self, reason: str) -> None:
        if self._down_since is None:
            self._down_since = self._clock()
            log.error("nlu.degraded reason=%s: urgent rules still run; others get the menu", reason)
        self._next_try = self._clock() + self.recheck_interval_s

    def _mark_up(self) -> None:
        if self._down_since is not None:
            log.warning("nlu.recovered after_s=%.0f", self._clock() - self._down_since)
        self._down_since = None

    async def understand(self, text: str) -> Understanding:
        verdict = safety.check(text)
        if self.client is None or (self._down_since is not None and self._clock() < self._next_try):
            return degraded(text, verdict)
        try:
            parse = await self.client.parse(text)
        except NluUnavailable as exc:
            self._mark_down(str(exc))
            return degraded(text, verdict)
        self._mark_up()
        # Case numbers are exact: the bot's own pattern beats the model's span guess.
        entities = tuple(e for e in parse.entities if e.entity != "case_id")
        case = case_id_entity(text)
        if case:
            entities = entities + (case,)
        country = next((e.value for e in entities if e.entity == "country"), None)
        reading = situation.read(text, country)
        if reading.distress_only or reading.only_here:
            # Crying with no words, or only "I am in Kuching": whatever Rasa guesses (it has read
            # "sy di kuching skrg" as an emergency), the bot answers that itself; the safety rules still ran.
            return Understanding(None, 0.0, entities, source="rasa", safety=verdict, reading=reading)
        return Understanding(
            parse.intent, parse.confidence, entities, parse.ranking, source="rasa", safety=verdict,
            reading=reading,
        )

    async def probe(self) -> None:
        """At start-up: find out whether Rasa answers before the first message arrives."""
        if self.client is not None and not await self.client.is_ready():
            self._mark_down("not ready at start-up")

    async def recheck(self) -> None:
        """Called periodically: notice a returning Rasa server even when nobody writes."""
        if self.client is not None and self._down_since is not None and await self.client.is_ready():
            self._mark_up()
