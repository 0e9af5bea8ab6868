"""Staff accounts: argon2 password hashes, roles, sessions that can be ended, throttled sign-ins.

Failed sign-ins are rows in the database (login_failures), so every replica counts the same ones.
A source address that keeps failing is refused for a while whatever the account, and an account
is closed only to the sources that failed against it: five wrong passwords from anywhere no longer
lock its owner out. Only when many sources fail against one account (a distributed guess) is it
closed to everyone until the window passes or an admin unlocks it.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.config import HotlineSettings
from bot.storage.models import LoginFailure, Staff, StaffRole

log = logging.getLogger(__name__)

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Long passphrases beat complexity rules; ten characters is the floor, not the goal.
MIN_PASSWORD = 10
# One address may fail this many times the per-account limit within the window, over all accounts
# (an office behind one NAT address mistypes too; a guesser trying many names does not get far).
SOURCE_LIMIT_FACTOR = 2
# Failures from this many times the per-account limit, from any sources, close the account to everyone.
ACCOUNT_LIMIT_FACTOR = 4
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
        failed_logins=0, telegram_user_id=telegram_user_id, session_epoch=0,
    )
    session.add(staff)
    session.flush()
    return staff


@dataclass(frozen=True)
class LoginResult:
    staff: Staff | None
    # ok | unknown_user | inactive | locked | source_locked | bad_password (only the audit log sees which)
    reason: str
    locked_now: bool = False


def authenticate(
    session: Session, username: str, password: str, now: datetime, hotline: HotlineSettings,
    source: str | None = None,
) -> LoginResult:
    """Check a sign-in from `source` (the client address), throttled per source and per account.

    Within the last `lockout_minutes`: a source with `max_failed_logins` failures against an account
    is refused for that account; a source with twice that over all accounts is refused for every
    account; an account with four times that from all sources together is refused to everyone. The
    right password from a source that did not fail still gets in while an account is locked for others.
    """
    source = (source or "unknown")[:64]
    since = now - timedelta(minutes=hotline.lockout_minutes)
    session.execute(delete(LoginFailure).where(LoginFailure.at < since))  # only the window matters
    staff = by_username(session, username) if username else None
    if _failures(session, since, source=source) >= hotline.max_failed_logins * SOURCE_LIMIT_FACTOR:
        _verify(_dummy_hash(), password)
        log.warning("staff.login_throttled source=%s", source)
        return LoginResult(staff, "source_locked")
    if staff is None or not staff.active:
        _verify(_dummy_hash(), password)
        _record_failure(session, now, source, staff)
        return LoginResult(staff, "unknown_user" if staff is None else "inactive")
    if _locked_for(session, since, source, staff, hotline):
        # A correct password does not unlock early: the lockout exists to stop guessing.
        _verify(_dummy_hash(), password)
        return LoginResult(staff, "locked")
    if not _verify(staff.password_hash, password):
        _record_failure(session, now, source, staff)
        staff.failed_logins += 1
        if _locked_for(session, since, source, staff, hotline):
            staff.locked_until = now + timedelta(minutes=hotline.lockout_minutes)
            staff.failed_logins = 0
            log.warning("staff.locked staff=%s source=%s minutes=%s", staff.id, source, hotline.lockout_minutes)
            return LoginResult(staff, "bad_password", locked_now=True)
        return LoginResult(staff, "bad_password")
    if staff.locked_until is not None and staff.locked_until > now:
        # Locked for the sources that failed, not for this one: the lock stays for them.
        log.warning("staff.login_during_lockout staff=%s source=%s", staff.id, source)
    else:
        staff.failed_logins = 0
        staff.locked_until = None
    # This source's earlier typos are forgiven once it knows the password.
    session.execute(delete(LoginFailure).where(LoginFailure.staff_id == staff.id, LoginFailure.source == source))
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    return LoginResult(staff, "ok")


def unlock(session: Session, staff: Staff) -> None:
    """An admin lifts the lockout: every source may try this account again."""
    staff.locked_until = None
    staff.failed_logins = 0
    session.execute(delete(LoginFailure).where(LoginFailure.staff_id == staff.id))


def end_sessions(staff: Staff) -> None:
    """Every session this account holds ends at its next request (bot.console checks the epoch)."""
    staff.session_epoch = (staff.session_epoch or 0) + 1


def _locked_for(session: Session, since: datetime, source: str, staff: Staff, hotline: HotlineSettings) -> bool:
    """This source failed too often against this account, or every source together did."""
    return (
        _failures(session, since, source=source, staff=staff) >= hotline.max_failed_logins
        or _failures(session, since, staff=staff) >= hotline.max_failed_logins * ACCOUNT_LIMIT_FACTOR
    )


def _failures(session: Session, since: datetime, *, source: str | None = None, staff: Staff | None = None) -> int:
    query = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
    if source is not None:
        query = query.where(LoginFailure.source == source)
    if staff is not None:
        query = query.where(LoginFailure.staff_id == staff.id)
    return int(session.scalar(query) or 0)


def _record_failure(session: Session, now: datetime, source: str, staff: Staff | None) -> None:
    session.add(LoginFailure(at=now, source=source, staff_id=staff.id if staff else None))
    session.flush()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
