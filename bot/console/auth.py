"""Console sessions, CSRF tokens and role checks."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from bot.hotline.staff import can_supervise, is_admin
from bot.storage.models import Staff

SESSION_COOKIE = "tm_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """No valid staff session: the console answers with the login page."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (also for the anonymous login form)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token (field or header) matches the session's; else 403."""
    form = await request.form()
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, str(expected)):
        raise HTTPException(403, "Token formulir tidak valid. Muat ulang halaman lalu coba lagi.")
    return form


def start_session(request: Request, staff: Staff) -> None:
    """A fresh session on login (never reuse the anonymous one: session fixation)."""
    request.session.clear()
    request.session.update({
        "sid": staff.id, "ep": staff.session_epoch, "at": int(time.time()), "csrf": secrets.token_urlsafe(32),
    })


def session_staff_id(request: Request, max_hours: float) -> int:
    staff_id = request.session.get("sid")
    started = request.session.get("at")
    if not isinstance(staff_id, int) or not isinstance(started, int):
        raise LoginRequired()
    if time.time() - started > max_hours * 3600:
        request.session.clear()
        raise LoginRequired()
    return staff_id


def session_is_current(request: Request, staff: Staff) -> bool:
    """False once the account's sessions were ended after this one began (bot.hotline.staff.end_sessions)."""
    return request.session.get("ep") == staff.session_epoch


def flash(request: Request, text: str, kind: str = "info") -> None:
    messages = list(request.session.get("flash", []))
    messages.append([kind, text])
    request.session["flash"] = messages[-5:]


def pop_flashes(request: Request) -> list[list[str]]:
    return list(request.session.pop("flash", []))


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


Check = Callable[[Staff], bool]


def require(staff: Staff, check: Check, message: str = "Halaman ini hanya untuk supervisor atau admin.") -> None:
    if not check(staff):
        raise HTTPException(403, message)


SUPERVISOR: Check = can_supervise
ADMIN: Check = is_admin
