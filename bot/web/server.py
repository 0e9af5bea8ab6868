"""`python -m bot serve`: build the app, its channels and console, and run uvicorn on PORT."""

from __future__ import annotations

import gc
import logging
from types import FrameType

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot import console
from bot.app import App, build_app, connect_channels
from bot.config import Settings
from bot.web.app import create_web_app
from bot.web.webhooks import webhook_routes

log = logging.getLogger(__name__)


def feature_routes(app: App) -> list[BaseRoute]:
    """Routes the features add to the one ASGI app (the staff console at /console/)."""
    return [*console.routes(app)]


def build_web(app: App) -> Starlette:
    """The one ASGI app `serve` runs (and the browser tests serve): webhooks, console, health."""
    # Telegram / WhatsApp when their tokens are set: senders join the outbox, and setWebhook or
    # polling runs with the background tasks, in this one event loop.
    channels = connect_channels(app)
    # The scheduler (SLA checks) starts and stops with the app's background tasks in the lifespan.
    return create_web_app(app, [*webhook_routes(channels), *feature_routes(app)])


class Server(uvicorn.Server):
    """uvicorn's server, except that a stop signal during start-up ends the start-up at once.

    Start-up waits for the managed Rasa server to load its model (a minute or more); uvicorn would
    finish starting before it stops. Raising here cancels the start-up, which stops Rasa with it.
    """

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.started:
            log.warning("serve.stopped_during_startup signal=%s: the start-up is cancelled", sig)
            raise SystemExit(128 + sig)
        super().handle_exit(sig, frame)


def serve(settings: Settings) -> None:
    app = build_app(settings)
    web = build_web(app)
    log.info("serve.start port=%s console=http://127.0.0.1:%s/console/", settings.port, settings.port)
    # Everything built so far lives as long as the process: frozen, the cyclic garbage collector
    # no longer walks it on every full collection (about 60 ms for the ~140,000 objects of the app),
    # which showed as pauses in the per-message latency.
    gc.collect()
    gc.freeze()
    # uvicorn's own loggers go through ours (LOG_FORMAT=json applies to them too); no access log
    # line per request: the bot logs each message it handles, and /metrics counts them.
    Server(uvicorn.Config(
        web, host="0.0.0.0", port=settings.port, log_config=None, access_log=False, proxy_headers=True
    )).run()
