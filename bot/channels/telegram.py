"""Telegram through python-telegram-bot: updates in (webhook or polling), Bot API calls out.

The adapter only verifies, parses and sends. What an update means for a person becomes one
`Inbound` for dispatch; the replies dispatch stored in the outbox go out through `TelegramSender`.
One event loop: the webhook is a route of our own Starlette app, polling is a task beside it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.answers.layout import split_text
from bot.channels.base import always_open
from bot.channels.common import Dispatch, RecentKeys, send_fallback
from bot.channels.telegram_http import AiohttpRequest
from bot.chat.inbound import Inbound, Media
from bot.config import Settings, TelegramSettings
from bot.outbox import delivery
from bot.outbox.sender import MAX_IN_FLIGHT, Outgoing, PermanentFailure, RetryLater, SendError
from bot.storage.coordination import replica_id, while_holding
from bot.storage.models import Contact, utcnow

log = logging.getLogger(__name__)

CHANNEL = "telegram"
WEBHOOK_PATH = "/webhooks/telegram"
TEXT_LIMIT = 4096  # Telegram refuses longer messages
CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit for callback_data
HASHED_PAYLOAD = "h:"  # a longer payload travels as this prefix + a hash; see payload_for_callback
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
POLL_TIMEOUT_S = 25  # long polling: Telegram answers as soon as an update arrives
MAX_RETRY_DELAY_S = 300.0
# Only the replica holding this lease sets the webhook or polls (Telegram allows one poller per token).
UPDATES_LEASE = "telegram.updates"
# What handles updates from the staff group chat (bot.hotline.staff_group.StaffGroup.handle).
StaffGroupHandler = Callable[[Update], Awaitable[None]]


def message_ref(chat_id: int | str, message_id: int) -> str:
    """How a Telegram message is named here: its id is unique only within its chat."""
    return f"{chat_id}:{message_id}"


# ---------------------------------------------------------------- buttons
def callback_data(payload: str) -> str:
    """The payload itself when it fits Telegram's 64 bytes, else a short stable token for it."""
    if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
        return payload
    return HASHED_PAYLOAD + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]


def keyboard(buttons: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    # One button per row: labels are whole phrases, and a worried person should not have to aim.
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=callback_data(payload))] for label, payload in buttons]
    )


# ---------------------------------------------------------------- updates in
@dataclass(frozen=True)
class Incoming:
    """What one update is for the bot: a person's message, the staff group's, or nothing."""

    audience: str  # "person" | "staff_group" | "ignored"
    inbound: Inbound | None = None
    callback_query_id: str | None = None
    reason: str = ""


def read_update(update: Update, staff_group_id: int | None, received_at: datetime | None = None) -> Incoming:
    """Sort an update: private chats become an Inbound; the staff group goes to its handler."""
    received_at = received_at or utcnow()
    chat = update.effective_chat
    if staff_group_id is not None and chat is not None and chat.id == staff_group_id:
        return Incoming("staff_group")
    if update.my_chat_member is not None:
        member = update.my_chat_member
        # "kicked" in a private chat: the person blocked the bot. Nothing to answer.
        return Incoming(
            "ignored",
            reason=f"my_chat_member chat={member.chat.id} status={member.new_chat_member.status}",
        )
    if chat is None:
        return Incoming("ignored", reason="unsupported update type")
    if chat.type != ChatType.PRIVATE:
        return Incoming("ignored", reason=f"{chat.type} chat {chat.id} (private chats only)")
    if update.callback_query is not None:
        return _callback(update.callback_query, chat.id, received_at)
    if update.message is not None:
        message = update.message
        return _message(message, message_ref(chat.id, message.message_id), received_at)
    if update.edited_message is not None:
        edited = update.edited_message
        stamp = int(edited.edit_date.timestamp()) if edited.edit_date else 0
        # An edit is a new text to read (a corrected "tolong" matters); the id says which version.
        return _message(edited, f"edit:{message_ref(chat.id, edited.message_id)}:{stamp}", received_at)
    return Incoming("ignored", reason="unsupported update type in a private chat")


def read_plain_text(data: Mapping[str, Any], staff_group_id: int | None, received_at: datetime) -> Incoming | None:
    """The update nearly every message is (a person's text in a private chat) read from Telegram's
    JSON as it is, without PTB's objects: building them cost ~0.2 ms of every message's CPU and wait.
    None for anything else, which `read_update` reads through PTB. Gives what `read_update` gives
    for the same update (tests/test_telegram.py checks the two agree)."""
    message = data.get("message")
    if not isinstance(message, dict) or len(data) != 2 or "update_id" not in data:
        return None
    chat, user, text, number = message.get("chat"), message.get("from"), message.get("text"), message.get("message_id")
    if not (isinstance(chat, dict) and isinstance(user, dict) and isinstance(text, str) and type(number) is int):
        return None
    chat_id, first, last, language = chat.get("id"), user.get("first_name"), user.get("last_name"), user.get("language_code")
    if (
        type(chat_id) is not int or chat_id == staff_group_id or chat.get("type") != ChatType.PRIVATE
        or user.get("is_bot") is not False or not isinstance(first, str)
        or not isinstance(last, (str, type(None))) or not isinstance(language, (str, type(None)))
    ):
        return None
    inbound = Inbound(
        channel=CHANNEL, chat_id=str(chat_id), message_id=message_ref(chat_id, number), text=text, kind="text",
        display_name=f"{first} {last}" if last else first,  # as PTB's User.full_name
        language_hint=language, received_at=received_at,
    )
    return Incoming("person", inbound)


def _message(message: Message, message_id: str, received_at: datetime) -> Incoming:
    user = message.from_user
    if user is not None and user.is_bot:
        return Incoming("ignored", reason="message from a bot")
    kind, media, text = message_content(message)
    inbound = Inbound(
        channel=CHANNEL,
        chat_id=str(message.chat.id),
        message_id=message_id,
        text=text,
        kind=kind,
        media=media,
        display_name=user.full_name if user else None,
        language_hint=user.language_code if user else None,
        received_at=received_at,
    )
    return Incoming("person", inbound)


def message_content(message: Message) -> tuple[str, tuple[Media, ...], str | None]:
    """(kind, media, text) of a message; photos, voice notes and the rest are kept by file_id."""
    if message.text is not None:
        return "text", (), message.text
    caption = message.caption
    if message.photo:
        largest = message.photo[-1]  # Telegram lists the sizes smallest first
        return "photo", (Media("photo", file_id=largest.file_id, content_type="image/jpeg"),), caption
    for kind, attachment in (
        ("voice", message.voice),
        ("audio", message.audio),
        ("video", message.video),
        ("video", message.video_note),
        ("video", message.animation),
        ("sticker", message.sticker),
        ("document", message.document),
    ):
        if attachment is not None:
            content_type = getattr(attachment, "mime_type", None)
            return kind, (Media(kind, file_id=attachment.file_id, content_type=content_type),), caption
    location = message.venue.location if message.venue else message.location
    if location is not None:
        # Where someone in trouble is matters to staff: kept as a geo: URI.
        place = f"{message.venue.title}, {message.venue.address}" if message.venue else None
        return "location", (Media("location", url=f"geo:{location.latitude},{location.longitude}"),), place
    if message.contact is not None:
        contact = message.contact
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        url = f"tel:{contact.phone_number}" if contact.phone_number else None
        return "contact", (Media("contact", url=url),), name or None
    return "unknown", (), caption


def _callback(query: CallbackQuery, chat_id: int, received_at: datetime) -> Incoming:
    data = query.data or ""
    label = None
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        for row in message.reply_markup.inline_keyboard:
            for button in row:
                if button.callback_data == data:
                    label = button.text
    inbound = Inbound(
        channel=CHANNEL,
        chat_id=str(chat_id),
        message_id=f"cb:{query.id}",
        text=label,
        kind="button",
        payload=data,
        display_name=query.from_user.full_name,
        language_hint=query.from_user.language_code,
        received_at=received_at,
    )
    return Incoming("person", inbound, callback_query_id=query.id)


# ---------------------------------------------------------------- replies out
def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 returns int or timedelta depending on PTB_TIMEDELTA
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def as_send_error(exc: TelegramError, progress: dict[str, Any] | None = None) -> SendError:
    """Telegram's answer in the outbox's terms: wait, retry, or never."""
    if isinstance(exc, RetryAfter):
        return RetryLater(str(exc), retry_after_seconds(exc), rate_limited=True, progress=progress)
    if isinstance(exc, (Forbidden, ChatMigrated, BadRequest)):
        # Blocked by the person, chat gone, or a message Telegram will never take.
        return PermanentFailure(f"{type(exc).__name__}: {exc}", progress=progress)
    if isinstance(exc, InvalidToken):
        return RetryLater(f"the bot token was refused ({exc}): check TELEGRAM_BOT_TOKEN", progress=progress)
    # TimedOut, NetworkError (5xx, connection), Conflict and anything new: try again later.
    return RetryLater(f"{type(exc).__name__}: {exc}", progress=progress)


class TelegramSender:
    """Sends outbox rows with sendMessage; buttons as an inline keyboard."""

    channel = CHANNEL

    def __init__(self, bot: Bot, settings: TelegramSettings) -> None:
        self.bot = bot
        # do_api_request warns that Bot.sendMessage exists; send() uses it on purpose (see there).
        warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)
        self.max_per_second = settings.max_per_second
        self.per_chat_interval_s = settings.per_chat_interval_s

    async def send(self, message: Outgoing) -> str | None:
        try:
            chat_id = int(message.chat_id)
        except ValueError:
            raise PermanentFailure(f"not a Telegram chat id: {message.chat_id!r}") from None
        parts = split_text(message.text, TEXT_LIMIT)
        first = min(int(message.extra.get("parts_sent", 0)), len(parts) - 1)
        reply_to = message.extra.get("reply_to_message_id")
        sent: dict[str, Any] | None = None
        for index in range(first, len(parts)):
            last = index == len(parts) - 1
            try:
                # The request Bot.send_message makes, through the same _post (same errors), without
                # building a Message from Telegram's answer: the outbox needs only its id, and
                # parsing the answer (the keyboard comes back in it) cost ~110 µs on every send.
                sent = await self.bot.do_api_request(
                    "sendMessage",
                    api_kwargs={
                        "chat_id": chat_id,
                        "text": parts[index],
                        "reply_markup": keyboard(message.buttons) if last else None,
                        "reply_parameters": (
                            ReplyParameters(int(reply_to), allow_sending_without_reply=True)
                            if reply_to is not None and index == first
                            else None
                        ),
                    },
                )
            except TelegramError as exc:
                # Parts already delivered are remembered, so the retry does not repeat them.
                raise as_send_error(exc, {"parts_sent": index} if index else None) from exc
        assert sent is not None
        return message_ref(chat_id, int(sent["message_id"]))


def make_requests(timeout_s: float) -> tuple[AiohttpRequest, AiohttpRequest]:
    """HTTP clients for API calls and for the long poll (its own connection: sends never queue behind it)."""
    calls = AiohttpRequest(
        connection_pool_size=MAX_IN_FLIGHT + 8,
        read_timeout=timeout_s,
        write_timeout=timeout_s,
        connect_timeout=timeout_s,
        pool_timeout=timeout_s,
    )
    updates = AiohttpRequest(
        connection_pool_size=1, read_timeout=timeout_s, connect_timeout=timeout_s, pool_timeout=timeout_s
    )
    return calls, updates


# ---------------------------------------------------------------- the channel
class TelegramChannel:
    """Webhook handling, polling, setWebhook, and the sender, around one PTB Bot."""

    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        dispatch: Dispatch,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        staff_group: StaffGroupHandler | None = None,
        replica: str | None = None,
    ) -> None:
        self.settings = settings.telegram
        self.replica = replica or replica_id()
        assert self.settings.token
        self.public_url = settings.public_url
        self.dispatch = dispatch
        self.sessions = sessions
        self.clock = clock
        self.staff_group = staff_group
        self._requests = make_requests(settings.outbox.send_timeout_s)
        # TELEGRAM_BASE_URL: Telegram itself, a self-hosted Bot API server, or a local fake in tests.
        self.bot = Bot(
            self.settings.token,
            base_url=self.settings.base_url,
            request=self._requests[0],
            get_updates_request=self._requests[1],
        )
        self.sender = TelegramSender(self.bot, self.settings)
        self._fallbacks = RecentKeys()

    def window_open(self, contact: Contact, now: datetime) -> bool:
        return always_open(contact, now)  # a bot may write to anyone who started it, at any time

    # ------------------------------------------------------------ the webhook
    def routes(self) -> list[BaseRoute]:
        return [Route(WEBHOOK_PATH, self._webhook, methods=["POST"])]

    async def _webhook(self, request: Request) -> Response:
        client = request.client.host if request.client else "-"
        if not self.secret_matches(request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
            log.warning("webhook.telegram.forbidden client=%s", client)
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = json.loads(await request.body())
        # Nesting deeper than the decoder's recursion limit is no update either (RecursionError).
        except (ValueError, RecursionError) as exc:
            log.warning("webhook.telegram.malformed client=%s error=%s", client, exc)
            return PlainTextResponse("malformed JSON", status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            log.warning("webhook.telegram.malformed client=%s error=not an update", client)
            return PlainTextResponse("not an update", status_code=400)
        stored = await self.handle_json(data)
        return Response(status_code=200 if stored else 500)

    def secret_matches(self, header: str | None) -> bool:
        """Constant-time check of X-Telegram-Bot-Api-Secret-Token; no secret configured = no webhook."""
        expected = self.settings.webhook_secret
        if not expected or header is None:
            return False
        return hmac.compare_digest(header.encode("utf-8"), expected.encode("utf-8"))

    async def handle_json(self, data: dict[str, Any]) -> bool:
        """One update as Telegram posts it. False: not stored, Telegram must deliver it again."""
        plain = read_plain_text(data, self.settings.staff_group_id, self.clock())
        if plain is not None:
            return await self._guarded(data.get("update_id"), self._handle_incoming(plain))
        try:
            update = Update.de_json(data, self.bot)
        except Exception as exc:
            log.warning("telegram.update.unreadable update_id=%s error=%s", data.get("update_id"), exc)
            return True  # the same bytes would fail again: never a redelivery loop
        return await self.handle(update)

    async def handle(self, update: Update) -> bool:
        return await self._guarded(update.update_id, self._handle(update))

    @staticmethod
    async def _guarded(update_id: object, handling: Awaitable[bool]) -> bool:
        try:
            return await handling
        except Exception:
            # A bug here must not make Telegram redeliver the same update forever.
            log.exception("telegram.update.failed update_id=%s", update_id)
            return True

    async def _handle(self, update: Update) -> bool:
        incoming = read_update(update, self.settings.staff_group_id, self.clock())
        if incoming.audience == "staff_group":
            await self._to_staff_group(update)
            return True
        if incoming.inbound is None:
            log.info("telegram.update.ignored update_id=%s reason=%s", update.update_id, incoming.reason)
            return True
        return await self._handle_incoming(incoming)

    async def _handle_incoming(self, incoming: Incoming) -> bool:
        """A person's update, read: dispatched; False when it could not be stored (deliver it again)."""
        inbound = incoming.inbound
        assert inbound is not None
        acknowledged: asyncio.Task[None] | None = None
        if incoming.callback_query_id is not None:
            # Stop the button's spinner first, without making the message wait for Telegram.
            acknowledged = asyncio.create_task(self._answer_callback(incoming.callback_query_id))
            if inbound.payload and inbound.payload.startswith(HASHED_PAYLOAD):
                inbound = await self._unhash(inbound)
        try:
            result = await self.dispatch(inbound)
        finally:
            if acknowledged is not None:
                await acknowledged
        if not result.stored:
            await send_fallback(self.sender, inbound, result.replies, self._fallbacks)
            return False
        return True

    async def _to_staff_group(self, update: Update) -> None:
        if self.staff_group is None:
            log.info("telegram.staff_group.unhandled update_id=%s", update.update_id)
            return
        try:
            await self.staff_group(update)
        except Exception:
            log.exception("telegram.staff_group.failed update_id=%s", update.update_id)

    async def _answer_callback(self, query_id: str) -> None:
        # A courtesy: a failure is logged and never stops the message.
        try:
            await self.bot.answer_callback_query(query_id)
        except Exception as exc:
            log.info("telegram.answer_callback_failed query=%s error=%s", query_id, exc)

    async def _unhash(self, inbound: Inbound) -> Inbound:
        payload = await asyncio.to_thread(self._stored_payload, inbound.chat_id, inbound.payload or "")
        if payload is None:
            log.warning(
                "telegram.callback.unknown_token chat=%s data=%s: showing the menu",
                inbound.chat_id,
                inbound.payload,
            )
            payload = "cmd:menu"
        return Inbound(
            channel=inbound.channel,
            chat_id=inbound.chat_id,
            message_id=inbound.message_id,
            text=inbound.text,
            kind=inbound.kind,
            payload=payload,
            display_name=inbound.display_name,
            language_hint=inbound.language_hint,
            received_at=inbound.received_at,
        )

    def _stored_payload(self, chat_id: str, token: str) -> str | None:
        """The long payload behind a hashed callback_data, from the buttons this chat was sent."""
        with self.sessions() as session:
            payloads = delivery.recent_button_payloads(session, CHANNEL, chat_id)
        return next((payload for payload in payloads if callback_data(payload) == token), None)

    # ------------------------------------------------------------ startup: webhook or polling
    async def run(self) -> None:
        """Check the token, then register the webhook (PUBLIC_URL) or poll for updates.

        With several replicas only the one holding the database lease does either; another takes
        over when it stops or dies. Every replica serves the webhook route.
        """
        await self._hello()
        if self.settings.mode == "polling":
            work = self.poll
        elif self.public_url:
            work = self.set_webhook
        else:
            log.info(
                "telegram.webhook.external: TELEGRAM_MODE=webhook without PUBLIC_URL; register the webhook yourself"
            )
            return
        await while_holding(self.sessions, UPDATES_LEASE, self.replica, work)

    async def _hello(self) -> None:
        try:
            me = await self.bot.get_me()
            log.info("telegram.ready bot=@%s mode=%s", me.username, self.settings.mode)
        except InvalidToken as exc:
            log.error("telegram.token_refused error=%s: check TELEGRAM_BOT_TOKEN", exc)
        except TelegramError as exc:
            log.warning("telegram.unreachable error=%s: sending retries on its own", exc)

    async def set_webhook(self) -> None:
        """Point Telegram at PUBLIC_URL/webhooks/telegram with our secret; retried until it works."""
        url = f"{self.public_url}{WEBHOOK_PATH}"
        failures = 0
        while True:
            try:
                await self.bot.set_webhook(
                    url=url,
                    secret_token=self.settings.webhook_secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                    drop_pending_updates=False,  # updates that waited while we were down still count
                )
                log.info("telegram.webhook.set url=%s", url)
                return
            except InvalidToken as exc:
                log.error("telegram.webhook.token_refused error=%s: check TELEGRAM_BOT_TOKEN", exc)
                return
            except TelegramError as exc:
                failures += 1
                delay = min(2.0**failures, MAX_RETRY_DELAY_S)
                log.error("telegram.webhook.set_failed url=%s error=%s retry_in_s=%.0f", url, exc, delay)
                await asyncio.sleep(delay)

    async def poll(self) -> None:
        """Development mode: long-poll getUpdates; an update is confirmed only once it is stored."""
        offset: int | None = None
        failures = 0
        dropped_webhook = False
        while True:
            try:
                if not dropped_webhook:
                    # getUpdates is refused while a webhook is set; pending updates are kept.
                    await self.bot.delete_webhook(drop_pending_updates=False)
                    dropped_webhook = True
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT_S, allowed_updates=list(ALLOWED_UPDATES)
                )
            except InvalidToken as exc:
                log.error(
                    "telegram.polling.token_refused error=%s: polling stopped; check TELEGRAM_BOT_TOKEN", exc
                )
                return
            except TelegramError as exc:
                failures += 1
                delay = min(2.0**failures, MAX_RETRY_DELAY_S)
                level = logging.ERROR if isinstance(exc, Conflict) else logging.WARNING
                log.log(level, "telegram.polling.failed error=%s retry_in_s=%.0f", exc, delay)
                await asyncio.sleep(delay)
                continue
            stored_all = True
            for update in updates:
                if not await self.handle(update):
                    stored_all = False
                    break  # not stored: ask Telegram for it again after a pause
                offset = update.update_id + 1
            if stored_all:
                failures = 0
            else:
                failures += 1
                await asyncio.sleep(min(2.0**failures, MAX_RETRY_DELAY_S))

    async def aclose(self) -> None:
        # Bot.shutdown() closes only what Bot.initialize() opened, and initialize needs the
        # network; the HTTP clients are ours, so we close them.
        for request in self._requests:
            await request.shutdown()
