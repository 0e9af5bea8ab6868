"""The console's sign-in and sign-out pages, and where a visitor who is not signed in is sent."""

from __future__ import annotations

import logging
from urllib.parse import quote

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.console.auth import checked_form, client_ip, start_session
from bot.console.common import Console
from bot.hotline import staff as staff_accounts
from bot.storage.models import Staff

log = logging.getLogger(__name__)


def safe_next(target: str | None) -> str:
    """Only paths inside the console: a login link must not redirect anywhere else."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""


def login_redirect(request: Request) -> Response:
    if "/api/" in request.url.path:
        return JSONResponse({"error": "login required"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/login?next={quote(target)}", 303)


class LoginPages:
    """/login (GET, POST) and /logout: every sign-in, failed or not, and every sign-out is audited."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
        ]

    async def login_page(self, request: Request) -> Response:
        return self.console.render(request, "login.html", None, next=safe_next(request.query_params.get("next")),
                                   error=None)

    async def login(self, request: Request) -> Response:
        console = self.console
        form = await checked_form(request)
        username = str(form.get("username", ""))[:64]
        password = str(form.get("password", ""))[:1024]
        now = console.now()
        hotline = console.settings.hotline

        def work(session: Session) -> staff_accounts.LoginResult:
            result = staff_accounts.authenticate(session, username, password, now, hotline, client_ip(request))
            if result.reason == "ok":
                console.audit(session, request, "login", result.staff.id if result.staff else None, target_type=None)
            else:
                console.audit(session, request, "login_failed", result.staff.id if result.staff else None,
                              target_type=None, username=username.strip().lower()[:64], reason=result.reason,
                              locked=result.locked_now or None)
            return result

        result = await console.db(work)
        if result.reason != "ok" or result.staff is None:
            log.warning("console.login_failed reason=%s ip=%s", result.reason, client_ip(request))
            # One message for every failure: the page must not tell a guesser which names exist.
            return console.render(
                request, "login.html", None, status_code=401, next=safe_next(str(form.get("next", ""))),
                error="Nama pengguna atau kata sandi salah, atau akun sedang dikunci sementara "
                f"setelah {hotline.max_failed_logins} kali gagal. Coba lagi nanti.",
            )
        start_session(request, result.staff)
        log.info("console.login staff=%s", result.staff.id)
        return RedirectResponse(safe_next(str(form.get("next", ""))) or "/console/", 303)

    async def logout(self, request: Request) -> Response:
        await checked_form(request)
        staff_id = request.session.get("sid")
        if isinstance(staff_id, int):

            def work(session: Session) -> None:
                staff = session.get(Staff, staff_id)
                if staff is not None:
                    # A copy of this cookie (another tab, a stolen one) must not outlive the sign-out.
                    staff_accounts.end_sessions(staff)
                self.console.audit(session, request, "logout", staff_id, target_type=None)

            await self.console.db(work)
        request.session.clear()
        return RedirectResponse("/console/login", 303)
