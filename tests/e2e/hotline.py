"""The hotline in one process: people write through dispatch, staff use the console over HTTP.

Used by the console, queue, SLA and staff-group tests; the browser tests use tests/e2e/live.py.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette asks for its httpx2 fork; the httpx-based client works the same for these tests.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from bot.app import App, build_app
from bot.channels.local import LocalSender
from bot.chat.dispatch import DispatchResult
from bot.chat.inbound import Inbound
from bot.config import Settings
from bot.hotline.staff import create_staff
from bot.storage.db import transaction
from bot.storage.models import AuditEntry, Escalation, StaffRole
from bot.web.app import create_web_app
from bot.web.server import feature_routes
from tests.e2e.live import PASSWORD, csrf_from
from tests.support import Clock


@dataclass
class Hotline:
    app: App
    clock: Clock
    out: io.StringIO
    clients: list[TestClient] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, clock: Clock | None = None) -> Hotline:
        clock = clock or Clock()
        out = io.StringIO()
        app = build_app(settings, senders={"local": LocalSender(out)}, clock=clock, manage_nlu=False)
        return cls(app=app, clock=clock, out=out)

    # ------------------------------------------------------------ people
    async def say(
        self, chat_id: str, text: str, *, channel: str = "local", received_at: datetime | None = None,
        payload: str | None = None,
    ) -> DispatchResult:
        inbound = Inbound(
            channel=channel, chat_id=chat_id, message_id=uuid.uuid4().hex, text=text,
            kind="button" if payload else "text", payload=payload,
            **({"received_at": received_at} if received_at else {}),
        )
        return await self.app.dispatcher.dispatch(inbound)

    async def deliver(self) -> str:
        """Send everything pending, as the outbox worker would; what local people received."""
        while await self.app.outbox.drain_once():
            pass
        return self.out.getvalue()

    # ------------------------------------------------------------ staff
    def add_staff(self, username: str, role: StaffRole = StaffRole.AGENT, **kwargs: Any) -> int:
        with transaction(self.app.sessions) as session:
            return create_staff(session, username, PASSWORD, role, **kwargs).id

    def browser(self, address: str = "testclient") -> TestClient:
        """A staff member's browser on the console (HTTPS, so the Secure cookie is kept), from `address`."""
        web = create_web_app(self.app, feature_routes(self.app), start_background=False)
        client = TestClient(web, base_url="https://testserver", follow_redirects=False, client=(address, 50000))
        self.clients.append(client)
        return client

    def signed_in(self, username: str, role: StaffRole = StaffRole.AGENT, **kwargs: Any) -> Console:
        self.add_staff(username, role, **kwargs)
        console = Console(self.browser())
        response = console.login(username)
        assert response.status_code == 303, response.text
        return console

    # ------------------------------------------------------------ reading the database
    def escalations(self) -> list[Escalation]:
        with self.app.sessions() as session:
            return list(session.scalars(select(Escalation).order_by(Escalation.id)))

    def audit_count(self, action: str, **where: Any) -> int:
        with self.app.sessions() as session:
            query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            for column, value in where.items():
                query = query.where(getattr(AuditEntry, column) == value)
            return int(session.scalar(query) or 0)

    async def close(self) -> None:
        for client in self.clients:
            client.close()
        await self.app.aclose()


@dataclass
class Console:
    """One staff member's browser session: pages, forms with their CSRF token, JSON polls."""

    client: TestClient
    csrf: str = ""

    def login(self, username: str, password: str = PASSWORD) -> Any:
        page = self.client.get("/console/login")
        response = self.client.post(
            "/console/login", data={"username": username, "password": password, "csrf_token": csrf_from(page.text)}
        )
        if response.status_code == 303:
            self.csrf = csrf_from(self.client.get("/console/").text)
        return response

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def post(self, path: str, **form: str) -> Any:
        """Submit a console form and follow the redirect to the page it shows next."""
        response = self.client.post(path, data={"csrf_token": self.csrf, **form})
        if response.status_code == 303:
            return self.client.get(response.headers["location"])
        return response

    def queue(self) -> list[dict[str, Any]]:
        response = self.client.get("/console/api/queue")
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def messages(self, escalation_id: int, after: int = 0) -> list[dict[str, Any]]:
        response = self.client.get(f"/console/api/e/{escalation_id}/messages?after={after}")
        assert response.status_code == 200, response.text
        return list(response.json()["lines"])
