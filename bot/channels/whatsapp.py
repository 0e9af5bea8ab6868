"""WhatsApp through Twilio: signed webhooks in, the REST API out (never TwiML), delivery statuses kept.

Inbound messages and status callbacks are accepted only with a valid X-Twilio-Signature for
PUBLIC_URL + path. Replies go out through a real `twilio.rest.Client` (its async HTTP client)
on TWILIO_API_BASE_URL. WhatsApp lets a business write freely only within 24 hours of the
person's last message (`window_open`); outside it a message is held (visible, never dropped)
and, when a reopening template is configured, the person is asked to answer first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.rest import Client

from bot.answers.layout import numbered_text
from bot.answers.texts import Texts
from bot.channels.common import FRESH_INBOUND, Dispatch, RecentKeys, send_fallback
from bot.chat.inbound import Inbound, Media
from bot.config import Settings
from bot.outbox import delivery
from bot.outbox.sender import HoldMessage, Outgoing, PermanentFailure, RetryLater, SendError
from bot.storage import people
from bot.storage.db import transaction
from bot.storage.models import Contact, utcnow

log = logging.getLogger(__name__)
# twilio's HTTP client logs every request at INFO; message bodies are personal data.
_http_log = logging.getLogger(__name__ + ".http")
_http_log.setLevel(logging.WARNING)

CHANNEL = "whatsapp"
ADDRESS_PREFIX = "whatsapp:"
INBOUND_PATH = "/webhooks/whatsapp"
STATUS_PATH = "/webhooks/whatsapp/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# WhatsApp's customer service window: a business may send free text only this long after the
# person's last message (Meta, "Customer service windows"); later, only approved templates.
WINDOW = timedelta(hours=24)
# The one margin the bot keeps (sender, staff console, tips alike): a message sent in the window's
# last minute might reach WhatsApp after it closed and be refused, so the window counts as closed.
WINDOW_MARGIN = timedelta(minutes=1)
# A status callback can overtake the worker writing the provider id: look again this often.
STATUS_LOOKUPS = 4
STATUS_LOOKUP_PAUSE_S = 0.5

OUTSIDE_WINDOW = 63016  # "outside the allowed window" (REST answer or status callback)
# "Too fast": the Messages API's own limit, and WhatsApp's per-sender limit.
RATE_LIMIT_CODES = frozenset({20429, 63018})
# The account or the sender is the problem, not this message: authentication / permission denied,
# account suspended, the From address is not this account's WhatsApp sender, the daily limit is
# reached. Every message fails alike until an operator (or tomorrow) fixes it: retried, never dead.
CHANNEL_CODES = frozenset({20003, 20005, 21606, 63007, 63038})
# Any other 4xx refuses this message for good, e.g. invalid / not a mobile / unsubscribed (STOP) /
# not a WhatsApp number / body refused: 21211, 21408, 21610, 21612, 21614, 21617, 63003, 63024.
# Twilio's delivery statuses that mean the message never arrived.
FAILED = ("failed", "undelivered")


def window_open(contact: Contact, now: datetime) -> bool:
    """Can free text reach this WhatsApp contact now (they wrote within the window, less the margin)?"""
    last = contact.last_inbound_at
    return last is not None and now - last < WINDOW - WINDOW_MARGIN


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
    """Twilio's answer in the outbox's terms: the channel is down (retry), this message is refused
    (dead at once), or the window is closed (hold)."""
    if isinstance(exc, TwilioRestException):
        status, code = exc.status, exc.code
        what = f"Twilio {status} error {code}: {exc.msg}"
        if status == 429 or code in RATE_LIMIT_CODES:
            return RetryLater(what, rate_limited=True, progress=progress)
        if status >= 500 or status == 408:
            return RetryLater(what, progress=progress)
        if code == OUTSIDE_WINDOW:
            return HoldMessage("outside WhatsApp's 24-hour window", progress=progress)
        if status == 401 or code in CHANNEL_CODES:
            return RetryLater(
                f"{what}: check the Twilio account, TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN and "
                "TWILIO_WHATSAPP_FROM",
                progress=progress,
            )
        return PermanentFailure(what, progress=progress)
    # aiohttp.ClientError, OSError, TimeoutError, an unreadable answer: no verdict on the message.
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
        if delivery.TEMPLATE in message.extra:
            # A template (e.g. staff re-opening the window) may go out whatever the window says.
            return await self._create(
                message.chat_id,
                content_sid=str(message.extra[delivery.TEMPLATE]),
                content_variables=message.extra.get("content_variables"),
            )
        lang, is_open, prompted = await asyncio.to_thread(self._recipient, message)
        if not is_open and message.campaign_id is not None:
            return await self._campaign_outside_window(message)
        if not is_open:
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

    async def _campaign_outside_window(self, message: Outgoing) -> str:
        """The window closed before a campaign row's turn: its approved template, or skipped (held,
        and never released later). A campaign never asks the person to write first."""
        template = message.extra.get(delivery.CAMPAIGN_TEMPLATE)
        if template:
            return await self._create(
                message.chat_id, content_sid=str(template), content_variables=message.extra.get(delivery.CAMPAIGN_TEMPLATE_VARS)
            )
        raise HoldMessage("outside WhatsApp's 24-hour window and the campaign has no approved template: skipped")

    async def _hold_outside_window(
        self, message: Outgoing, prompted: bool, progress: dict[str, Any] | None = None
    ) -> None:
        """Raise HoldMessage; first ask the person to answer, once, when a template is configured."""
        progress = dict(progress or {})
        template = self.config.reopen_template_sid
        if template and not prompted:
            sid = await self._create(message.chat_id, content_sid=template)
            progress[delivery.REOPEN_SENT_AT] = self.clock().isoformat()
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
        return numbered_text(message.text, message.buttons, self.texts, lang)

    def _recipient(self, message: Outgoing) -> tuple[str, bool, bool]:
        """(language, window open, reopening template already sent since the person last wrote)."""
        if message.extra.get(FRESH_INBOUND):
            return self.default_language, True, False  # they have just written to us
        closed_by_twilio = bool(message.extra.get(delivery.WINDOW_CLOSED))  # said so in a status callback
        with self.sessions() as session:
            contact = people.find_contact(session, CHANNEL, message.chat_id, message.contact_id)
            lang = (contact.language if contact else None) or self.default_language
            is_open = not closed_by_twilio and contact is not None and window_open(contact, self.clock())
            prompted = not is_open and delivery.reopening_sent_since(
                session, CHANNEL, message.chat_id, contact.last_inbound_at if contact else None
            )
        return lang, is_open, prompted



# ---------------------------------------------------------------- the channel
class WhatsAppChannel:
    """Signature checks, inbound messages, status callbacks, and the sender."""

    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        dispatch: Dispatch,
        sessions: sessionmaker[Session],
        texts: Texts,
        clock: Callable[[], datetime],
        wake: Callable[[], None],
    ) -> None:
        assert settings.whatsapp.auth_token
        self.dispatch = dispatch
        self.sessions = sessions
        self.clock = clock
        self.wake = wake
        self.public_url = settings.public_url
        self.validator = RequestValidator(settings.whatsapp.auth_token)
        self.sender = WhatsAppSender(settings, sessions, texts, clock)
        self._fallbacks = RecentKeys()
        if not self.public_url:
            log.error("whatsapp.no_public_url: set PUBLIC_URL, or every Twilio webhook is refused (403)")

    def window_open(self, contact: Contact, now: datetime) -> bool:
        return window_open(contact, now)

    async def aclose(self) -> None:
        await self.sender.aclose()

    # ------------------------------------------------------------ webhooks
    def routes(self) -> list[BaseRoute]:
        return [
            Route(INBOUND_PATH, self._message_webhook, methods=["POST"]),
            Route(STATUS_PATH, self._status_webhook, methods=["POST"]),
        ]

    async def _signed_form(self, request: Request) -> dict[str, str] | None:
        """The form fields when Twilio signed them, else None (logged)."""
        form = await request.form()
        if not self.signature_valid(
            request.url.path,
            request.url.query,
            form,
            request.headers.get("X-Twilio-Signature"),
            request.headers.get("X-Twilio-Webhooks-Signature-Settings"),
        ):
            client = request.client.host if request.client else "-"
            log.warning("webhook.whatsapp.forbidden path=%s client=%s", request.url.path, client)
            return None
        return {key: str(value) for key, value in form.items()}

    async def _message_webhook(self, request: Request) -> Response:
        params = await self._signed_form(request)
        if params is None:
            return PlainTextResponse("forbidden", status_code=403)
        stored = await self.handle_message(params)
        # Replies go out through the REST API from the outbox; the webhook answers an empty TwiML.
        return Response(EMPTY_TWIML, status_code=200 if stored else 500, media_type="text/xml")

    async def _status_webhook(self, request: Request) -> Response:
        params = await self._signed_form(request)
        if params is None:
            return PlainTextResponse("forbidden", status_code=403)
        await self.handle_status(params)
        return Response(status_code=204)

    def signature_valid(
        self, path: str, query: str, params: Any, signature: str | None, signature_settings: str | None = None
    ) -> bool:
        """X-Twilio-Signature over PUBLIC_URL + path (+ query) and every form field."""
        if not self.public_url or not signature:
            return False
        url = f"{self.public_url}{path}" + (f"?{query}" if query else "")
        algorithm = get_signature_algorithm(signature_settings)
        return bool(self.validator.validate(url, params, signature, algorithm=algorithm))

    # ------------------------------------------------------------ messages and statuses
    async def handle_message(self, params: Mapping[str, str]) -> bool:
        """One incoming message. False: not stored (the webhook answers 5xx)."""
        try:
            inbound = read_message(params, self.clock())
        except ValueError as exc:
            log.warning("whatsapp.message.unreadable error=%s", exc)
            return True  # signed by Twilio but not a message we understand: nothing to redeliver
        try:
            released = await asyncio.to_thread(self._release_held, inbound)
        except Exception as exc:  # the store is down; dispatch below answers with the fallback
            log.error("whatsapp.window.release_failed error=%s", exc)
            released = 0
        if released:
            log.info("whatsapp.window.reopened released=%d", released)
            self.wake()
        result = await self.dispatch(inbound)
        if not result.stored:
            await send_fallback(self.sender, inbound, result.replies, self._fallbacks)
            return False
        return True

    def _release_held(self, inbound: Inbound) -> int:
        """The person wrote, so messages held for the window go out, before the answer to this one."""
        with transaction(self.sessions) as session:
            released = delivery.release_held(session, CHANNEL, inbound.chat_id, inbound.received_at)
            if released:
                # Dispatch records the message only after this; without it the sender would
                # still find the window closed.
                people.wrote_at(session, CHANNEL, inbound.chat_id, inbound.received_at)
        return released

    async def handle_status(self, params: Mapping[str, str]) -> None:
        sid = params.get("MessageSid") or params.get("SmsSid")
        status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        if not sid or not status:
            log.warning("whatsapp.status.unreadable fields=%s", ",".join(sorted(params)))
            return
        error_code = params.get("ErrorCode") or None
        for attempt in range(STATUS_LOOKUPS):
            found = await asyncio.to_thread(self._record_status, sid, status, error_code)
            if found:
                log.info("whatsapp.status sid=%s status=%s error=%s", sid, status, error_code or "-")
                if status in FAILED:
                    self.wake()
                return
            if attempt < STATUS_LOOKUPS - 1:
                await asyncio.sleep(STATUS_LOOKUP_PAUSE_S)
        log.info("whatsapp.status.unknown_sid sid=%s status=%s", sid, status)

    def _record_status(self, sid: str, status: str, error_code: str | None) -> bool:
        """One status callback in one transaction; False when no message has this sid (yet)."""
        failed = status in FAILED
        with transaction(self.sessions) as session:
            return delivery.record_delivery(
                session,
                CHANNEL,
                sid,
                status,
                self.clock(),
                undelivered=f"Twilio status callback: undelivered, error {error_code or '-'}" if failed else None,
                window_closed=failed and error_code == str(OUTSIDE_WINDOW),
            )
