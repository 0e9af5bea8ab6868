"""Staff accounts (Petugas): create, change role, deactivate, unlock, reset a password; admins only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.console.auth import ADMIN, checked_form, flash, require, start_session
from bot.console.common import Console
from bot.hotline import staff as staff_accounts
from bot.storage.models import Staff, StaffRole

ADMIN_ONLY = "Halaman ini hanya untuk admin."


class Refused(Exception):
    """The change cannot be made; the message is flashed to the admin."""


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


# The column is a BIGINT; Telegram's ids (users and groups) stay far below this.
MAX_TELEGRAM_ID = 2**63 - 1


def _role(form: Any) -> StaffRole:
    """The role the form names; anything else is a bad request (a hand-made form), never a 500."""
    value = str(form.get("role", ""))
    try:
        return StaffRole(value)
    except ValueError:
        raise HTTPException(
            400, f"Peran tidak dikenal: {value[:32]!r}. Pilih {', '.join(r.value for r in StaffRole)}."
        ) from None


def _telegram_id(form: Any) -> int | None:
    telegram = str(form.get("telegram_user_id", "")).strip()
    if not telegram:
        return None
    if not telegram.lstrip("-").isdigit() or abs(int(telegram)) > MAX_TELEGRAM_ID:
        raise HTTPException(400, "Telegram user id harus berupa angka id Telegram (mis. 123456789), atau kosong.")
    return int(telegram)


class StaffAccountsPage:
    """/admin/staff (GET, POST) and /admin/staff/{id}; every change is audited."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/admin/staff", self.page, methods=["GET"]),
            Route("/admin/staff", self.create, methods=["POST"]),
            Route("/admin/staff/{id:int}", self.update, methods=["POST"]),
        ]

    async def page(self, request: Request) -> Response:
        staff = await self.console.current(request)
        require(staff, ADMIN, ADMIN_ONLY)
        members = await self.console.db(lambda s: list(s.scalars(select(Staff).order_by(Staff.username))))
        return self.console.render(request, "staff.html", staff, members=members, now=self.console.now(),
                                   min_password=staff_accounts.MIN_PASSWORD)

    async def create(self, request: Request) -> Response:
        staff = await self.console.current(request)
        require(staff, ADMIN, ADMIN_ONLY)
        form = await checked_form(request)
        role, telegram_id = _role(form), _telegram_id(form)

        def work(session: Session) -> str:
            try:
                member = staff_accounts.create_staff(
                    session, str(form.get("username", "")), str(form.get("password", "")), role,
                    telegram_user_id=telegram_id,
                )
            except ValueError as exc:
                raise Refused(_staff_error(exc)) from None
            self.console.audit(session, request, "staff_create", staff.id, member.id, target_type="staff",
                               role=role.value)
            return f"Akun {member.username} dibuat."

        flash(request, *await self._change(request, work))
        return RedirectResponse("/console/admin/staff", 303)

    async def update(self, request: Request) -> Response:
        staff = await self.console.current(request)
        require(staff, ADMIN, ADMIN_ONLY)
        form = await checked_form(request)
        member_id = int(request.path_params["id"])
        asked_role = _role(form) if "role" in form else None
        telegram_id = _telegram_id(form)
        renewed: list[Staff] = []  # the admin's own account, when its sessions end too

        def work(session: Session) -> str:
            member = session.get(Staff, member_id)
            if member is None:
                raise HTTPException(404, "Akun tidak ditemukan.")
            changes: dict[str, Any] = {}
            role = asked_role or member.role
            active = form.get("active") == "1"
            if member.id == staff.id and (role is not member.role or not active):
                raise Refused("Anda tidak bisa menurunkan peran atau menonaktifkan akun Anda sendiri.")
            if role is not member.role:
                member.role = role
                changes["role"] = role.value
            if active != member.active:
                member.active = active
                changes["active"] = active
            if telegram_id != member.telegram_user_id:
                member.telegram_user_id = telegram_id
                changes["telegram_user_id"] = telegram_id
            if form.get("unlock") == "1":
                staff_accounts.unlock(session, member)
                changes["unlocked"] = True
            password = str(form.get("password", ""))
            if password:
                try:
                    member.password_hash = staff_accounts.hash_password(staff_accounts.check_password(password))
                except ValueError as exc:
                    raise Refused(_staff_error(exc)) from None
                changes["password_reset"] = True
            if changes.keys() & {"role", "active", "password_reset"}:
                # Whoever holds this account's cookies must sign in again, with the new password or role.
                staff_accounts.end_sessions(member)
                changes["sessions_ended"] = True
                if member.id == staff.id:
                    renewed.append(member)
            session.flush()
            self.console.audit(session, request, "staff_update", staff.id, member.id, target_type="staff", **changes)
            return f"Akun {member.username} diperbarui."

        text, kind = await self._change(request, work)
        if renewed:
            # An admin who reset their own password stays signed in here (only here).
            start_session(request, renewed[0])
        flash(request, text, kind)
        return RedirectResponse("/console/admin/staff", 303)

    async def _change(self, request: Request, work: Callable[[Session], str]) -> tuple[str, str]:
        """Run `work`; (message, kind) for the flash."""
        try:
            return await self.console.db(work), "ok"
        except Refused as exc:
            return str(exc), "error"
        except IntegrityError:  # e.g. a Telegram user id another account already uses
            return "Perubahan ditolak: nama pengguna atau Telegram user id sudah dipakai akun lain.", "error"
