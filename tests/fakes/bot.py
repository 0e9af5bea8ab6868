"""The bot wired to the fake Telegram and Twilio servers and served over HTTP, as `python -m bot serve` runs it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from bot.app import App, build_app, connect_channels
from bot.channels.whatsapp import INBOUND_PATH
from bot.config import Settings
from bot.storage.models import utcnow
from bot.web.app import create_web_app
from bot.web.webhooks import webhook_routes
from tests.fakes.server import FakeServer
from tests.fakes.shapes import twilio_signature
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio
from tests.support import Clock, free_port

PUBLIC_URL = "https://teman-migran.example.org"
WEBHOOK_SECRET = "test-webhook-secret"


def closed_nlu() -> dict[str, str]:
    """NLU on a port nobody listens on: the bot runs degraded (tests whose behaviour needs no intent)."""
    return {"NLU_URL": f"http://127.0.0.1:{free_port()}", "NLU_TOKEN": "unused"}


def channel_env(
    telegram: FakeTelegram | None = None,
    twilio: FakeTwilio | None = None,
    *,
    public_url: str | None = PUBLIC_URL,
) -> dict[str, str]:
    """The environment an operator sets for real channels, pointed at the fakes."""
    env: dict[str, str] = {}
    if public_url:
        env["PUBLIC_URL"] = public_url
    if telegram is not None:
        env |= {
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_BASE_URL": telegram.base_url,
        }
    if twilio is not None:
        env |= {
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_WHATSAPP_FROM": SENDER,
            "TWILIO_API_BASE_URL": twilio.url,
        }
    return env


def tuned(
    settings: Settings,
    *,
    per_chat_interval_s: float = 0.0,
    base_backoff_s: float = 0.05,
    poll_interval_s: float = 0.2,
    **outbox: Any,
) -> Settings:
    """config.yml's values with test-sized waits (the rate tests set their own)."""
    return dataclasses.replace(
        settings,
        telegram=dataclasses.replace(settings.telegram, per_chat_interval_s=per_chat_interval_s),
        whatsapp=dataclasses.replace(settings.whatsapp, per_chat_interval_s=per_chat_interval_s),
        outbox=dataclasses.replace(
            settings.outbox, base_backoff_s=base_backoff_s, poll_interval_s=poll_interval_s, **outbox
        ),
    )


class _Served(FakeServer):
    lifespan = "on"  # startup: NLU probe, outbox worker, setWebhook / polling; shutdown: app.aclose()

    def __init__(self, web: Starlette) -> None:
        super().__init__()
        self.web = web

    def app(self) -> Starlette:
        return self.web


@dataclass
class ServedBot:
    app: App
    http: httpx.AsyncClient
    telegram: FakeTelegram | None
    twilio: FakeTwilio | None

    async def post_update(
        self, update: dict[str, Any] | str, *, secret: str | None = WEBHOOK_SECRET
    ) -> httpx.Response:
        """POST /webhooks/telegram as Telegram does (JSON body, secret token header)."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        content = update if isinstance(update, str) else httpx.Request("POST", "/", json=update).content
        return await self.http.post("/webhooks/telegram", content=content, headers=headers)

    async def post_twilio(
        self,
        form: dict[str, str],
        *,
        path: str = INBOUND_PATH,
        signature: str | None = None,
        sign_as: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """POST a Twilio webhook, signed for PUBLIC_URL + path with the auth token unless told otherwise."""
        if signature is None:
            token, url = sign_as or (AUTH_TOKEN, PUBLIC_URL + path)
            signature = twilio_signature(token, url, form)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return await self.http.post(path, data=form, headers=headers)

    def count(self, model: type, *where: Any) -> int:
        with self.app.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def rows(self, model: type, *where: Any, order_by: Any = None) -> list[Any]:
        with self.app.sessions() as session:
            query = select(model).where(*where).order_by(order_by if order_by is not None else model.id)
            return list(session.scalars(query).all())


@asynccontextmanager
async def serve_bot(
    settings: Settings,
    *,
    telegram: FakeTelegram | None = None,
    twilio: FakeTwilio | None = None,
    clock: Callable[[], datetime] = utcnow,
    before_start: Callable[[App], None] | None = None,
) -> AsyncIterator[ServedBot]:
    """build_app + connect_channels + the webhook routes, served by uvicorn with its lifespan."""
    app = build_app(settings, clock=clock, manage_nlu=False)
    if before_start is not None:
        before_start(app)  # before the channels are wired to what the app holds
    channels = connect_channels(app)
    server = _Served(create_web_app(app, webhook_routes(channels)))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            yield ServedBot(app, http, telegram, twilio)
    finally:
        await server.stop()


__all__ = ["ACCOUNT_SID", "TOKEN", "Clock", "ServedBot", "channel_env", "closed_nlu", "serve_bot", "tuned"]
