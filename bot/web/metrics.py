"""GET /metrics (CONTRACTS §4): the app's Prometheus registry, for loopback or with METRICS_TOKEN."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.app import App
from bot.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed(request: Request, token: str | None) -> bool:
    """Loopback always (a Prometheus beside the bot, or an operator on the host); others only with
    `Authorization: Bearer <METRICS_TOKEN>`, and never when no token is set. Behind a reverse proxy
    on the same host, uvicorn's proxy headers make the proxied client's address the one checked."""
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    return _loopback(request.client.host if request.client else None)


def metrics_route(app: App) -> Route:
    async def metrics(request: Request) -> Response:
        if not allowed(request, app.settings.metrics_token):
            client = request.client.host if request.client else "-"
            log.warning("metrics.forbidden client=%s", client)
            return PlainTextResponse("forbidden", status_code=403)
        body = await asyncio.to_thread(app.metrics.render)  # the state collector reads the database
        return Response(body, media_type=CONTENT_TYPE)

    return Route("/metrics", metrics, methods=["GET"])
