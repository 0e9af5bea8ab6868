"""What the bot understood of one message: NLU, safety net and buttons combined."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.understanding.safety import SafetyVerdict
from bot.understanding.situation import Reading

NO_SAFETY = SafetyVerdict(urgent=False, reasons=(), matched=())


@dataclass(frozen=True)
class Entity:
    entity: str  # country | agency | case_id
    value: str
    text: str | None = None  # as the person wrote it

    def as_json(self) -> dict[str, Any]:
        return {"entity": self.entity, "value": self.value, "text": self.text}


@dataclass(frozen=True)
class Understanding:
    intent: str | None  # top intent from the table, or None when nothing classified it
    confidence: float
    entities: tuple[Entity, ...] = ()
    ranking: tuple[tuple[str, float], ...] = ()
    source: str = "rasa"  # rasa | degraded | button | command
    safety: SafetyVerdict = field(default=NO_SAFETY)
    # What the words alone say: language, place, who is writing (nothing for buttons and media).
    reading: Reading = field(default_factory=Reading)

    def urgent(self, threshold: float) -> bool:
        """The safety rules alone suffice; Rasa's `emergency` counts only when it is confident.

        "tolong" (= please) pulls polite requests towards `emergency` at low confidence; those
        get a clarifying question that offers the hotline instead of a false alarm.
        """
        return self.safety.urgent or (self.intent == "emergency" and self.confidence >= threshold)

    def entity(self, name: str) -> str | None:
        for ent in self.entities:
            if ent.entity == name:
                return ent.value
        return None
