"""The one message type every channel produces, and the one reply type handlers return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.storage.models import utcnow

# What a channel can deliver. Anything else arrives as "unknown" and still gets a kind answer.
KINDS = ("text", "button", "photo", "voice", "audio", "video", "sticker", "document", "location", "contact", "unknown")
# Far longer than any real chat message; longer texts are cut (and the cut logged), never rejected.
MAX_TEXT = 4000


@dataclass(frozen=True)
class Media:
    kind: str
    url: str | None = None  # WhatsApp MediaUrlN
    file_id: str | None = None  # Telegram file_id
    content_type: str | None = None


@dataclass(frozen=True)
class Inbound:
    """One message from a person, already verified and parsed by its channel adapter."""

    channel: str  # telegram | whatsapp | local
    chat_id: str  # the person's identity on that channel
    message_id: str  # the channel's id for this message; repeated deliveries share it
    text: str | None = None
    kind: str = "text"
    payload: str | None = None  # data of a pressed button (Telegram callback query)
    media: tuple[Media, ...] = ()
    display_name: str | None = None
    language_hint: str | None = None  # e.g. Telegram's language_code
    received_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
