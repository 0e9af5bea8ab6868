"""Staff console pages and actions. Each action is one transaction holding its audit entry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import jinja2
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.app import App
from bot.console.auth import (
    ADMIN,
    SUPERVISOR,
    LoginRequired,
    checked_form,
    client_ip,
    csrf_token,
    flash,
    pop_flashes,
    require,
    session_staff_id,
    start_session,
)
from bot.hotline import audit, cases, queue
from bot.hotline import staff as staff_accounts
from bot.storage.db import transaction
from bot.storage.models import AuditEntry, Case, CaseStatus, EscalationStatus, Staff, StaffRole

log = logging.getLogger(__name__)
T = TypeVar("T")
TEMPLATES = Path(__file__).resolve().parent / "templates"
# Pontianak keeps Western Indonesian Time (UTC+7) all year.
WIB = timezone(timedelta(hours=7), "WIB")
ROLE_LABELS = {StaffRole.AGENT: "Petugas", StaffRole.SUPERVISOR: "Supervisor", StaffRole.ADMIN: "Admin"}
CASE_STATUS_LABELS = {
    CaseStatus.NEW: "Baru", CaseStatus.IN_REVIEW: "Sedang ditinjau", CaseStatus.REFERRED: "Dirujuk",
    CaseStatus.CLOSED: "Selesai",
}


def wib(value: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    return value.astimezone(WIB).strftime(fmt) + " WIB" if value else "-"


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
    env.globals.update(
        priority_labels=queue.PRIORITY_LABELS, status_labels=queue.STATUS_LABELS,
        outcomes=queue.OUTCOMES, outcome_labels=queue.OUTCOME_LABELS, reason_label=queue.reason_label,
        channel_labels=queue.CHANNEL_LABELS, role_labels=ROLE_LABELS, action_labels=audit.ACTIONS,
        case_status_labels=CASE_STATUS_LABELS,
    )
    return env


class Console:
    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self.texts = app.services.texts
        self.templates = Jinja2Templates(env=_environment())

    # ------------------------------------------------------------ plumbing
    def now(self) -> datetime:
        return self.app.services.clock()

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction, off the event loop."""

        def run() -> T:
            with transaction(self.app.sessions) as session:
                return work(session)

        return await asyncio.to_thread(run)

    async def current(self, request: Request) -> Staff:
        """The signed-in, still active staff member, or LoginRequired."""
        staff_id = session_staff_id(request, self.settings.hotline.session_hours)
        staff = await self.db(lambda s: s.get(Staff, staff_id))
        if staff is None or not staff.active:
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

    # ------------------------------------------------------------ login
    async def login_page(self, request: Request) -> Response:
        return self.render(request, "login.html", None, next=_safe_next(request.query_params.get("next")), error=None)

    async def login(self, request: Request) -> Response:
        form = await checked_form(request)
        username = str(form.get("username", ""))[:64]
        password = str(form.get("password", ""))[:1024]
        now = self.now()

        def work(session: Session) -> staff_accounts.LoginResult:
            result = staff_accounts.authenticate(session, username, password, now, self.settings.hotline)
            if result.reason == "ok":
                self.audit(session, request, "login", result.staff.id if result.staff else None, target_type=None)
            else:
                self.audit(session, request, "login_failed", result.staff.id if result.staff else None,
                           target_type=None, username=username.strip().lower()[:64], reason=result.reason,
                           locked=result.locked_now or None)
            return result

        result = await self.db(work)
        if result.reason != "ok" or result.staff is None:
            log.warning("console.login_failed reason=%s ip=%s", result.reason, client_ip(request))
            # One message for every failure: the page must not tell a guesser which names exist.
            return self.render(
                request, "login.html", None, status_code=401, next=_safe_next(str(form.get("next", ""))),
                error="Nama pengguna atau kata sandi salah, atau akun sedang dikunci sementara "
                f"setelah {self.settings.hotline.max_failed_logins} kali gagal. Coba lagi nanti.",
            )
        start_session(request, result.staff)
        log.info("console.login staff=%s", result.staff.id)
        return RedirectResponse(_safe_next(str(form.get("next", ""))) or "/console/", 303)

    async def logout(self, request: Request) -> Response:
        await checked_form(request)
        staff_id = request.session.get("sid")
        if isinstance(staff_id, int):
            await self.db(lambda s: self.audit(s, request, "logout", staff_id, target_type=None))
        request.session.clear()
        return RedirectResponse("/console/login", 303)

    # ------------------------------------------------------------ queue
    def _queue(self, session: Session) -> dict[str, Any]:
        items = queue.active_queue(session, self.now(), self.settings)
        return {"items": items, "supervisor_alerts": queue.supervisor_alerts(items)}

    async def queue_page(self, request: Request) -> Response:
        staff = await self.current(request)
        data = await self.db(self._queue)
        return self.render(request, "queue.html", staff, **data)

    async def queue_json(self, request: Request) -> Response:
        await self.current(request)
        data = await self.db(self._queue)
        return JSONResponse(
            {
                "now": self.now().isoformat(),
                "items": [item.as_json() for item in data["items"]],
                "supervisor_alerts": data["supervisor_alerts"],
            },
            headers={"Cache-Control": "no-store"},
        )

    # ------------------------------------------------------------ one escalation
    async def escalation_page(self, request: Request) -> Response:
        staff = await self.current(request)
        escalation_id = int(request.path_params["id"])

        def work(session: Session) -> dict[str, Any]:
            try:
                view = queue.view(session, escalation_id, self.now(), self.settings)
            except LookupError:
                raise HTTPException(404, "Eskalasi tidak ditemukan.") from None
            lines = queue.transcript(session, view.contact.id)
            # Reading a conversation is itself access to personal data: audited every time.
            self.audit(session, request, "view", staff.id, escalation_id)
            return {
                "view": view, "lines": lines, "staff_list": queue.active_staff(session),
                "last_id": lines[-1].id if lines else 0,
                "case_statuses": [(status.value, label) for status, label in CASE_STATUS_LABELS.items()],
            }

        data = await self.db(work)
        escalation = data["view"].escalation
        data["can_act"] = escalation.status is not EscalationStatus.CLOSED and (
            escalation.claimed_by == staff.id or staff_accounts.can_supervise(staff)
        )
        return self.render(request, "escalation.html", staff, **data)

    async def messages_json(self, request: Request) -> Response:
        """New transcript lines for an open escalation page (part of the audited view)."""
        await self.current(request)
        escalation_id = int(request.path_params["id"])
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            after = 0

        def work(session: Session) -> dict[str, Any]:
            try:
                escalation = queue.get(session, escalation_id)
            except LookupError:
                raise HTTPException(404, "Eskalasi tidak ditemukan.") from None
            lines = queue.transcript(session, escalation.contact_id, after_id=after)
            return {
                "lines": [line.as_json() for line in lines],
                "status": escalation.status.value,
                "claimed_by": escalation.claimer.username if escalation.claimer else None,
            }

        return JSONResponse(await self.db(work), headers={"Cache-Control": "no-store"})

    async def _action(
        self, request: Request, action: str, work: Callable[[Session, Staff, Any], str | None],
    ) -> Response:
        """Check CSRF, run `work(session, staff, form)` with its audit entry, flash its message."""
        staff = await self.current(request)
        form = await checked_form(request)
        escalation_id = int(request.path_params["id"])

        def run(session: Session) -> str | None:
            me = session.get(Staff, staff.id)
            assert me is not None
            return work(session, me, form)

        try:
            message = await self.db(run)
        except queue.NotAllowed as exc:
            raise HTTPException(403, str(exc)) from None
        except queue.QueueError as exc:
            flash(request, str(exc), "error")
        except LookupError:
            raise HTTPException(404, "Eskalasi tidak ditemukan.") from None
        else:
            self.app.outbox.wake()
            if message:
                flash(request, message, "ok")
            log.info("console.%s escalation=%s staff=%s", action, escalation_id, staff.id)
        return RedirectResponse(f"/console/e/{escalation_id}", 303)

    def _group_post(self, session: Session, key: str, escalation_id: int, **values: Any) -> None:
        group = self.app.staff_group
        if group is not None:
            escalation = queue.get(session, escalation_id)
            group.post(session, key, escalation_id, reply_to=group.message_id_of(session, escalation), **values)

    async def claim(self, request: Request) -> Response:
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            result = queue.claim(session, escalation_id, me, self.now(), self.settings, self.texts)
            if not result.won:
                raise queue.QueueError(f"Sudah diambil oleh {result.owner or 'petugas lain'}.")
            self.audit(session, request, "claim", me.id, escalation_id)
            self._group_post(session, "staff_group_claimed", escalation_id, staff=me.username)
            return "Eskalasi ini sekarang Anda tangani."

        return await self._action(request, "claim", work)

    async def reply(self, request: Request) -> Response:
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queue.get(session, escalation_id)
            sent = queue.reply(session, escalation, me, str(form.get("text", "")), self.now(),
                               self.settings, self.texts)
            self.audit(session, request, "reply", me.id, escalation_id, mode=sent.mode)
            return {
                "text": "Balasan masuk antrean kirim.",
                "template": "Balasan DITAHAN: template pembuka WhatsApp dikirim dulu; balasan Anda terkirim "
                "setelah orangnya menjawab.",
                "held": "Balasan disimpan tetapi DITAHAN: di luar jendela 24 jam WhatsApp dan tidak ada template.",
            }[sent.mode]

        return await self._action(request, "reply", work)

    async def note(self, request: Request) -> Response:
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queue.get(session, escalation_id)
            queue.add_note(session, escalation, me, str(form.get("text", "")), self.now())
            self.audit(session, request, "note", me.id, escalation_id)
            return "Catatan disimpan."

        return await self._action(request, "note", work)

    async def reassign(self, request: Request) -> Response:
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queue.get(session, escalation_id)
            target_id = str(form.get("staff_id", ""))
            to = session.get(Staff, int(target_id)) if target_id.isdigit() else None
            if to is None:
                raise queue.QueueError("Pilih petugas tujuan.")
            previous = escalation.claimed_by
            queue.reassign(session, escalation, to, me, self.now())
            self.audit(session, request, "reassign", me.id, escalation_id, from_staff=previous, to_staff=to.id)
            self._group_post(session, "staff_group_claimed", escalation_id, staff=to.username)
            return f"Dialihkan ke {to.username}."

        return await self._action(request, "reassign", work)

    async def hand_back(self, request: Request) -> Response:
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queue.get(session, escalation_id)
            queue.hand_back(session, escalation, me, self.now(), self.settings, self.texts)
            self.audit(session, request, "handback", me.id, escalation_id)
            return "Percakapan dikembalikan ke bot. Eskalasi tetap terbuka sampai Anda menutupnya."

        return await self._action(request, "handback", work)

    async def close(self, request: Request) -> Response:
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queue.get(session, escalation_id)
            outcome = str(form.get("outcome", ""))
            queue.close(session, escalation, me, outcome, self.now(), self.settings, self.texts)
            self.audit(session, request, "close", me.id, escalation_id, outcome=outcome)
            self._group_post(session, "staff_group_closed", escalation_id, staff=me.username,
                             outcome=queue.OUTCOME_LABELS[outcome])
            return "Eskalasi ditutup."

        return await self._action(request, "close", work)

    async def case_status(self, request: Request) -> Response:
        """Change the status of the report behind an escalation; bot.cases tells the reporter."""
        escalation_id = int(request.path_params["id"])

        def work(session: Session, me: Staff, form: Any) -> str | None:
            escalation = queue.get(session, escalation_id)
            case = session.get(Case, escalation.case_id) if escalation.case_id else None
            if case is None:
                raise queue.QueueError("Eskalasi ini tidak punya laporan.")
            try:
                status = CaseStatus(str(form.get("status", "")))
            except ValueError:
                raise queue.QueueError("Pilih status laporan.") from None
            if not cases.set_status(session, case, status, me, self.now(), texts=self.texts):
                return "Status laporan tidak berubah."
            # bot.cases writes the audit entry; the console adds where the change came from.
            session.flush()
            entry = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "case_status", AuditEntry.target_id == case.id, AuditEntry.ip.is_(None))
                .order_by(AuditEntry.id.desc())
            ).first()
            if entry is not None:
                entry.ip = client_ip(request)
                entry.detail = {**entry.detail, "escalation": escalation_id}
            return f"Status laporan {case.number} diubah; pelapor diberi tahu."

        return await self._action(request, "case_status", work)

    # ------------------------------------------------------------ supervisors
    async def closed_page(self, request: Request) -> Response:
        staff = await self.current(request)
        require(staff, SUPERVISOR)
        since, until = _date_range(request)
        rows = await self.db(lambda s: list(queue.closed_rows(s, since, until)))
        return self.render(
            request, "closed.html", staff, rows=rows, columns=queue.EXPORT_COLUMNS,
            date_from=since.astimezone(WIB).date().isoformat(),
            date_to=(until - timedelta(days=1)).astimezone(WIB).date().isoformat(),
        )

    async def export_csv(self, request: Request) -> Response:
        staff = await self.current(request)
        require(staff, SUPERVISOR)
        since, until = _date_range(request)

        def work(session: Session) -> tuple[str, int]:
            body, count = queue.export_csv(queue.closed_rows(session, since, until))
            self.audit(session, request, "export", staff.id, target_type=None, rows=count,
                       since=since.isoformat(), until=until.isoformat())
            return body, count

        body, _ = await self.db(work)
        name = f"eskalasi_{since.astimezone(WIB):%Y%m%d}_{(until - timedelta(days=1)).astimezone(WIB):%Y%m%d}.csv"
        return Response(
            body, media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    async def audit_page(self, request: Request) -> Response:
        staff = await self.current(request)
        require(staff, SUPERVISOR)
        before = request.query_params.get("before")
        action = request.query_params.get("action") or None
        if action not in audit.ACTIONS:
            action = None

        def work(session: Session) -> list[audit.AuditRow]:
            self.audit(session, request, "view_audit", staff.id, target_type=None)
            return audit.recent(session, before_id=int(before) if before and before.isdigit() else None,
                                action=action)

        rows = await self.db(work)
        return self.render(request, "audit.html", staff, rows=rows, action=action or "")

    # ------------------------------------------------------------ admin
    async def staff_page(self, request: Request) -> Response:
        staff = await self.current(request)
        require(staff, ADMIN, "Halaman ini hanya untuk admin.")
        members = await self.db(lambda s: list(s.scalars(select(Staff).order_by(Staff.username))))
        return self.render(request, "staff.html", staff, members=members, now=self.now(),
                           min_password=staff_accounts.MIN_PASSWORD)

    async def staff_create(self, request: Request) -> Response:
        staff = await self.current(request)
        require(staff, ADMIN, "Halaman ini hanya untuk admin.")
        form = await checked_form(request)

        def work(session: Session) -> str:
            telegram = str(form.get("telegram_user_id", "")).strip()
            try:
                role = StaffRole(str(form.get("role", "")))
                member = staff_accounts.create_staff(
                    session, str(form.get("username", "")), str(form.get("password", "")), role,
                    telegram_user_id=int(telegram) if telegram.lstrip("-").isdigit() else None,
                )
            except ValueError as exc:
                raise queue.QueueError(_staff_error(exc)) from None
            self.audit(session, request, "staff_create", staff.id, member.id, target_type="staff", role=role.value)
            return f"Akun {member.username} dibuat."

        await self._admin_change(request, work)
        return RedirectResponse("/console/admin/staff", 303)

    async def staff_update(self, request: Request) -> Response:
        staff = await self.current(request)
        require(staff, ADMIN, "Halaman ini hanya untuk admin.")
        form = await checked_form(request)
        member_id = int(request.path_params["id"])

        def work(session: Session) -> str:
            member = session.get(Staff, member_id)
            if member is None:
                raise HTTPException(404, "Akun tidak ditemukan.")
            changes: dict[str, Any] = {}
            role = str(form.get("role", member.role.value))
            active = form.get("active") == "1"
            if member.id == staff.id and (role != member.role.value or not active):
                raise queue.QueueError("Anda tidak bisa menurunkan peran atau menonaktifkan akun Anda sendiri.")
            if role != member.role.value:
                member.role = StaffRole(role)
                changes["role"] = role
            if active != member.active:
                member.active = active
                changes["active"] = active
            telegram = str(form.get("telegram_user_id", "")).strip()
            telegram_id = int(telegram) if telegram.lstrip("-").isdigit() else None
            if telegram_id != member.telegram_user_id:
                member.telegram_user_id = telegram_id
                changes["telegram_user_id"] = telegram_id
            if form.get("unlock") == "1":
                member.locked_until = None
                member.failed_logins = 0
                changes["unlocked"] = True
            password = str(form.get("password", ""))
            if password:
                try:
                    member.password_hash = staff_accounts.hash_password(staff_accounts.check_password(password))
                except ValueError as exc:
                    raise queue.QueueError(_staff_error(exc)) from None
                changes["password_reset"] = True
            session.flush()
            self.audit(session, request, "staff_update", staff.id, member.id, target_type="staff", **changes)
            return f"Akun {member.username} diperbarui."

        await self._admin_change(request, work)
        return RedirectResponse("/console/admin/staff", 303)

    async def _admin_change(self, request: Request, work: Callable[[Session], str]) -> None:
        try:
            flash(request, await self.db(work), "ok")
        except queue.QueueError as exc:
            flash(request, str(exc), "error")
        except IntegrityError:  # e.g. a Telegram user id another account already uses
            flash(request, "Perubahan ditolak: nama pengguna atau Telegram user id sudah dipakai akun lain.", "error")


def _staff_error(exc: ValueError) -> str:
    text = str(exc)
    if "username" in text:
        return "Nama pengguna harus 3-64 karakter: huruf kecil, angka, titik, minus atau garis bawah."
    if "password" in text:
        return f"Kata sandi minimal {staff_accounts.MIN_PASSWORD} karakter."
    if "already exists" in text:
        return "Nama pengguna itu sudah dipakai."
    if "Telegram" in text:
        return "Telegram user id itu sudah terhubung ke akun lain."
    return "Data akun tidak valid."


def _safe_next(target: str | None) -> str:
    """Only paths inside the console: a login link must not redirect anywhere else."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""


def login_redirect(request: Request) -> Response:
    if "/api/" in request.url.path:
        return JSONResponse({"error": "login required"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/login?next={quote(target)}", 303)


def _date_range(request: Request) -> tuple[datetime, datetime]:
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

