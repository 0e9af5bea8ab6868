"""The queue page (Antrean): open and claimed escalations, urgent first, and its JSON for the auto-refresh."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.console.common import Console
from bot.hotline import queries


class QueuePage:
    """/ and /api/queue: any signed-in staff member."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[BaseRoute]:
        return [Route("/", self.page), Route("/api/queue", self.json)]

    def _queue(self, session: Session) -> dict[str, Any]:
        items = queries.active_queue(session, self.console.now(), self.console.settings)
        return {"items": items, "supervisor_alerts": queries.supervisor_alerts(items)}

    async def page(self, request: Request) -> Response:
        staff = await self.console.current(request)
        data = await self.console.db(self._queue)
        return self.console.render(request, "queue.html", staff, **data)

    async def json(self, request: Request) -> Response:
        await self.console.current(request)
        data = await self.console.db(self._queue)
        return JSONResponse(
            {
                "now": self.console.now().isoformat(),
                "items": [item.as_json() for item in data["items"]],
                "supervisor_alerts": data["supervisor_alerts"],
            },
            headers={"Cache-Control": "no-store"},
        )
