"""The one ASGI app: webhooks, staff console and health checks (CONTRACTS §4)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import func, select, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import App
from bot.storage.models import OutboxItem, OutboxStatus
from bot.web.metrics import metrics_route

log = logging.getLogger(__name__)

# Feature modules (channels, console) contribute routes and start/stop hooks here.
RouteFactory = Callable[[App], list[BaseRoute]]


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def _readiness(app: App) -> dict[str, object]:
    with app.sessions() as session:
        session.execute(text("SELECT 1"))
        backlog = session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.status == OutboxStatus.PENDING)
        )
        held = session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.status == OutboxStatus.HELD)
        )
        dead = session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.status == OutboxStatus.DEAD)
        )
    return {"outbox": {"pending": backlog, "held": held, "dead": dead}}


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
    web = Starlette(routes=routes, lifespan=lifespan)
    web.state.app = app
    return web
