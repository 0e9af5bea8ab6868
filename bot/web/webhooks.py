"""Webhook routes (CONTRACTS §4): Telegram updates, Twilio messages and Twilio delivery statuses.

A request is checked before anything is read into the database: a wrong secret or signature gets
403 and changes nothing. A message is acknowledged (2xx) only once it is stored; when the store
fails the person gets the kind fallback directly and the channel gets a 5xx, so it delivers again.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.telegram import WEBHOOK_PATH
from bot.channels.whatsapp import EMPTY_TWIML, INBOUND_PATH, STATUS_PATH
from bot.channels.wiring import Channels

log = logging.getLogger(__name__)


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def webhook_routes(channels: Channels) -> list[BaseRoute]:
    async def telegram_update(request: Request) -> Response:
        channel = channels.telegram
        if channel is None or not channel.secret_matches(
            request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        ):
            log.warning("webhook.telegram.forbidden client=%s", _client(request))
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = json.loads(await request.body())
        except ValueError as exc:
            log.warning("webhook.telegram.malformed client=%s error=%s", _client(request), exc)
            return PlainTextResponse("malformed JSON", status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            log.warning("webhook.telegram.malformed client=%s error=not an update", _client(request))
            return PlainTextResponse("not an update", status_code=400)
        stored = await channel.handle_json(data)
        return Response(status_code=200 if stored else 500)

    async def twilio_form(request: Request) -> tuple[dict[str, str], bool]:
        channel = channels.whatsapp
        form = await request.form()
        valid = channel is not None and channel.signature_valid(
            request.url.path,
            request.url.query,
            form,
            request.headers.get("X-Twilio-Signature"),
            request.headers.get("X-Twilio-Webhooks-Signature-Settings"),
        )
        if not valid:
            log.warning("webhook.whatsapp.forbidden path=%s client=%s", request.url.path, _client(request))
        return {key: str(value) for key, value in form.items()}, valid

    async def whatsapp_message(request: Request) -> Response:
        params, valid = await twilio_form(request)
        if not valid or channels.whatsapp is None:
            return PlainTextResponse("forbidden", status_code=403)
        stored = await channels.whatsapp.handle_message(params)
        # Replies go out through the REST API from the outbox; the webhook answers an empty TwiML.
        return Response(EMPTY_TWIML, status_code=200 if stored else 500, media_type="text/xml")

    async def whatsapp_status(request: Request) -> Response:
        params, valid = await twilio_form(request)
        if not valid or channels.whatsapp is None:
            return PlainTextResponse("forbidden", status_code=403)
        await channels.whatsapp.handle_status(params)
        return Response(status_code=204)

    return [
        Route(WEBHOOK_PATH, telegram_update, methods=["POST"]),
        Route(INBOUND_PATH, whatsapp_message, methods=["POST"]),
        Route(STATUS_PATH, whatsapp_status, methods=["POST"]),
    ]
