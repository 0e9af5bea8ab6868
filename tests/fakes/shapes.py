"""Requests exactly as Telegram and Twilio send them (field names, nesting, types)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from twilio.request_validator import RequestValidator

from tests.fakes.twilio_api import ACCOUNT_SID, SENDER

_update_ids = itertools.count(700_000_001)
_message_ids = itertools.count(11)
_sms_ids = itertools.count(1)

PERSON = {"id": 5550001, "is_bot": False, "first_name": "Siti", "last_name": "Aminah", "language_code": "id"}


def _user(user: dict[str, Any] | None) -> dict[str, Any]:
    return dict(user or PERSON)


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    chat = {"id": user["id"], "first_name": user["first_name"], "type": "private"}
    if "last_name" in user:
        chat["last_name"] = user["last_name"]
    return chat


def message(
    text: str | None = None,
    *,
    user: dict[str, Any] | None = None,
    chat: dict[str, Any] | None = None,
    message_id: int | None = None,
    update_id: int | None = None,
    **content: Any,
) -> dict[str, Any]:
    """An Update with a `message`; `content` adds photo=[...], voice={...}, location={...} and the like."""
    sender = _user(user)
    body: dict[str, Any] = {
        "message_id": message_id or next(_message_ids),
        "from": sender,
        "chat": chat or private_chat(sender),
        "date": int(time.time()),
    }
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            body["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    body.update(content)
    return {"update_id": update_id or next(_update_ids), "message": body}


def edited_message(text: str, *, message_id: int, user: dict[str, Any] | None = None) -> dict[str, Any]:
    sender = _user(user)
    now = int(time.time())
    return {
        "update_id": next(_update_ids),
        "edited_message": {
            "message_id": message_id,
            "from": sender,
            "chat": private_chat(sender),
            "date": now - 30,
            "edit_date": now,
            "text": text,
        },
    }


def callback_query(
    data: str, *, sent: dict[str, Any], user: dict[str, Any] | None = None, query_id: str | None = None
) -> dict[str, Any]:
    """A pressed inline button; `sent` is the bot's message (as the fake answered sendMessage)."""
    sender = _user(user)
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": query_id or f"4382{next(_message_ids):012d}",
            "from": sender,
            "message": sent,
            "chat_instance": "-3546790412345678901",
            "data": data,
        },
    }


def photo(caption: str | None = None, **kw: Any) -> dict[str, Any]:
    sizes = [
        {
            "file_id": "AgACAgQAAxkBAAIB-small",
            "file_unique_id": "AQADsmall",
            "file_size": 1200,
            "width": 90,
            "height": 67,
        },
        {
            "file_id": "AgACAgQAAxkBAAIB-large",
            "file_unique_id": "AQADlarge",
            "file_size": 98000,
            "width": 1280,
            "height": 960,
        },
    ]
    extra = {"caption": caption} if caption else {}
    return message(photo=sizes, **extra, **kw)


def voice(**kw: Any) -> dict[str, Any]:
    return message(
        voice={
            "file_id": "AwACAgQAAxkBAAIB-voice",
            "file_unique_id": "AgADvoice",
            "duration": 4,
            "mime_type": "audio/ogg",
            "file_size": 7000,
        },
        **kw,
    )


def location(latitude: float, longitude: float, **kw: Any) -> dict[str, Any]:
    return message(location={"latitude": latitude, "longitude": longitude}, **kw)


def sticker(**kw: Any) -> dict[str, Any]:
    return message(
        sticker={
            "file_id": "CAACAgIAAxkBAAIB-sticker",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
        **kw,
    )


def my_chat_member(status: str = "kicked", *, user: dict[str, Any] | None = None) -> dict[str, Any]:
    """The person blocked the bot (status kicked) or unblocked it (member)."""
    sender = _user(user)
    bot = {"id": 123456, "is_bot": True, "first_name": "Teman Migran", "username": "TemanMigranTestBot"}
    return {
        "update_id": next(_update_ids),
        "my_chat_member": {
            "chat": private_chat(sender),
            "from": sender,
            "date": int(time.time()),
            "old_chat_member": {"user": bot, "status": "member"},
            "new_chat_member": {"user": bot, "status": status, "until_date": 0}
            if status == "kicked"
            else {"user": bot, "status": status},
        },
    }


def group_message(text: str, *, chat_id: int = -1001234567890, title: str = "Keluarga") -> dict[str, Any]:
    return message(text, chat={"id": chat_id, "title": title, "type": "supergroup"})


# ---------------------------------------------------------------- Twilio
def twilio_message(
    body: str = "",
    *,
    phone: str = "+6281234567890",
    profile: str = "Siti",
    sid: str | None = None,
    media: list[tuple[str, str]] | None = None,
    **more: str,
) -> dict[str, str]:
    """The form Twilio posts for one incoming WhatsApp message."""
    sid = sid or f"SMtestin{next(_sms_ids):04d}"
    form = {
        "SmsMessageSid": sid,
        "NumMedia": str(len(media or [])),
        "ProfileName": profile,
        "MessageType": "image" if media else "text",
        "SmsSid": sid,
        "WaId": phone.lstrip("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": SENDER,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": f"whatsapp:{phone}",
        "ApiVersion": "2010-04-01",
    }
    for n, (url, content_type) in enumerate(media or []):
        form[f"MediaContentType{n}"] = content_type
        form[f"MediaUrl{n}"] = url
    form.update(more)
    return form


def twilio_status(
    sid: str, status: str, *, phone: str = "+6281234567890", error_code: str | None = None
) -> dict[str, str]:
    """The form Twilio posts to the StatusCallback URL."""
    form = {
        "ChannelPrefix": "whatsapp",
        "ApiVersion": "2010-04-01",
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "ChannelInstallSid": "XEtest",
        "To": f"whatsapp:{phone}",
        "From": SENDER,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "ChannelToAddress": phone,
    }
    if error_code:
        form["ErrorCode"] = error_code
    return form


def twilio_signature(auth_token: str, url: str, form: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it (twilio's own RequestValidator)."""
    return str(RequestValidator(auth_token).compute_signature(url, form))
