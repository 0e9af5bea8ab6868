"""Reports as cases: a readable number, the reporter's own view of the status, and status changes.

Repository functions never commit. A case belongs to the channel identity that reported it
(`contact_id`); only that identity may see its status, and only it is told when staff change it.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answers.texts import Texts
from bot.chat.inbound import Reply
from bot.hotline import audit, case_fields
from bot.outbox.enqueue import enqueue
from bot.storage.models import Case, CaseKind, CaseStatus, Contact, Priority, Staff

log = logging.getLogger(__name__)

# West Kalimantan is on WIB (UTC+7, no daylight saving): the year in a case number and the dates
# people see are local.
WIB = timezone(timedelta(hours=7), "WIB")
NUMBER = re.compile(r"^KB-(\d{4})-(\d{6,})$")


def local_date(moment: datetime) -> str:
    return moment.astimezone(WIB).strftime("%d-%m-%Y")


def format_number(year: int, sequence: int) -> str:
    """KB-2026-000123: the year the report was made and a number unique across all years."""
    return f"KB-{year}-{sequence:06d}"


def create_case(
    session: Session,
    *,
    kind: CaseKind,
    contact: Contact,
    details: dict[str, Any],
    now: datetime,
    anonymous: bool = False,
    urgent: bool = False,
    consent_at: datetime | None = None,
) -> Case:
    """Store a report and give it its number.

    The number comes from the row id, which the database hands out without ever repeating, so two
    reports made at the same moment (two workers, PostgreSQL) can never share a number.
    """
    case = Case(
        number=f"PENDING-{uuid.uuid4().hex[:16]}",
        kind=kind,
        contact_id=contact.id,
        anonymous=anonymous,
        status=CaseStatus.NEW,
        urgent=urgent,
        priority=Priority.URGENT if urgent else Priority.HIGH,
        details=details,
        consent_at=consent_at,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    case.number = format_number(now.astimezone(WIB).year, case.id)
    case_fields.derive(case)
    session.flush()
    log.info("case.created number=%s kind=%s urgent=%s anonymous=%s", case.number, kind.value, urgent, anonymous)
    return case


def find_own(session: Session, contact: Contact, number: str) -> Case | None:
    """The case with this number if `contact` reported it; None for a case that is not theirs."""
    return session.scalars(
        select(Case).where(Case.number == number.strip().upper(), Case.contact_id == contact.id)
    ).one_or_none()


def own_cases(session: Session, contact: Contact, limit: int = 5) -> list[Case]:
    return list(
        session.scalars(
            select(Case).where(Case.contact_id == contact.id).order_by(Case.id.desc()).limit(limit)
        )
    )


def status_label(texts: Texts, status: CaseStatus, lang: str) -> str:
    return texts.get(f"case_status.{status.value}", lang)


def set_status(
    session: Session,
    case: Case,
    status: CaseStatus,
    staff: Staff | None,
    now: datetime,
    *,
    texts: Texts,
    ip: str | None = None,
    notify: bool = True,
    **audit_detail: Any,
) -> bool:
    """Change a case's status: record it, audit it, and tell the reporter in their language.

    Returns False (and does nothing) when the case already has that status. `ip` and `audit_detail`
    (e.g. the escalation it was changed from) go into the audit entry. `notify=False`: the caller
    tells the reporter itself (a referral says which kind of agency has the case).
    """
    previous = case.status
    if previous is status:
        return False
    case.status = status
    case.updated_at = now
    case.closed_at = now if status is CaseStatus.CLOSED else None
    history = list((case.details or {}).get("status_history", []))
    history.append({"from": previous.value, "to": status.value, "at": now.isoformat(),
                    "staff_id": staff.id if staff else None})
    case.details = {**(case.details or {}), "status_history": history}
    audit.record(
        session, "case_status", staff_id=staff.id if staff else None, now=now, target_type="case",
        target_id=case.id, ip=ip, number=case.number, before=previous.value, after=status.value,
        **audit_detail,
    )
    contact = session.get(Contact, case.contact_id) if case.contact_id is not None and notify else None
    if contact is not None:
        lang = contact.language or "id"
        text = texts.get(
            "case_status_changed", lang, number=case.number, status=status_label(texts, status, lang)
        )
        # No buttons: this arrives outside a conversation turn, so a typed "1" could not mean it.
        enqueue(session, contact, Reply(text))
    log.info(
        "case.status number=%s from=%s to=%s staff=%s notified=%s",
        case.number, previous.value, status.value, staff.id if staff else None, contact is not None,
    )
    return True
