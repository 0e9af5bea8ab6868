"""`python -m bot serve`: build the app, its channels and console, and run uvicorn on PORT."""

from __future__ import annotations

import logging

import uvicorn

from bot.app import build_app
from bot.config import Settings
from bot.web.app import create_web_app

log = logging.getLogger(__name__)


def serve(settings: Settings) -> None:
    app = build_app(settings)
    web = create_web_app(app)
    log.info("serve.start port=%s console=http://127.0.0.1:%s/console/", settings.port, settings.port)
    uvicorn.run(web, host="0.0.0.0", port=settings.port, log_level="info", proxy_headers=True)
