"""The staff console at /console/: one Starlette sub-app mounted into the bot's ASGI app."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import App
from bot.console.auth import SESSION_COOKIE, LoginRequired
from bot.console.views import Console, login_redirect

STATIC = Path(__file__).resolve().parent / "static"
# No inline script or style: a message that slipped past escaping still could not run.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class SecurityHeaders:
    """Strict headers on every console response; pages holding personal data are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if b"cache-control" not in present and not scope["path"].endswith((".css", ".js")):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def console_app(app: App) -> Starlette:
    console = Console(app)

    async def on_login_required(request: Request, exc: Exception) -> Response:
        return login_redirect(request)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if "/api/" in request.url.path:
            from starlette.responses import JSONResponse

            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        staff = None
        try:
            staff = await console.current(request)
        except LoginRequired:
            pass
        return console.render(request, "error.html", staff, status_code=exc.status_code,
                              code=exc.status_code, detail=exc.detail)

    routes: list[BaseRoute] = [
        Route("/", console.queue_page),
        Route("/login", console.login_page, methods=["GET"]),
        Route("/login", console.login, methods=["POST"]),
        Route("/logout", console.logout, methods=["POST"]),
        Route("/api/queue", console.queue_json),
        Route("/api/e/{id:int}/messages", console.messages_json),
        Route("/e/{id:int}", console.escalation_page),
        Route("/e/{id:int}/claim", console.claim, methods=["POST"]),
        Route("/e/{id:int}/reply", console.reply, methods=["POST"]),
        Route("/e/{id:int}/note", console.note, methods=["POST"]),
        Route("/e/{id:int}/reassign", console.reassign, methods=["POST"]),
        Route("/e/{id:int}/handback", console.hand_back, methods=["POST"]),
        Route("/e/{id:int}/close", console.close, methods=["POST"]),
        Route("/e/{id:int}/case-status", console.case_status, methods=["POST"]),
        Route("/closed", console.closed_page),
        Route("/export.csv", console.export_csv),
        Route("/audit", console.audit_page),
        Route("/admin/staff", console.staff_page, methods=["GET"]),
        Route("/admin/staff", console.staff_create, methods=["POST"]),
        Route("/admin/staff/{id:int}", console.staff_update, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
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
