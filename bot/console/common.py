"""What every console page shares: templates, the signed-in staff member, one transaction per request, audit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.app import App
from bot.console.auth import (
    LoginRequired,
    checked_form,
    client_ip,
    csrf_token,
    flash,
    pop_flashes,
    session_is_current,
    session_staff_id,
)
from bot.hotline import audit, labels
from bot.hotline import staff as staff_accounts
from bot.storage.db import transaction
from bot.storage.models import Staff

T = TypeVar("T")
log = logging.getLogger(__name__)
# A staff action's work: (session, the staff member in that session, the form) -> what to flash, if anything.
Action = Callable[[Session, Staff, Any], str | None]
TEMPLATES = Path(__file__).resolve().parent / "templates"
# Pontianak keeps Western Indonesian Time (UTC+7) all year.
WIB = timezone(timedelta(hours=7), "WIB")


def wib(value: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    return value.astimezone(WIB).strftime(fmt) + " WIB" if value else "-"


def wib_iso(value: str) -> str:
    """An ISO timestamp from an export row, shown like every other console time."""
    try:
        return wib(datetime.fromisoformat(value))
    except ValueError:
        return value or "-"


def waited(seconds: int) -> str:
    minutes = seconds // 60
    if minutes < 1:
        return f"{seconds} dtk"
    if minutes < 60:
        return f"{minutes} mnt"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} jam {minutes} mnt"
    return f"{hours // 24} hari {hours % 24} jam"


def _environment() -> jinja2.Environment:
    # Autoescape for every template, whatever its extension: message text is never trusted markup.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["wib"] = wib
    env.filters["waited"] = waited
    env.filters["wib_iso"] = wib_iso
    env.globals.update(
        priority_labels=labels.PRIORITY_LABELS, status_labels=labels.STATUS_LABELS,
        outcomes=labels.OUTCOMES, outcome_labels=labels.OUTCOME_LABELS, reason_label=labels.reason_label,
        channel_labels=labels.CHANNEL_LABELS, role_labels=labels.ROLE_LABELS, action_labels=audit.ACTIONS,
        case_status_labels=labels.CASE_STATUS_LABELS,
        priority_names={p.value: label for p, label in labels.PRIORITY_LABELS.items()},
    )
    return env


class Console:
    """The plumbing the pages share; built once per console app."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self.texts = app.services.texts
        self.window_open = app.window_open
        self.templates = Jinja2Templates(env=_environment())

    def now(self) -> datetime:
        return self.app.services.clock()

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction, off the event loop."""

        def run() -> T:
            with transaction(self.app.sessions) as session:
                return work(session)

        return await asyncio.to_thread(run)

    async def current(self, request: Request) -> Staff:
        """The signed-in, still active staff member whose session was not ended, or LoginRequired."""
        staff_id = session_staff_id(request, self.settings.hotline.session_hours)
        staff = await self.db(lambda s: s.get(Staff, staff_id))
        if staff is None or not staff.active or not session_is_current(request, staff):
            request.session.clear()
            raise LoginRequired()
        return staff

    def render(self, request: Request, name: str, staff: Staff | None, status_code: int = 200,
               **context: Any) -> Response:
        context.update(
            staff=staff, csrf=csrf_token(request), flashes=pop_flashes(request),
            is_supervisor=staff is not None and staff_accounts.can_supervise(staff),
            is_admin=staff is not None and staff_accounts.is_admin(staff),
            refresh_s=self.settings.hotline.console_refresh_seconds,
        )
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)

    def audit(self, session: Session, request: Request, action: str, staff_id: int | None,
              target_id: int | None = None, target_type: str | None = "escalation", **detail: Any) -> None:
        audit.record(session, action, staff_id=staff_id, now=self.now(), target_type=target_type if target_id else None,
                     target_id=target_id, ip=client_ip(request), **detail)

    async def act(
        self,
        request: Request,
        work: Action,
        *,
        back: Callable[[], str],
        not_allowed: type[Exception],
        refused: tuple[type[Exception], ...],
        not_found: str,
        logged: str | None = None,
    ) -> Response:
        """Check CSRF, run `work` in one transaction (its audit entry with it), flash its message, go `back()`.

        `back` is called after the work (it may name what the work found) and keeps the page position
        (an anchor). `not_allowed` is a 403, `refused` a flashed error, LookupError a 404 saying `not_found`;
        `logged` ("case_edit case=12") is logged with the staff id when the work succeeded.
        """
        staff = await self.current(request)
        form = await checked_form(request)

        def run(session: Session) -> str | None:
            me = session.get(Staff, staff.id)
            assert me is not None
            return work(session, me, form)

        try:
            message = await self.db(run)
        except not_allowed as exc:
            raise HTTPException(403, str(exc)) from None
        except refused as exc:
            flash(request, str(exc), "error")
        except LookupError:
            raise HTTPException(404, not_found) from None
        else:
            self.app.outbox.wake()
            if message:
                flash(request, message, "ok")
            if logged:
                log.info("console.%s staff=%s", logged, staff.id)
        return RedirectResponse(back(), 303)
