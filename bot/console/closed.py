"""Closed escalations (Ditutup & ekspor) for a date range, and their CSV export: supervisors only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.console.auth import SUPERVISOR, require
from bot.console.common import WIB, Console
from bot.hotline import export


def date_range(request: Request) -> tuple[datetime, datetime]:
    """[from, to] as whole days in WIB; default the last 30 days."""
    today = datetime.now(WIB).date()

    def parse(name: str, default: date) -> date:
        try:
            return date.fromisoformat(request.query_params.get(name, ""))
        except ValueError:
            return default

    first = parse("from", today - timedelta(days=30))
    last = parse("to", today)
    if last < first:
        first, last = last, first
    since = datetime.combine(first, time(0), WIB).astimezone(UTC)
    until = datetime.combine(last + timedelta(days=1), time(0), WIB).astimezone(UTC)
    return since, until


class ClosedPage:
    """/closed and /export.csv; an export is audited with its row count and range."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[BaseRoute]:
        return [Route("/closed", self.page), Route("/export.csv", self.export_csv)]

    async def page(self, request: Request) -> Response:
        staff = await self.console.current(request)
        require(staff, SUPERVISOR)
        since, until = date_range(request)
        rows = await self.console.db(lambda s: list(export.closed_rows(s, since, until)))
        return self.console.render(
            request, "closed.html", staff, rows=rows, columns=export.EXPORT_COLUMNS,
            date_from=since.astimezone(WIB).date().isoformat(),
            date_to=(until - timedelta(days=1)).astimezone(WIB).date().isoformat(),
        )

    async def export_csv(self, request: Request) -> Response:
        staff = await self.console.current(request)
        require(staff, SUPERVISOR)
        since, until = date_range(request)

        def work(session: Session) -> tuple[str, int]:
            body, count = export.export_csv(export.closed_rows(session, since, until))
            self.console.audit(session, request, "export", staff.id, target_type=None, rows=count,
                               since=since.isoformat(), until=until.isoformat())
            return body, count

        body, _ = await self.console.db(work)
        name = f"eskalasi_{since.astimezone(WIB):%Y%m%d}_{(until - timedelta(days=1)).astimezone(WIB):%Y%m%d}.csv"
        return Response(
            body, media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )
