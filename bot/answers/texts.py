"""The bot's own interface sentences (content/ui.yml), in both languages, with contact lines.

A sentence may name the retention periods of config.yml's privacy section ({chat_days},
{report_days}), so what the bot says about keeping data always matches what the purge job does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter
from typing import Any

import yaml

from bot import yaml_text
from bot.config import LANGUAGES, Contact, PrivacySettings

# Numbers shown to someone in danger, in this order; unset placeholders are left out.
# 110 and 112 work only inside Indonesia; many people from West Kalimantan write from Sarawak, where it is 999.
URGENT_CONTACTS = (
    "police", "emergency_112", "malaysia_emergency_999", "sapa_129", "kanwil_hotline", "kp2mi_call_centre",
    "kemlu_hotline",
)


class TextsError(Exception):
    pass


def privacy_values(privacy: PrivacySettings) -> dict[str, int]:
    """The retention periods a sentence may name: {chat_days} for messages, {report_days} for reports."""
    return {"chat_days": privacy.chat_retention_days, "report_days": privacy.retention_days}


@dataclass(frozen=True)
class Texts:
    strings: Mapping[str, Mapping[str, str]]
    contacts: Mapping[str, Contact]
    # Values any sentence may use without its caller passing them (see privacy_values).
    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, contacts: Mapping[str, Contact], values: Mapping[str, Any] | None = None) -> Texts:
        try:
            raw = yaml_text.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TextsError(f"{path} cannot be read: {exc}") from None
        if not isinstance(raw, Mapping):
            raise TextsError(f"{path} must map keys to {{id: ..., en: ...}}.")
        for key, value in raw.items():
            if not isinstance(value, Mapping) or any(not value.get(lang) for lang in LANGUAGES):
                raise TextsError(f"{path}: '{key}' needs text for both 'id' and 'en'.")
        return cls(raw, contacts, dict(values or {}))

    def contact_line(self, key: str, lang: str) -> str | None:
        contact = self.contacts.get(key)
        if contact is None or not contact.value:
            return None
        return f"• {contact.label[lang]}: {contact.value}"

    def contact_lines(self, keys: tuple[str, ...], lang: str) -> str:
        return "\n".join(line for key in keys if (line := self.contact_line(key, lang)))

    def get(self, key: str, lang: str, **values: Any) -> str:
        """The sentence `key` in `lang`; {urgent_contacts} expands to the configured numbers."""
        try:
            template = self.strings[key][lang if lang in LANGUAGES else "id"]
        except KeyError:
            raise TextsError(f"content/ui.yml has no text '{key}'.") from None
        fields = {name for _, name, _, _ in Formatter().parse(template) if name}
        if "urgent_contacts" in fields:
            values.setdefault("urgent_contacts", self.contact_lines(URGENT_CONTACTS, lang))
        for name in fields & self.values.keys():
            values.setdefault(name, self.values[name])
        return template.format(**values).strip()
