"""The case desk: the list of reports with filters and search, one case's sheet, edits with history, notes.

Repository functions take the session and never commit; the console audits each read and change in
the same transaction. The list holds every report and every escalation without one (someone asked
for a person, or wrote of danger, and filed no report): both are work staff must find. It pages
over the two by their indexed times (bot.hotline.case_fields.derive fills the reports' filter
columns) so a page stays fast on 100,000 cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, desc, func, literal_column, or_, select, union_all
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
# The kind filter's value for escalations without a report ("percakapan": a conversation handed to staff).
CONVERSATION = "conversation"
CONVERSATION_LABEL = "Eskalasi tanpa laporan (percakapan)"
# The list's status filter read for an escalation without a report: waiting is new, claimed is being
# reviewed, closed is done. Such an escalation is never "referred" (only a report is referred).
ESCALATION_STATUS = {
    CaseStatus.NEW: EscalationStatus.OPEN,
    CaseStatus.IN_REVIEW: EscalationStatus.CLAIMED,
    CaseStatus.CLOSED: EscalationStatus.CLOSED,
}
# Which table a list row comes from, in the union that pages over both.
_REPORT, _CONVERSATION = 0, 1


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
    conversations_only: bool = False  # kind "conversation": only escalations without a report

    @property
    def wants_reports(self) -> bool:
        return not self.conversations_only

    @property
    def wants_conversations(self) -> bool:
        """Escalations without a report have no kind, regency or referral, and no case number to search."""
        return (self.kind is None and self.regency is None and self.status is not CaseStatus.REFERRED
                and not _NUMBER.match(self.query))

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
            conversations_only=params.get("kind") == CONVERSATION,
            country=pick("country", lambda v: v if v in case_fields.COUNTRY_LABELS else None),
            regency=pick("regency", lambda v: v if v in case_fields.REGENCY_LABELS else None),
            since=since, until=until,
            assignee=int(assignee) if assignee.isdigit() else None,
            query=str(params.get("q", "")).strip()[:100],
        )


@dataclass(frozen=True)
class CaseRow:
    source: ClassVar[str] = "case"
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
class ConversationRow:
    """An escalation without a report: what the queue card shows of it, for the list."""

    source: ClassVar[str] = "escalation"
    id: int
    priority: Priority
    status: EscalationStatus
    opened_at: datetime
    reason: str
    channel: str
    name: str | None  # the person's name on their channel
    country: str | None  # where the person last said they are
    assignee: str | None  # who claimed it


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow | ConversationRow]
    total: int
    page: int
    pages: int
    reports: int = 0  # of total, how many are reports; the rest are escalations without one
    conversations: int = 0


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


def _conversations_filtered(query: Select[Any], f: CaseFilter) -> Select[Any]:
    """Escalations without a report that match: country is where the person said they are."""
    query = query.where(Escalation.case_id.is_(None))
    if f.status is not None:
        query = query.where(Escalation.status == ESCALATION_STATUS[f.status])
    if f.priority is not None:
        query = query.where(Escalation.priority == f.priority)
    if f.since is not None:
        query = query.where(Escalation.opened_at >= f.since)
    if f.until is not None:
        query = query.where(Escalation.opened_at < f.until)
    if f.assignee is not None:
        query = query.where(Escalation.claimed_by == f.assignee if f.assignee else Escalation.claimed_by.is_(None))
    if f.country is None and not f.query:
        return query
    query = query.join(Contact, Contact.id == Escalation.contact_id)
    if f.country is not None:
        query = query.where(Contact.place_country == f.country)
    if f.query:
        query = query.where(_person_matches(f.query))
    return query


def _person_matches(text: str) -> ColumnElement[bool]:
    """The person's channel name, or their WhatsApp number (stored +62...; staff type 08...)."""
    if not _PHONE.match(text):
        return func.lower(Contact.display_name).contains(text.lower(), autoescape=True)
    digits = re.sub(r"\D", "", text)
    numbers = {digits, "62" + digits[1:]} if digits.startswith("0") else {digits}
    return or_(*(Contact.external_id.contains(n, autoescape=True) for n in sorted(numbers)))


def _subject(case_kind: CaseKind, details: dict[str, Any] | None) -> str:
    details = details or {}
    key = "name" if case_kind is CaseKind.MISSING_PERSON else "recruiter"
    value = details.get(key)
    return str(value)[:60] if isinstance(value, str) else ""


def list_cases(session: Session, f: CaseFilter, page: int = 1, page_size: int = PAGE_SIZE) -> CasePage:
    """One page of reports and escalations without a report, newest first, with how many of each match."""
    reports = conversations = 0
    branches: list[Select[Any]] = []
    if f.wants_reports:
        reports = int(session.scalar(_filtered(select(func.count(Case.id)), f)) or 0)
        if reports:
            branches.append(_filtered(select(literal_column(str(_REPORT)).label("source"), Case.id.label("id"),
                                             Case.created_at.label("at")), f))
    if f.wants_conversations:
        conversations = int(session.scalar(_conversations_filtered(select(func.count(Escalation.id)), f)) or 0)
        if conversations:
            branches.append(_conversations_filtered(
                select(literal_column(str(_CONVERSATION)).label("source"), Escalation.id.label("id"),
                       Escalation.opened_at.label("at")), f))
    total = reports + conversations
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    if not branches:
        return CasePage(rows=[], total=0, page=page, pages=pages)
    # Only (table, id, time) are paged: each side reads its time index in order, and the rows of the
    # one page are read after, by id.
    order = (desc("at"), "source", desc("id"))
    paged = union_all(*branches).order_by(*order) if len(branches) > 1 else branches[0].order_by(*order)
    keys = session.execute(paged.limit(page_size).offset((page - 1) * page_size)).all()
    found: dict[tuple[int, int], CaseRow | ConversationRow] = {
        **{(_REPORT, r.id): r for r in _case_rows(session, [k[1] for k in keys if k[0] == _REPORT])},
        **{(_CONVERSATION, r.id): r
           for r in _conversation_rows(session, [k[1] for k in keys if k[0] == _CONVERSATION])},
    }
    return CasePage(
        rows=[found[(k[0], k[1])] for k in keys if (k[0], k[1]) in found],
        total=total, page=page, pages=pages, reports=reports, conversations=conversations,
    )


def _case_rows(session: Session, ids: list[int]) -> list[CaseRow]:
    if not ids:
        return []
    assignee = aliased(Staff)
    rows = session.execute(
        select(Case.id, Case.number, Case.kind, Case.status, Case.priority, Case.created_at, Case.regency,
               Case.country, assignee.username, Case.details)
        .outerjoin(assignee, assignee.id == Case.assignee_id)
        .where(Case.id.in_(ids))
    ).all()
    return [
        CaseRow(id=r[0], number=r[1], kind=r[2], status=r[3], priority=r[4], created_at=r[5], regency=r[6],
                country=r[7], assignee=r[8], subject=_subject(r[2], r[9]))
        for r in rows
    ]


def _conversation_rows(session: Session, ids: list[int]) -> list[ConversationRow]:
    if not ids:
        return []
    claimer = aliased(Staff)
    rows = session.execute(
        select(Escalation.id, Escalation.priority, Escalation.status, Escalation.opened_at, Escalation.reason,
               Contact.channel, Contact.display_name, Contact.place_country, claimer.username)
        .join(Contact, Contact.id == Escalation.contact_id)
        .outerjoin(claimer, claimer.id == Escalation.claimed_by)
        .where(Escalation.id.in_(ids))
    ).all()
    return [
        ConversationRow(id=r[0], priority=r[1], status=r[2], opened_at=r[3], reason=r[4], channel=r[5], name=r[6],
                        country=r[7], assignee=r[8])
        for r in rows
    ]


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
