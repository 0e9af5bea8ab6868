"""Referrals: a case passed to a task-force partner (config.yml referrals.agencies), followed up, and the letter.

Repository functions never commit. Referring a case marks it "referred" and tells the reporter which
kind of agency now has it (never a person or a number: the consent they gave covers being told, the
agency's details are for staff). The follow-up job flags referrals whose follow-up date came without
an answer, and tells the Telegram staff group, once per follow-up date. The letter holds only what the
report's consent allows (`letter`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.answers.texts import Texts
from bot.chat.inbound import Reply
from bot.config import PartnerAgency, ReferralSettings
from bot.hotline import audit, case_fields, cases
from bot.hotline.staff_group import StaffGroup
from bot.outbox.enqueue import enqueue
from bot.storage.db import transaction
from bot.storage.models import Case, CaseStatus, Contact, Referral, ReferralStatus, Staff

log = logging.getLogger(__name__)
JOB_NAME = "referrals.follow_up"
STATUS_LABELS = {
    ReferralStatus.SENT: "Dikirim",
    ReferralStatus.ACCEPTED: "Diterima instansi",
    ReferralStatus.IN_PROGRESS: "Sedang ditangani",
    ReferralStatus.DONE: "Selesai",
    ReferralStatus.DECLINED: "Ditolak",
}
# Still waiting on the agency: the follow-up date matters.
OPEN = (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS)
MAX_TEXT = 100


class ReferralError(Exception):
    """The referral cannot be made or changed; the message is for staff."""


def _clean(value: str | None, limit: int = MAX_TEXT) -> str | None:
    text = (value or "").strip()
    return text[:limit] or None


def refer(
    session: Session,
    case: Case,
    agency: PartnerAgency,
    staff: Staff,
    now: datetime,
    *,
    texts: Texts,
    referred_on: date,
    follow_up_on: date | None,
    reference_number: str | None = None,
    contact_person: str | None = None,
    share_reporter_contact: bool = False,
    ip: str | None = None,
) -> Referral:
    """Refer the case to a partner agency; the reporter is told the kind of agency in their language."""
    if (case.details or {}).get("erased"):
        raise ReferralError("Data laporan ini sudah dihapus atas permintaan pelapor.")
    if follow_up_on is not None and follow_up_on < referred_on:
        raise ReferralError("Tanggal tindak lanjut tidak boleh sebelum tanggal rujukan.")
    referral = Referral(
        case_id=case.id, agency=agency.key, status=ReferralStatus.SENT, referred_on=referred_on,
        reference_number=_clean(reference_number), contact_person=_clean(contact_person, 200),
        follow_up_on=follow_up_on, share_reporter_contact=share_reporter_contact and not case.anonymous,
        history=[{"at": now.isoformat(), "staff_id": staff.id, "status": ReferralStatus.SENT.value}],
        created_by=staff.id, created_at=now, updated_at=now,
    )
    session.add(referral)
    session.flush()
    audit.record(session, "referral_create", staff_id=staff.id, now=now, target_type="case", target_id=case.id,
                 ip=ip, number=case.number, agency=agency.key, referral=referral.id,
                 shares_reporter_contact=referral.share_reporter_contact or None)
    cases.set_status(session, case, CaseStatus.REFERRED, staff, now, texts=texts, ip=ip, notify=False,
                     referral=referral.id)
    contact = session.get(Contact, case.contact_id) if case.contact_id is not None else None
    if contact is not None:
        lang = contact.language or "id"
        enqueue(session, contact, Reply(texts.get("case_referred", lang, number=case.number,
                                                  agency=agency.kind.get(lang, agency.kind["id"]))))
    log.info("referral.created case=%s agency=%s referral=%s staff=%s notified=%s",
             case.number, agency.key, referral.id, staff.id, contact is not None)
    return referral


def update_referral(
    session: Session,
    referral: Referral,
    staff: Staff,
    now: datetime,
    *,
    status: str,
    reference_number: str | None,
    contact_person: str | None,
    follow_up_on: date | None,
    ip: str | None = None,
) -> list[str]:
    """Record the agency's answer: status, their reference number, contact person, next follow-up date.

    Returns what changed; a new follow-up date re-arms the reminder.
    """
    try:
        new_status = ReferralStatus(status)
    except ValueError:
        raise ReferralError("Pilih status rujukan.") from None
    changes: dict[str, Any] = {}
    if new_status is not referral.status:
        changes["status"] = new_status.value
        referral.status = new_status
    for name, value, limit in (("reference_number", reference_number, MAX_TEXT),
                               ("contact_person", contact_person, 200)):
        cleaned = _clean(value, limit)
        if cleaned != getattr(referral, name):
            setattr(referral, name, cleaned)
            changes[name] = cleaned
    if follow_up_on != referral.follow_up_on:
        if follow_up_on is not None and follow_up_on < referral.referred_on:
            raise ReferralError("Tanggal tindak lanjut tidak boleh sebelum tanggal rujukan.")
        referral.follow_up_on = follow_up_on
        referral.follow_up_alerted_at = None
        changes["follow_up_on"] = follow_up_on.isoformat() if follow_up_on else None
    if not changes:
        return []
    referral.history = [*referral.history, {"at": now.isoformat(), "staff_id": staff.id, **changes}]
    referral.updated_at = now
    audit.record(session, "referral_update", staff_id=staff.id, now=now, target_type="case",
                 target_id=referral.case_id, ip=ip, referral=referral.id, **changes)
    return list(changes)


def get(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise LookupError(referral_id)
    return referral


# ---------------------------------------------------------------- the letter
@dataclass(frozen=True)
class Letter:
    case: Case
    referral: Referral
    agency: PartnerAgency | None
    facts: list[tuple[str, str]]  # (label, value) of the report: only what may leave the Kanwil
    reporter: list[tuple[str, str]]  # empty unless the reporter agreed to be contacted by the agency
    attachments: int  # counted, never attached: photos stay with the Kanwil until asked for
    danger: list[str]


def letter(session: Session, referral: Referral, directory: ReferralSettings) -> Letter:
    """What a printed referral letter holds.

    The report's answers about the missing relative or the recruiter, the regency and country; the
    reporter's name and number only when they agreed to share them with the agency (never for an
    anonymous report). Never the transcript, internal notes, the chat identity or the photos.
    """
    case = session.get(Case, referral.case_id)
    assert case is not None
    details = case.details or {}
    facts: list[tuple[str, str]] = []
    reporter: list[tuple[str, str]] = []
    for f in case_fields.fields_for(case):
        value = details.get(f.key)
        if value in (None, "") or isinstance(value, list) or not f.in_letter:
            continue
        if f.reporter:
            if referral.share_reporter_contact and not case.anonymous:
                reporter.append((f.label, case_fields.shown(f, value)))
            continue
        facts.append((f.label, case_fields.shown(f, value)))
    attachments = sum(len(v) for k, v in details.items() if k in ("photo", "evidence", "attachments")
                      and isinstance(v, list))
    return Letter(
        case=case, referral=referral, agency=directory.agencies.get(referral.agency), facts=facts,
        reporter=reporter, attachments=attachments,
        danger=[case_fields.DANGER_LABELS.get(d, d) for d in details.get("danger_signs", []) or []],
    )


# ---------------------------------------------------------------- follow-up reminders
def overdue(session: Session, today: date) -> list[Referral]:
    """Referrals still waiting on the agency whose follow-up date has come."""
    return list(session.scalars(
        select(Referral)
        .where(Referral.status.in_(OPEN), Referral.follow_up_on.is_not(None), Referral.follow_up_on <= today)
        .order_by(Referral.follow_up_on, Referral.id)
    ))


def sweep(
    session: Session, now: datetime, directory: ReferralSettings | None = None, group: StaffGroup | None = None
) -> list[int]:
    """Flag each overdue referral once per follow-up date, and post it to the staff group when there is one.

    The flag is a conditional UPDATE, so a repeated or concurrent sweep flags (and posts) none twice;
    a new follow-up date clears it (`update_referral`), so the new date is reminded in its turn.
    """
    today = now.astimezone(cases.WIB).date()
    flagged = []
    for referral in overdue(session, today):
        if referral.follow_up_alerted_at is not None:
            continue
        result = session.execute(
            update(Referral)
            .where(Referral.id == referral.id, Referral.follow_up_alerted_at.is_(None))
            .values(follow_up_alerted_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            flagged.append(referral.id)
            log.warning("referral.follow_up_due referral=%s case_id=%s agency=%s due=%s: ask the agency for news",
                        referral.id, referral.case_id, referral.agency, referral.follow_up_on)
            if group is not None:
                _post_overdue(session, referral, directory, group)
    return flagged


def _post_overdue(session: Session, referral: Referral, directory: ReferralSettings | None, group: StaffGroup) -> None:
    """The group post says which report, which agency and since when: what escalation posts say, no more."""
    agency = directory.agencies.get(referral.agency) if directory is not None else None
    assert referral.follow_up_on is not None
    group.post_about_case(
        session, "staff_group_referral_overdue", referral.case_id,
        case=session.scalar(select(Case.number).where(Case.id == referral.case_id)) or "-",
        agency=agency.name if agency is not None else referral.agency,
        due=referral.follow_up_on.strftime("%d-%m-%Y"), status=STATUS_LABELS[referral.status],
    )


def run_follow_up_sweep(
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    directory: ReferralSettings | None = None,
    group: StaffGroup | None = None,
) -> bool:
    """The periodic job: one sweep, one transaction; True when posts for the staff group were queued."""
    with transaction(sessions) as session:
        flagged = sweep(session, clock(), directory, group)
    return bool(flagged) and group is not None


def counts_by_agency(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    rows = session.execute(
        select(Referral.agency, func.count(Referral.id))
        .where(Referral.created_at >= since, Referral.created_at < until)
        .group_by(Referral.agency)
    ).all()
    return {agency: int(n) for agency, n in rows}
