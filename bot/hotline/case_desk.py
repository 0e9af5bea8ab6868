"""The case desk: the list of reports with filters and search, one case's sheet, edits with history, notes.

Repository functions take the session and never commit; the console audits each read and change in
the same transaction. The list reads only indexed columns (bot.hotline.case_fields.derive fills them)
so a page stays fast on 100,000 cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from bot.hotline import audit, case_fields
from bot.hotline.case_fields import Field
from bot.hotline.staff import can_supervise
from bot.storage.models import (
    Case,
    CaseChange,
    CaseKind,
    CaseNote,
    CaseStatus,
    Contact,
    Escalation,
    EscalationStatus,
    Priority,
    Referral,
    Staff,
)

PAGE_SIZE = 25
MAX_NOTE = 4000
MAX_FIELD = 2000
_NUMBER = re.compile(r"^KB-\d{4}-\d+$", re.IGNORECASE)
_PHONE = re.compile(r"^[\d\s().+-]{6,}$")


class CaseError(Exception):
    """The change cannot be made; the message is for staff."""


class CaseNotAllowed(CaseError):
    """Another agent holds the case; only they or a supervisor may change it."""


def holder(session: Session, case: Case) -> int | None:
    """Who holds the case: its assignee, else whoever claimed its open escalation."""
    if case.assignee_id is not None:
        return case.assignee_id
    return session.scalar(
        select(Escalation.claimed_by)
        .where(Escalation.case_id == case.id, Escalation.status != EscalationStatus.CLOSED)
        .order_by(Escalation.id.desc())
        .limit(1)
    )


def require_access(session: Session, case: Case, staff: Staff) -> None:
    """Changing a case (its answers, status, assignee, referrals) tells or affects the reporter:
    agents change unheld cases and their own, supervisors any (as with escalations)."""
    if can_supervise(staff):
        return
    held_by = holder(session, case)
    if held_by is not None and held_by != staff.id:
        raise CaseNotAllowed("Laporan ini ditangani petugas lain. Minta supervisor untuk mengalihkannya.")


@dataclass(frozen=True)
class CaseFilter:
    status: CaseStatus | None = None
    kind: CaseKind | None = None
    priority: Priority | None = None
    country: str | None = None
    regency: str | None = None
    since: datetime | None = None  # created at or after (UTC)
    until: datetime | None = None  # created before (UTC)
    assignee: int | None = None  # a staff id; 0: nobody
    query: str = ""

    @classmethod
    def parse(cls, params: Any, since: datetime | None, until: datetime | None) -> CaseFilter:
        """From query parameters: unknown values are ignored rather than refused."""

        def pick(name: str, allowed: Any) -> Any:
            value = params.get(name) or None
            try:
                return allowed(value) if value is not None else None
            except (ValueError, KeyError):
                return None

        assignee = params.get("assignee", "")
        return cls(
            status=pick("status", CaseStatus), kind=pick("kind", CaseKind), priority=pick("priority", Priority),
            country=pick("country", lambda v: v if v in case_fields.COUNTRY_LABELS else None),
            regency=pick("regency", lambda v: v if v in case_fields.REGENCY_LABELS else None),
            since=since, until=until,
            assignee=int(assignee) if assignee.isdigit() else None,
            query=str(params.get("q", "")).strip()[:100],
        )


@dataclass(frozen=True)
class CaseRow:
    id: int
    number: str
    kind: CaseKind
    status: CaseStatus
    priority: Priority
    created_at: datetime
    regency: str | None
    country: str | None
    assignee: str | None
    subject: str  # the missing person's name or the recruiter, for recognising the row


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int


def _filtered(query: Select[Any], f: CaseFilter) -> Select[Any]:
    if f.status is not None:
        query = query.where(Case.status == f.status)
    if f.kind is not None:
        query = query.where(Case.kind == f.kind)
    if f.priority is not None:
        query = query.where(Case.priority == f.priority)
    if f.country is not None:
        query = query.where(Case.country == f.country)
    if f.regency is not None:
        query = query.where(Case.regency == f.regency)
    if f.since is not None:
        query = query.where(Case.created_at >= f.since)
    if f.until is not None:
        query = query.where(Case.created_at < f.until)
    if f.assignee is not None:
        query = query.where(Case.assignee_id == f.assignee if f.assignee else Case.assignee_id.is_(None))
    text = f.query
    if text:
        if _NUMBER.match(text):
            query = query.where(Case.number == text.upper())
        elif _PHONE.match(text):
            query = query.where(Case.search_text.contains(re.sub(r"\D", "", text), autoescape=True))
        else:
            query = query.where(Case.search_text.contains(text.lower(), autoescape=True))
    return query


def _subject(case_kind: CaseKind, details: dict[str, Any] | None) -> str:
    details = details or {}
    key = "name" if case_kind is CaseKind.MISSING_PERSON else "recruiter"
    value = details.get(key)
    return str(value)[:60] if isinstance(value, str) else ""


def list_cases(session: Session, f: CaseFilter, page: int = 1, page_size: int = PAGE_SIZE) -> CasePage:
    """One page of cases, newest first, with the number of all that match."""
    total = int(session.scalar(_filtered(select(func.count(Case.id)), f)) or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    assignee = aliased(Staff)
    rows = session.execute(
        _filtered(
            select(Case.id, Case.number, Case.kind, Case.status, Case.priority, Case.created_at, Case.regency,
                   Case.country, assignee.username, Case.details)
            .outerjoin(assignee, assignee.id == Case.assignee_id),
            f,
        )
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return CasePage(
        rows=[
            CaseRow(id=r[0], number=r[1], kind=r[2], status=r[3], priority=r[4], created_at=r[5], regency=r[6],
                    country=r[7], assignee=r[8], subject=_subject(r[2], r[9]))
            for r in rows
        ],
        total=total, page=page, pages=pages,
    )


# ---------------------------------------------------------------- one case
@dataclass(frozen=True)
class ChangeLine:
    at: datetime
    author: str
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class NoteLine:
    at: datetime
    author: str
    text: str


@dataclass
class CaseSheet:
    case: Case
    contact: Contact | None
    fields: list[tuple[Field, Any]]
    escalations: list[Escalation]
    changes: list[ChangeLine]
    notes: list[NoteLine]
    referrals: list[Referral]
    assignee: str | None
    attachments: int = 0
    danger: list[str] = field(default_factory=list)


def get(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(case_id)
    return case


def find_number(session: Session, number: str) -> int | None:
    return session.scalar(select(Case.id).where(Case.number == number.strip().upper()))


def sheet(session: Session, case_id: int) -> CaseSheet:
    case = get(session, case_id)
    details = case.details or {}
    names = dict(session.execute(select(Staff.id, Staff.username)).all())
    changes = session.scalars(select(CaseChange).where(CaseChange.case_id == case.id).order_by(CaseChange.id.desc()))
    notes = session.scalars(select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id))
    labels = {f.key: f for f in case_fields.fields_for(case)}
    attachments = sum(len(v) for k, v in details.items() if k in ("photo", "evidence", "attachments")
                      and isinstance(v, list))
    return CaseSheet(
        case=case,
        contact=session.get(Contact, case.contact_id) if case.contact_id else None,
        fields=[(f, details.get(f.key)) for f in case_fields.fields_for(case)],
        escalations=list(session.scalars(select(Escalation).where(Escalation.case_id == case.id)
                                         .order_by(Escalation.id))),
        changes=[
            ChangeLine(c.at, names.get(c.staff_id, "-") if c.staff_id else "-",
                       labels[c.field].label if c.field in labels else c.field,
                       case_fields.shown(labels[c.field], c.before) if c.field in labels else (c.before or "-"),
                       case_fields.shown(labels[c.field], c.after) if c.field in labels else (c.after or "-"))
            for c in changes
        ],
        notes=[NoteLine(n.created_at, names.get(n.staff_id, "-"), n.text) for n in notes],
        referrals=list(session.scalars(select(Referral).where(Referral.case_id == case.id).order_by(Referral.id))),
        assignee=names.get(case.assignee_id) if case.assignee_id else None,
        attachments=attachments,
        danger=[case_fields.DANGER_LABELS.get(d, d) for d in details.get("danger_signs", []) or []],
    )


def edit(session: Session, case: Case, form: dict[str, str], staff: Staff, now: datetime,
         ip: str | None = None) -> list[str]:
    """Apply the edited answers; each changed field is kept in the history and the audit log.

    Returns the keys that changed. An empty value removes the answer.
    """
    if (case.details or {}).get("erased"):
        raise CaseError("Data laporan ini sudah dihapus atas permintaan pelapor.")
    details = dict(case.details or {})
    changed: list[str] = []
    for f in case_fields.fields_for(case):
        if f.key not in form:
            continue
        value = form[f.key].strip()[:MAX_FIELD]
        if f.key in ("regency", "country") and value and value not in (f.options or {}):
            raise CaseError(f"Pilihan {f.label.lower()} tidak dikenal.")
        before = details.get(f.key)
        if isinstance(before, list):
            continue  # photos are not edited here
        if (before or "") == value:
            continue
        if value:
            details[f.key] = value
        else:
            details.pop(f.key, None)
        session.add(CaseChange(case_id=case.id, staff_id=staff.id, field=f.key, before=before, after=value or None,
                               at=now))
        changed.append(f.key)
    if not changed:
        return []
    case.details = details
    case.updated_at = now
    case_fields.derive(case)
    audit.record(session, "case_edit", staff_id=staff.id, now=now, target_type="case", target_id=case.id, ip=ip,
                 number=case.number, fields=changed)
    return changed


def add_note(session: Session, case: Case, staff: Staff, text: str, now: datetime) -> CaseNote:
    body = text.strip()
    if not body:
        raise CaseError("Catatan kosong.")
    note = CaseNote(case_id=case.id, staff_id=staff.id, text=body[:MAX_NOTE], created_at=now)
    session.add(note)
    session.flush()
    return note


def assign(session: Session, case: Case, to: Staff | None, by: Staff) -> None:
    """Agents take a case for themselves; supervisors give it to anyone (or nobody)."""
    if not can_supervise(by) and (to is None or to.id != by.id):
        raise CaseError("Hanya supervisor yang bisa menugaskan kasus ke petugas lain.")
    if to is not None and not to.active:
        raise CaseError("Akun petugas tujuan tidak aktif.")
    case.assignee_id = to.id if to is not None else None
