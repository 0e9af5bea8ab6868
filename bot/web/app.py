"""The one ASGI app: webhooks, staff console and health checks (CONTRACTS §4)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import App
from bot.outbox import health
from bot.web.metrics import metrics_route

log = logging.getLogger(__name__)

# Feature modules (channels, console) contribute routes and start/stop hooks here.
RouteFactory = Callable[[App], list[BaseRoute]]


# A year, subdomains included: browsers then never try plain HTTP for the console (cookies, passwords).
HSTS = b"max-age=31536000; includeSubDomains"


class StrictTransportSecurity:
    """Strict-Transport-Security on every response; added outside development, which runs on plain http."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"strict-transport-security", HSTS)]
            await send(message)

        await self.app(scope, receive, send_with_hsts)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def _readiness(app: App) -> dict[str, object]:
    """The outbox in the database (all processes) and each channel's health (bot/outbox/health.py)."""
    with app.sessions() as session:
        session.execute(text("SELECT 1"))
        report = health.channel_health(session, app.outbox.health, app.outbox.senders, app.services.clock())
    backlog = [channel.backlog for channel in report.values()]
    return {
        "outbox": {
            "pending": sum(b.waiting for b in backlog),
            "held": sum(b.held for b in backlog),
            "dead": sum(b.dead for b in backlog),
            # Per channel: last success / last error as this process saw them, rows waiting for all.
            "channels": {name: channel.as_json() for name, channel in report.items()},
        }
    }


def make_readyz(app: App) -> Callable[[Request], object]:
    async def readyz(request: Request) -> Response:
        body: dict[str, object] = {
            "nlu": app.understander.status,
            "channels": sorted(app.outbox.senders),
        }
        try:
            body.update(await asyncio.to_thread(_readiness, app))
            body["database"] = "ok"
            status = 200
        except Exception as exc:
            log.error("readyz.database_down error=%s", exc)
            body["database"] = "down"
            status = 503
        return JSONResponse(body, status_code=status)

    return readyz


def create_web_app(app: App, extra_routes: list[BaseRoute] | None = None, *, start_background: bool = True) -> Starlette:
    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if start_background:
            await app.start_nlu()
            app.start_background()
        try:
            yield
        finally:
            await app.aclose()

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", make_readyz(app)),
        metrics_route(app),
        *(extra_routes or []),
    ]
    middleware = [] if app.settings.is_development else [Middleware(StrictTransportSecurity)]
    web = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    web.state.app = app
    return web
