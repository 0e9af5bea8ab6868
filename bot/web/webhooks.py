"""Webhook routes (CONTRACTS §4): Telegram updates, Twilio messages and Twilio delivery statuses.

Each connected channel brings its own routes (`Channel.routes`). A request is checked before
anything is read into the database: a wrong secret or signature gets 403 and changes nothing. A
message is acknowledged (2xx) only once it is stored; when the store fails the person gets the
kind fallback directly and the channel gets a 5xx, so it delivers again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels import telegram, whatsapp
from bot.channels.base import Channel

log = logging.getLogger(__name__)
# Every webhook path the bot has; those of a channel that is not configured answer 403 all the same.
WEBHOOK_PATHS = (telegram.WEBHOOK_PATH, whatsapp.INBOUND_PATH, whatsapp.STATUS_PATH)


async def _not_configured(request: Request) -> Response:
    client = request.client.host if request.client else "-"
    log.warning("webhook.forbidden path=%s client=%s: channel not configured", request.url.path, client)
    return PlainTextResponse("forbidden", status_code=403)


def webhook_routes(channels: Sequence[Channel]) -> list[BaseRoute]:
    routes = [route for channel in channels for route in channel.routes()]
    served = {getattr(route, "path", None) for route in routes}
    routes += [Route(path, _not_configured, methods=["POST"]) for path in WEBHOOK_PATHS if path not in served]
    return routes
