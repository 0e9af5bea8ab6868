"""The audit log page (Log audit): who saw or did what, newest first; supervisors only, and itself audited."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.auth import SUPERVISOR, require
from bot.console.common import Console
from bot.hotline import audit


class AuditLogPage:
    """/audit, filtered by action and paged back with ?before=ID."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[BaseRoute]:
        return [Route("/audit", self.page)]

    async def page(self, request: Request) -> Response:
        staff = await self.console.current(request)
        require(staff, SUPERVISOR)
        before = request.query_params.get("before")
        action = request.query_params.get("action") or None
        if action not in audit.ACTIONS:
            action = None

        def work(session: Session) -> list[audit.AuditRow]:
            self.console.audit(session, request, "view_audit", staff.id, target_type=None)
            return audit.recent(session, before_id=int(before) if before and before.isdigit() else None,
                                action=action)

        rows = await self.console.db(work)
        return self.console.render(request, "audit.html", staff, rows=rows, action=action or "")
