"""Staff accounts: argon2 password hashes, roles, lockout after failed logins."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import HotlineSettings
from bot.storage.models import Staff, StaffRole

log = logging.getLogger(__name__)

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Long passphrases beat complexity rules; ten characters is the floor, not the goal.
MIN_PASSWORD = 10
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so a wrong name takes as long as a wrong password.
    return _hasher.hash("teman-migran-no-such-user")


class StaffError(ValueError):
    """A staff account cannot be created or changed as asked; the message says why."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def can_supervise(staff: Staff) -> bool:
    return staff.role in (StaffRole.SUPERVISOR, StaffRole.ADMIN)


def is_admin(staff: Staff) -> bool:
    return staff.role is StaffRole.ADMIN


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise StaffError(
            "the username must be 3-64 characters: lower-case letters, digits, dot, dash or underscore."
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password must be at least {MIN_PASSWORD} characters long.")
    return password


def by_username(session: Session, username: str) -> Staff | None:
    return session.scalars(select(Staff).where(Staff.username == username.strip().lower())).one_or_none()


def create_staff(
    session: Session,
    username: str,
    password: str,
    role: StaffRole,
    *,
    telegram_user_id: int | None = None,
) -> Staff:
    name = check_username(username)
    check_password(password)
    if by_username(session, name) is not None:
        raise StaffError(f"a staff account named {name!r} already exists.")
    if telegram_user_id is not None and session.scalar(
        select(func.count()).select_from(Staff).where(Staff.telegram_user_id == telegram_user_id)
    ):
        raise StaffError(f"Telegram user {telegram_user_id} is already linked to another staff account.")
    staff = Staff(
        username=name, password_hash=hash_password(password), role=role, active=True,
        failed_logins=0, telegram_user_id=telegram_user_id,
    )
    session.add(staff)
    session.flush()
    return staff


@dataclass(frozen=True)
class LoginResult:
    staff: Staff | None
    # ok | unknown_user | inactive | locked | bad_password (only the audit log sees which)
    reason: str
    locked_now: bool = False


def authenticate(
    session: Session, username: str, password: str, now: datetime, hotline: HotlineSettings
) -> LoginResult:
    """Check a login; count failures and lock the account for a while after too many."""
    staff = by_username(session, username) if username else None
    if staff is None:
        _verify(_dummy_hash(), password)
        return LoginResult(None, "unknown_user")
    if not staff.active:
        _verify(_dummy_hash(), password)
        return LoginResult(staff, "inactive")
    if staff.locked_until is not None and staff.locked_until > now:
        # A correct password does not unlock early: the lockout exists to stop guessing.
        _verify(_dummy_hash(), password)
        return LoginResult(staff, "locked")
    if not _verify(staff.password_hash, password):
        staff.failed_logins += 1
        if staff.failed_logins >= hotline.max_failed_logins:
            staff.locked_until = now + timedelta(minutes=hotline.lockout_minutes)
            staff.failed_logins = 0
            log.warning("staff.locked staff=%s minutes=%s", staff.id, hotline.lockout_minutes)
            return LoginResult(staff, "bad_password", locked_now=True)
        return LoginResult(staff, "bad_password")
    staff.failed_logins = 0
    staff.locked_until = None
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    return LoginResult(staff, "ok")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
