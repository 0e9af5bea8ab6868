"""The CSV export of closed escalations (supervisors): times (WIB), priority, outcome, handler; no personal data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot.hotline.cases import WIB
from bot.storage.models import Case, Contact, Escalation, EscalationStatus, Staff

# Data minimisation (UU PDP 27/2022 Pasal 16): the export answers "how fast and with what
# outcome", so it holds no names, phone numbers, channel ids or message text.
EXPORT_COLUMNS = (
    "escalation_id", "priority", "reason", "channel", "opened_at", "claimed_at", "first_staff_reply_at",
    "closed_at", "minutes_to_claim", "minutes_to_first_reply", "outcome", "handled_by", "case_number",
    "sla_alert_level", "reply_overdue",
)


def _minutes(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    return f"{(end - start).total_seconds() / 60:.1f}"


def _local(moment: datetime | None) -> str:
    # Staff and the task force read Pontianak time: 2026-03-01T09:15:00+07:00.
    return moment.astimezone(WIB).isoformat(timespec="seconds") if moment else ""


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ runs as a formula in spreadsheet programs.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def closed_rows(session: Session, since: datetime, until: datetime) -> Iterator[list[str]]:
    handler = aliased(Staff)
    rows = session.execute(
        select(Escalation, Contact.channel, handler.username, Case.number)
        .join(Contact, Contact.id == Escalation.contact_id)
        .outerjoin(handler, handler.id == Escalation.claimed_by)
        .outerjoin(Case, Case.id == Escalation.case_id)
        .where(
            Escalation.status == EscalationStatus.CLOSED,
            Escalation.closed_at >= since,
            Escalation.closed_at < until,
        )
        .order_by(Escalation.closed_at, Escalation.id)
    ).all()
    for esc, channel, username, case_number in rows:
        yield [
            _cell(v)
            for v in (
                esc.id, esc.priority.value, esc.reason, channel, _local(esc.opened_at), _local(esc.claimed_at),
                _local(esc.first_staff_reply_at), _local(esc.closed_at),
                _minutes(esc.opened_at, esc.claimed_at), _minutes(esc.opened_at, esc.first_staff_reply_at),
                esc.outcome, username, case_number, esc.alert_level, str(esc.reply_overdue).lower(),
            )
        ]


def export_csv(rows: Iterable[list[str]]) -> tuple[str, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return buffer.getvalue(), n
