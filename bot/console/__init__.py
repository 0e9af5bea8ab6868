"""The staff console at /console/: one Starlette sub-app mounted into the bot's ASGI app.

This module only assembles it: one module per page (login, queue, escalation, closed, audit_log,
staff_accounts, cases, referrals, saved_replies, dashboard, campaigns) contributes its routes; common holds what the pages share, auth the sessions, CSRF
and roles, headers the security headers. The pages call bot.hotline for queue, cases, staff and audit,
and bot.campaigns for campaigns (previewed with bot.answers.layout, the WhatsApp sender's own layout).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import App
from bot.console.audit_log import AuditLogPage
from bot.console.auth import SESSION_COOKIE, LoginRequired
from bot.console.campaigns import CampaignsPage
from bot.console.cases import CasesPage
from bot.console.closed import ClosedPage
from bot.console.common import Console
from bot.console.dashboard import DashboardPage
from bot.console.escalation import EscalationPage
from bot.console.headers import SecurityHeaders
from bot.console.login import LoginPages, login_redirect
from bot.console.queue import QueuePage
from bot.console.referrals import ReferralsPage
from bot.console.saved_replies import SavedRepliesPage
from bot.console.staff_accounts import StaffAccountsPage

STATIC = Path(__file__).resolve().parent / "static"
PAGES = (
    QueuePage, LoginPages, EscalationPage, ClosedPage, AuditLogPage, StaffAccountsPage, CasesPage, ReferralsPage,
    SavedRepliesPage, DashboardPage, CampaignsPage,
)


def console_app(app: App) -> Starlette:
    console = Console(app)

    async def on_login_required(request: Request, exc: Exception) -> Response:
        return login_redirect(request)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if "/api/" in request.url.path:
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        staff = None
        try:
            staff = await console.current(request)
        except LoginRequired:
            pass
        return console.render(request, "error.html", staff, status_code=exc.status_code,
                              code=exc.status_code, detail=exc.detail)

    routes: list[BaseRoute] = [route for page in PAGES for route in page(console).routes()]
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    settings = app.settings
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=int(settings.hotline.session_hours * 3600),
                path="/console",
                same_site="strict",
                # Development runs on plain http://localhost; everywhere else the cookie needs HTTPS.
                https_only=not settings.is_development,
            ),
        ],
        exception_handlers={LoginRequired: on_login_required, HTTPException: on_http_error},
    )


def routes(app: App) -> list[BaseRoute]:
    """The console's routes for bot.web.app.create_web_app (CONTRACTS §4: /console/)."""

    async def to_console(request: Request) -> Response:
        return RedirectResponse("/console/", 307)

    return [Route("/console", to_console), Mount("/console", app=console_app(app))]
