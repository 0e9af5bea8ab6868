"""Who a campaign reaches: subscribers, narrowed by regency, language, channel or topic.

A segment is a small dict stored with the campaign ({} is every subscriber). The command line
writes it as one word (`region:sambas`, `language:en`, `channel:whatsapp`, `topic:jobs`, `all`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bot.hotline.case_fields import COUNTRIES, REGENCIES
from bot.storage.models import Contact

# A subscriber living outside Indonesia (with sub_country) instead of a kabupaten/kota of Kalbar.
ABROAD = "abroad"
REGION_KEYS = (*REGENCIES, ABROAD)
CHANNELS = ("telegram", "whatsapp", "local")
LANGUAGES = ("id", "en")
# What a subscriber may ask to hear about; an empty list is everything. Keys are stored.
TOPICS: dict[str, str] = {
    "jobs": "Lowongan kerja & modus penipuan",
    "procedure": "Prosedur, dokumen & biaya resmi",
    "rights": "Hak pekerja & korban, bantuan hukum",
    "countries": "Aturan negara tujuan",
}
SEGMENT_KEYS = ("regency", "language", "channel", "topic")


class SegmentError(ValueError):
    """A segment that names no known regency, language, channel or topic."""


def parse_segment(word: str) -> dict[str, str]:
    """`all`, `region:NAME`, `language:id|en`, `channel:telegram|whatsapp` or `topic:KEY`."""
    word = word.strip()
    if word in ("", "all"):
        return {}
    kind, _, value = word.partition(":")
    kind = {"region": "regency", "regency": "regency", "kabupaten": "regency"}.get(kind, kind)
    value = value.strip().lower().replace(" ", "_").replace("-", "_")
    if kind == "regency":
        value = _regency_key(value)
    segment = {kind: value}
    check_segment(segment)
    return segment


def _regency_key(value: str) -> str:
    """'sambas', 'kab_sambas', 'kota_pontianak' -> the stored key."""
    for prefix in ("kabupaten_", "kab._", "kab_", "kota_"):
        if value.startswith(prefix) and value[len(prefix):] in REGION_KEYS:
            return value[len(prefix):]
    return value


def check_segment(segment: Mapping[str, Any]) -> None:
    allowed = {"regency": REGION_KEYS, "language": LANGUAGES, "channel": CHANNELS, "topic": tuple(TOPICS)}
    for key, value in segment.items():
        if key not in allowed:
            raise SegmentError(f"unknown segment {key!r}: use all, region:NAME, language:id|en, channel:NAME or topic:KEY")
        if value not in allowed[key]:
            raise SegmentError(f"unknown {key} {value!r}: one of {', '.join(allowed[key])}")


def describe(segment: Mapping[str, Any]) -> str:
    """The segment in Indonesian, for staff."""
    if not segment:
        return "Semua pelanggan"
    parts = []
    for key, value in segment.items():
        if key == "regency":
            parts.append(region_label(value))
        elif key == "language":
            parts.append({"id": "Bahasa Indonesia", "en": "English"}.get(value, value))
        elif key == "channel":
            parts.append({"telegram": "Telegram", "whatsapp": "WhatsApp"}.get(value, value))
        elif key == "topic":
            parts.append(f"Topik: {TOPICS.get(value, value)}")
    return ", ".join(parts)


def region_label(key: str | None, country: str | None = None) -> str:
    if key == ABROAD:
        return f"Luar negeri ({COUNTRIES[country][0]})" if country in COUNTRIES else "Luar negeri"
    if key in REGENCIES:
        return REGENCIES[key][0]
    return "-"


def subscribers(segment: Mapping[str, Any], default_language: str) -> Select[tuple[Contact]]:
    """The subscribed contacts a segment reaches, in id order (campaigns queue them in batches)."""
    query = select(Contact).where(Contact.subscribed_at.is_not(None)).order_by(Contact.id)
    if "regency" in segment:
        query = query.where(Contact.sub_regency == segment["regency"])
    if "language" in segment:
        language = func.coalesce(Contact.language, default_language)
        query = query.where(language == segment["language"])
    if "channel" in segment:
        query = query.where(Contact.channel == segment["channel"])
    return query


def wants_topic(contact: Contact, topic: str | None) -> bool:
    """No topic chosen means every topic (checked in Python: JSON lists differ across databases)."""
    return topic is None or not contact.sub_topics or topic in contact.sub_topics


def count(session: Session, segment: Mapping[str, Any], default_language: str) -> int:
    """How many people a campaign to this segment would reach now (opted-out people excluded)."""
    topic = segment.get("topic")
    query = subscribers(segment, default_language)
    if topic is None:
        return int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    return sum(1 for contact in session.scalars(query) if wants_topic(contact, topic))
