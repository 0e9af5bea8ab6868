"""WhatsApp through Twilio: signed webhooks in, the REST API out (never TwiML), delivery statuses kept.

Inbound messages and status callbacks are accepted only with a valid X-Twilio-Signature for
PUBLIC_URL + path. Replies go out through a real `twilio.rest.Client` (its async HTTP client)
on TWILIO_API_BASE_URL. WhatsApp lets a business write freely only within 24 hours of the
person's last message; outside it a message is held (visible, never dropped) and, when a
reopening template is configured, the person is asked to answer first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.rest import Client

from bot.answers.texts import Texts
from bot.channels.common import FRESH_INBOUND, RecentKeys, send_fallback, split_text
from bot.chat.inbound import Inbound, Media
from bot.config import Settings
from bot.outbox.sender import HoldMessage, Outgoing, PermanentFailure, RetryLater, SendError
from bot.storage.db import transaction
from bot.storage.models import Contact, Direction, Message, OutboxItem, OutboxStatus, utcnow

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.app import App

log = logging.getLogger(__name__)
# twilio's HTTP client logs every request at INFO; message bodies are personal data.
_http_log = logging.getLogger(__name__ + ".http")
_http_log.setLevel(logging.WARNING)

CHANNEL = "whatsapp"
ADDRESS_PREFIX = "whatsapp:"
INBOUND_PATH = "/webhooks/whatsapp"
STATUS_PATH = "/webhooks/whatsapp/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
TEXT_LIMIT = 1600  # Twilio refuses longer WhatsApp bodies (error 21617)
WINDOW = timedelta(hours=24)
# Near the end of the window a message might arrive just after it closed: treat it as closed.
WINDOW_MARGIN = timedelta(minutes=1)
# A status callback can overtake the worker writing the provider id: look again this often.
STATUS_LOOKUPS = 4
STATUS_LOOKUP_PAUSE_S = 0.5

OUTSIDE_WINDOW = 63016  # "outside the allowed window" (REST answer or status callback)
TOO_MANY_REQUESTS = 20429
# Errors that will never go away for this message: invalid / not a mobile / unsubscribed (STOP) /
# not a WhatsApp number / body refused.
PERMANENT_CODES = frozenset({21211, 21408, 21610, 21612, 21614, 21617, 63003, 63024})

# Twilio's delivery statuses, in the order a message goes through them. A callback never moves a
# message backwards (they can arrive out of order).
STATUS_RANK = {
    None: 0,
    "queued": 0,
    "pending": 0,
    "accepted": 1,
    "scheduled": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
    "held": 6,
    "dead": 6,
    "failed": 6,
    "undelivered": 6,
    "canceled": 6,
}
FAILED = ("failed", "undelivered")


# ---------------------------------------------------------------- messages in
def media_kind(content_type: str | None) -> str:
    kind = (content_type or "").lower()
    if kind == "image/webp":
        return "sticker"  # WhatsApp stickers arrive as WebP images
    if kind.startswith("image/"):
        return "photo"
    if kind.startswith("audio/"):
        return "voice"  # voice notes are audio/ogg
    if kind.startswith("video/"):
        return "video"
    if kind in ("text/vcard", "text/x-vcard"):
        return "contact"
    return "document"


def read_message(params: Mapping[str, str], received_at: datetime | None = None) -> Inbound:
    """Twilio's form fields for one incoming WhatsApp message as an Inbound."""
    sid = params.get("MessageSid") or params.get("SmsMessageSid")
    sender = params.get("From") or ""
    if not sid or not sender.startswith(ADDRESS_PREFIX):
        raise ValueError(f"not a WhatsApp message (MessageSid={sid!r}, From={sender[:24]!r})")
    try:
        count = int(params.get("NumMedia") or 0)
    except ValueError:
        count = 0
    media: list[Media] = []
    for n in range(count):
        content_type = params.get(f"MediaContentType{n}")
        media.append(
            Media(media_kind(content_type), url=params.get(f"MediaUrl{n}"), content_type=content_type)
        )
    text = params.get("Body") or None
    payload = params.get("ButtonPayload") or None
    latitude, longitude = params.get("Latitude"), params.get("Longitude")
    if payload:
        kind, text = "button", params.get("ButtonText") or text
    elif media:
        kind = media[0].kind
    elif latitude and longitude:
        # Where someone in trouble is matters to staff: kept as a geo: URI with the place's name.
        kind = "location"
        media.append(Media("location", url=f"geo:{latitude},{longitude}"))
        place = ", ".join(p for p in (params.get("Label"), params.get("Address")) if p)
        text = text or place or None
    else:
        kind = "text"
    return Inbound(
        channel=CHANNEL,
        chat_id=sender[len(ADDRESS_PREFIX) :],
        message_id=sid,
        text=text,
        kind=kind,
        payload=payload,
        media=tuple(media),
        display_name=params.get("ProfileName") or None,
        received_at=received_at or utcnow(),
    )


# ---------------------------------------------------------------- replies out
def as_send_error(exc: Exception, progress: dict[str, Any] | None = None) -> SendError:
    """Twilio's answer in the outbox's terms: wait, retry, hold, or never."""
    if isinstance(exc, TwilioRestException):
        status, code = exc.status, exc.code
        what = f"Twilio {status} error {code}: {exc.msg}"
        if status == 429 or code == TOO_MANY_REQUESTS:
            return RetryLater(what, rate_limited=True, progress=progress)
        if status >= 500:
            return RetryLater(what, progress=progress)
        if code == OUTSIDE_WINDOW:
            return HoldMessage("outside WhatsApp's 24-hour window", progress=progress)
        if status == 401:
            return RetryLater(f"{what}: check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN", progress=progress)
        return PermanentFailure(what, progress=progress)
    if isinstance(exc, (aiohttp.ClientError, OSError, TimeoutError)):
        return RetryLater(f"{type(exc).__name__}: {exc}", progress=progress)
    return RetryLater(f"{type(exc).__name__}: {exc}", progress=progress)


class WhatsAppSender:
    """Sends outbox rows through Twilio's Messages API; buttons become a numbered list."""

    channel = CHANNEL

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        texts: Texts,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.config = settings.whatsapp
        self.sessions = sessions
        self.texts = texts
        self.clock = clock
        self.default_language = settings.default_language
        self.max_per_second = self.config.max_per_second
        self.per_chat_interval_s = self.config.per_chat_interval_s
        self.timeout_s = settings.outbox.send_timeout_s
        self.status_callback = f"{settings.public_url}{STATUS_PATH}" if settings.public_url else None
        self._client: Client | None = None
        self._http: AsyncTwilioHttpClient | None = None

    def client(self) -> Client:
        """The Twilio client, made on first use (its aiohttp session needs the running loop)."""
        if self._client is None:
            self._http = AsyncTwilioHttpClient(logger=_http_log)
            client = Client(self.config.account_sid, self.config.auth_token, http_client=self._http)
            # TWILIO_API_BASE_URL: Twilio itself, or a local fake in tests. Every Messages call is
            # built from the Api domain's base_url (twilio/base/domain.py: Domain.absolute_url).
            client.api.base_url = self.config.api_base_url
            self._client = client
        return self._client

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def send(self, message: Outgoing) -> str | None:
        if "content_sid" in message.extra:
            # A template (e.g. staff re-opening the window) may go out whatever the window says.
            return await self._create(
                message.chat_id,
                content_sid=str(message.extra["content_sid"]),
                content_variables=message.extra.get("content_variables"),
            )
        lang, window_open, prompted = await asyncio.to_thread(self._recipient, message)
        if not window_open:
            await self._hold_outside_window(message, prompted)
        parts = self.render(message, lang)
        first = min(int(message.extra.get("parts_sent", 0)), len(parts) - 1)
        sid: str | None = None
        for index in range(first, len(parts)):
            try:
                sid = await self._create(message.chat_id, body=parts[index])
            except SendError as exc:
                if index:
                    exc.progress["parts_sent"] = index  # delivered parts are not sent again
                if isinstance(exc, HoldMessage):  # Twilio knows the window closed before we did
                    await self._hold_outside_window(message, prompted, exc.progress)
                raise
        return sid

    async def _hold_outside_window(
        self, message: Outgoing, prompted: bool, progress: dict[str, Any] | None = None
    ) -> None:
        """Raise HoldMessage; first ask the person to answer, once, when a template is configured."""
        progress = dict(progress or {})
        template = self.config.reopen_template_sid
        if template and not prompted:
            sid = await self._create(message.chat_id, content_sid=template)
            progress["reopen_sent_at"] = self.clock().isoformat()
            log.info("whatsapp.window.reopen_sent outbox=%s sid=%s", message.id, sid)
            raise HoldMessage(
                "outside WhatsApp's 24-hour window: the reopening template was sent; "
                "this message goes out when the person answers",
                progress=progress,
            )
        reason = "the reopening template was already sent" if template else "no reopening template configured"
        raise HoldMessage(
            f"outside WhatsApp's 24-hour window ({reason}); this message goes out when the person writes",
            progress=progress,
        )

    async def _create(
        self,
        chat_id: str,
        *,
        body: str | None = None,
        content_sid: str | None = None,
        content_variables: str | None = None,
    ) -> str:
        fields: dict[str, Any] = {"to": ADDRESS_PREFIX + chat_id, "from_": self.config.sender}
        if body is not None:
            fields["body"] = body
        if content_sid is not None:
            fields["content_sid"] = content_sid
        if content_variables is not None:
            fields["content_variables"] = content_variables
        if self.status_callback:
            fields["status_callback"] = self.status_callback
        try:
            # twilio's aiohttp client has no timeout of its own: bound every request here.
            created = await asyncio.wait_for(self.client().messages.create_async(**fields), self.timeout_s)
        except Exception as exc:
            raise as_send_error(exc) from exc
        return str(created.sid)

    def render(self, message: Outgoing, lang: str) -> list[str]:
        """Text, then the buttons as a numbered list the person answers with a number."""
        parts = split_text(message.text, TEXT_LIMIT)
        if not message.buttons:
            return parts
        lines = [self.texts.get("whatsapp_reply_with_number", lang)]
        lines += [f"{n}. {label}" for n, (label, _payload) in enumerate(message.buttons, start=1)]
        choices = "\n".join(lines)
        if len(parts[-1]) + len(choices) + 2 <= TEXT_LIMIT:
            parts[-1] = f"{parts[-1]}\n\n{choices}"
        else:
            parts.append(choices)
        return parts

    def _recipient(self, message: Outgoing) -> tuple[str, bool, bool]:
        """(language, window open, reopening template already sent since the person last wrote)."""
        if message.extra.get(FRESH_INBOUND):
            return self.default_language, True, False  # they have just written to us
        closed_by_twilio = bool(message.extra.get("window_closed"))  # said so in a status callback
        with self.sessions() as session:
            contact = (
                session.get(Contact, message.contact_id)
                if message.contact_id is not None
                else session.scalars(
                    select(Contact).where(Contact.channel == CHANNEL, Contact.external_id == message.chat_id)
                ).one_or_none()
            )
            lang = (contact.language if contact else None) or self.default_language
            last_in = contact.last_inbound_at if contact else None
            now = self.clock()
            window_open = (
                not closed_by_twilio and last_in is not None and now - last_in < WINDOW - WINDOW_MARGIN
            )
            prompted = not window_open and _reopen_sent_since(session, message.chat_id, last_in)
        return lang, window_open, prompted


def _reopen_sent_since(session: Session, chat_id: str, since: datetime | None) -> bool:
    """Did this person get a reopening template after their last message? (One is enough.)"""
    rows = session.scalars(
        select(OutboxItem)
        .where(OutboxItem.channel == CHANNEL, OutboxItem.chat_id == chat_id)
        .order_by(OutboxItem.id.desc())
        .limit(50)
    )
    for row in rows:
        extra = row.extra or {}
        if "reopen_sent_at" in extra:
            sent_at = datetime.fromisoformat(str(extra["reopen_sent_at"]))
        elif "content_sid" in extra and row.status is OutboxStatus.SENT and row.sent_at is not None:
            sent_at = row.sent_at
        else:
            continue
        if since is None or sent_at > since:
            return True
    return False


# ---------------------------------------------------------------- delivery statuses
def record_status(
    sessions: sessionmaker[Session],
    sid: str,
    status: str,
    error_code: str | None,
    clock: Callable[[], datetime],
) -> bool:
    """Apply one status callback; False when no message has this MessageSid (yet)."""
    with transaction(sessions) as session:
        item = session.scalars(
            select(OutboxItem).where(OutboxItem.channel == CHANNEL, OutboxItem.provider_message_id == sid)
        ).first()
        message = session.get(Message, item.message_id) if item is not None and item.message_id else None
        if message is None:
            message = session.scalars(
                select(Message).where(
                    Message.channel == CHANNEL,
                    Message.channel_message_id == sid,
                    Message.direction == Direction.OUT,
                )
            ).first()
        if item is None and message is None:
            return False
        if message is not None and STATUS_RANK.get(status, 0) > STATUS_RANK.get(message.delivery_status, 0):
            message.delivery_status = status
        if status in FAILED and item is not None and item.status is OutboxStatus.SENT:
            _undelivered(item, sid, error_code, clock())
    return True


def _undelivered(item: OutboxItem, sid: str, error_code: str | None, now: datetime) -> None:
    item.last_error = f"Twilio status callback: undelivered, error {error_code or '-'}"
    if error_code == str(OUTSIDE_WINDOW) and "content_sid" not in (item.extra or {}):
        # The window had closed after all: send it again the way a closed window needs.
        item.status = OutboxStatus.PENDING
        item.next_attempt_at = now
        item.extra = {**(item.extra or {}), "window_closed": True}
        log.warning("whatsapp.status.outside_window outbox=%s sid=%s: queued again", item.id, sid)
        return
    item.status = OutboxStatus.DEAD
    log.error(
        "outbox.undelivered id=%s channel=whatsapp chat=%s sid=%s error=%s: operator action needed",
        item.id,
        item.chat_id,
        sid,
        error_code,
    )


def release_held(sessions: sessionmaker[Session], chat_id: str, now: datetime) -> int:
    """The person wrote, so the window is open again: messages held for it go out, oldest first.

    Runs before the message is dispatched, so they go out before the answer to it; the contact's
    last message time is moved here too, or the sender would find the window still closed.
    """
    with transaction(sessions) as session:
        rows = session.scalars(
            select(OutboxItem).where(
                OutboxItem.channel == CHANNEL,
                OutboxItem.chat_id == chat_id,
                OutboxItem.status == OutboxStatus.HELD,
            )
        ).all()
        if not rows:
            return 0
        contact = session.scalars(
            select(Contact).where(Contact.channel == CHANNEL, Contact.external_id == chat_id)
        ).one_or_none()
        if contact is not None and (contact.last_inbound_at is None or contact.last_inbound_at < now):
            contact.last_inbound_at = now
        for row in rows:
            row.status = OutboxStatus.PENDING
            row.next_attempt_at = now
            row.extra = {k: v for k, v in (row.extra or {}).items() if k != "window_closed"}
        return len(rows)


# ---------------------------------------------------------------- the channel
class WhatsAppChannel:
    """Signature checks, inbound messages, status callbacks, and the sender."""

    def __init__(self, app: App) -> None:
        settings = app.settings
        assert settings.whatsapp.auth_token
        self.app = app
        self.public_url = settings.public_url
        self.validator = RequestValidator(settings.whatsapp.auth_token)
        self.sender = WhatsAppSender(settings, app.sessions, app.services.texts, app.services.clock)
        self._fallbacks = RecentKeys()
        if not self.public_url:
            log.error("whatsapp.no_public_url: set PUBLIC_URL, or every Twilio webhook is refused (403)")

    @classmethod
    def connect(cls, app: App) -> WhatsAppChannel:
        """Build the channel and register its sender and its clean-up with the app."""
        channel = cls(app)
        app.outbox.add_sender(channel.sender)
        app.closers.append(channel.sender.aclose)
        return channel

    def signature_valid(
        self, path: str, query: str, params: Any, signature: str | None, signature_settings: str | None = None
    ) -> bool:
        """X-Twilio-Signature over PUBLIC_URL + path (+ query) and every form field."""
        if not self.public_url or not signature:
            return False
        url = f"{self.public_url}{path}" + (f"?{query}" if query else "")
        algorithm = get_signature_algorithm(signature_settings)
        return bool(self.validator.validate(url, params, signature, algorithm=algorithm))

    async def handle_message(self, params: Mapping[str, str]) -> bool:
        """One incoming message. False: not stored (the webhook answers 5xx)."""
        try:
            inbound = read_message(params, self.app.services.clock())
        except ValueError as exc:
            log.warning("whatsapp.message.unreadable error=%s", exc)
            return True  # signed by Twilio but not a message we understand: nothing to redeliver
        try:
            released = await asyncio.to_thread(
                release_held, self.app.sessions, inbound.chat_id, inbound.received_at
            )
        except Exception as exc:  # the store is down; dispatch below answers with the fallback
            log.error("whatsapp.window.release_failed error=%s", exc)
            released = 0
        if released:
            log.info("whatsapp.window.reopened released=%d", released)
            self.app.outbox.wake()
        result = await self.app.dispatcher.dispatch(inbound)
        if not result.stored:
            await send_fallback(self.sender, inbound, result.replies, self._fallbacks)
            return False
        return True

    async def handle_status(self, params: Mapping[str, str]) -> None:
        sid = params.get("MessageSid") or params.get("SmsSid")
        status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        if not sid or not status:
            log.warning("whatsapp.status.unreadable fields=%s", ",".join(sorted(params)))
            return
        error_code = params.get("ErrorCode") or None
        for attempt in range(STATUS_LOOKUPS):
            found = await asyncio.to_thread(
                record_status, self.app.sessions, sid, status, error_code, self.app.services.clock
            )
            if found:
                log.info("whatsapp.status sid=%s status=%s error=%s", sid, status, error_code or "-")
                if status in FAILED:
                    self.app.outbox.wake()
                return
            if attempt < STATUS_LOOKUPS - 1:
                await asyncio.sleep(STATUS_LOOKUP_PAUSE_S)
        log.info("whatsapp.status.unknown_sid sid=%s status=%s", sid, status)
