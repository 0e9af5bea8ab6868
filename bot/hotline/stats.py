"""Aggregates for the task force (GT-PP TPPO): counts only, no names, numbers or message text.

One computation serves `python -m bot stats` (exact figures, CONTRACTS §6), the console's monitoring
dashboard, its monthly CSV and its printable page (those three show counts under 5 as "<5": a small
count about one regency or one week can point at a person).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.hotline.cases import WIB
from bot.storage.models import (
    Case,
    CaseKind,
    CaseStatus,
    Direction,
    Escalation,
    JobOfferCheck,
    Message,
    Priority,
    Referral,
    ReferralStatus,
)

SMALL = 5  # counts under this are shown as "<5" outside the command line
TOP = 10
LEVELS = ("high", "medium", "low")


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in WIB, as UTC instants."""
    since = datetime.combine(first, time(0), WIB).astimezone(UTC)
    until = datetime.combine(last + timedelta(days=1), time(0), WIB).astimezone(UTC)
    return since, until


def _week(session: Session, column: Any) -> ColumnElement[str]:
    """The Monday (WIB) starting the week of a UTC timestamp, as YYYY-MM-DD, on either database."""
    if session.get_bind().dialect.name == "sqlite":
        # 'weekday 0' moves forward to Sunday (or stays), six days back is that week's Monday.
        return func.date(column, "+7 hours", "weekday 0", "-6 days")
    return func.to_char(func.date_trunc("week", func.timezone("Asia/Pontianak", column)), "YYYY-MM-DD")


def _minutes(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 1440.0
    return func.extract("epoch", end - start) / 60.0


@dataclass
class Stats:
    first: date
    last: date
    people: int = 0
    messages: int = 0
    escalations: dict[str, int] = field(default_factory=dict)
    # per priority: claimed, avg minutes to claim, claimed within the SLA minutes, reply overdue
    claim_times: dict[str, dict[str, Any]] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)
    cases_by_status: dict[str, int] = field(default_factory=dict)
    cases_by_regency: dict[str, int] = field(default_factory=dict)
    cases_by_country: dict[str, int] = field(default_factory=dict)
    cases_by_modus: dict[str, int] = field(default_factory=dict)
    referrals: dict[str, int] = field(default_factory=dict)
    referrals_by_status: dict[str, int] = field(default_factory=dict)
    job_offer_checks: dict[str, int] = field(default_factory=dict)
    red_flags: dict[str, int] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)
    weekly: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(), "to": self.last.isoformat(),
            "people": self.people, "messages": self.messages,
            "escalations": self.escalations, "cases": self.cases, "referrals": self.referrals,
            "escalation_claim_times": self.claim_times,
            "cases_by_status": self.cases_by_status, "cases_by_regency": self.cases_by_regency,
            "cases_by_country": self.cases_by_country, "cases_by_modus": self.cases_by_modus,
            "referrals_by_status": self.referrals_by_status, "job_offer_checks": self.job_offer_checks,
            "red_flags": self.red_flags, "topics": self.topics, "weekly": self.weekly,
        }


def compute(session: Session, first: date, last: date, settings: Settings) -> Stats:
    """Every figure for the days first..last (WIB), both included."""
    since, until = day_range(first, last)
    stats = Stats(first, last)
    inbound = and_(Message.direction == Direction.IN, Message.created_at >= since, Message.created_at < until)
    stats.messages, stats.people = (int(v or 0) for v in session.execute(
        select(func.count(Message.id), func.count(func.distinct(Message.contact_id))).where(inbound)
    ).one())
    week = _week(session, Message.created_at).label("week")
    by_week = {
        str(w): (int(n), int(p)) for w, n, p in session.execute(
            select(week, func.count(Message.id), func.count(func.distinct(Message.contact_id)))
            .where(inbound).group_by(week)
        ).all()
    }
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        n, p = by_week.get(monday.isoformat(), (0, 0))
        stats.weekly.append({"week": monday.isoformat(), "messages": n, "people": p})
        monday += timedelta(days=7)
    stats.topics = dict(session.execute(
        select(Message.intent, func.count(Message.id)).where(inbound, Message.intent.is_not(None))
        .group_by(Message.intent).order_by(func.count(Message.id).desc(), Message.intent).limit(TOP)
    ).tuples().all())
    _escalations(session, stats, since, until, settings)
    _cases(session, stats, since, until)
    _referrals(session, stats, since, until, settings)
    _job_checks(session, stats, since, until)
    return stats


def _escalations(session: Session, stats: Stats, since: datetime, until: datetime, settings: Settings) -> None:
    minutes = _minutes(session, Escalation.opened_at, Escalation.claimed_at)
    sla = settings.hotline.sla_unclaimed_minutes
    rows = session.execute(
        select(
            Escalation.priority, func.count(Escalation.id), func.count(Escalation.claimed_at), func.avg(minutes),
            func.sum(func.coalesce((minutes <= sla).cast(Integer), 0)),
            func.sum(func.coalesce(Escalation.reply_overdue.cast(Integer), 0)),
        )
        .where(Escalation.opened_at >= since, Escalation.opened_at < until)
        .group_by(Escalation.priority)
    ).all()
    stats.escalations = {p.value: 0 for p in Priority}
    for priority, total, claimed, average, in_time, overdue in rows:
        key = Priority(priority).value
        stats.escalations[key] = int(total)
        stats.claim_times[key] = {
            "claimed": int(claimed or 0),
            "avg_minutes_to_claim": round(float(average), 1) if average is not None else None,
            "claimed_within_sla": int(in_time or 0),
            "reply_overdue": int(overdue or 0),
        }


def _cases(session: Session, stats: Stats, since: datetime, until: datetime) -> None:
    stats.cases = {k.value: 0 for k in CaseKind}
    stats.cases_by_status = {s.value: 0 for s in CaseStatus}
    # One grouped pass; the combinations are few (kinds x statuses x regencies x countries x modus).
    rows = session.execute(
        select(Case.kind, Case.status, Case.regency, Case.country, Case.modus, func.count(Case.id))
        .where(Case.created_at >= since, Case.created_at < until)
        .group_by(Case.kind, Case.status, Case.regency, Case.country, Case.modus)
    ).all()
    for kind, status, regency, country, modus, n in rows:
        n = int(n)
        stats.cases[CaseKind(kind).value] += n
        stats.cases_by_status[CaseStatus(status).value] += n
        for table, key in ((stats.cases_by_regency, regency), (stats.cases_by_country, country),
                           (stats.cases_by_modus, modus)):
            name = key or "unknown"
            table[name] = table.get(name, 0) + n
    for table in (stats.cases_by_regency, stats.cases_by_country, stats.cases_by_modus):
        ordered = sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))
        table.clear()
        table.update(ordered)


def _referrals(session: Session, stats: Stats, since: datetime, until: datetime, settings: Settings) -> None:
    stats.referrals = {key: 0 for key in settings.referrals.agencies}
    stats.referrals_by_status = {s.value: 0 for s in ReferralStatus}
    rows = session.execute(
        select(Referral.agency, Referral.status, func.count(Referral.id))
        .where(Referral.created_at >= since, Referral.created_at < until)
        .group_by(Referral.agency, Referral.status)
    ).all()
    for agency, status, n in rows:
        stats.referrals[agency] = stats.referrals.get(agency, 0) + int(n)
        stats.referrals_by_status[ReferralStatus(status).value] += int(n)


def _job_checks(session: Session, stats: Stats, since: datetime, until: datetime) -> None:
    stats.job_offer_checks = {level: 0 for level in LEVELS}
    flags: dict[str, int] = {}
    # Flags are a JSON list per check; checks are few compared with messages, so they are counted here.
    for level, codes in session.execute(
        select(JobOfferCheck.level, JobOfferCheck.flags).where(JobOfferCheck.at >= since, JobOfferCheck.at < until)
    ).all():
        stats.job_offer_checks[level] = stats.job_offer_checks.get(level, 0) + 1
        for code in codes or []:
            flags[code] = flags.get(code, 0) + 1
    stats.red_flags = dict(sorted(flags.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP])


# ---------------------------------------------------------------- showing them
def small(n: int | None) -> str:
    """A count as shown outside the command line: under 5 becomes "<5"."""
    if n is None:
        return "-"
    return f"<{SMALL}" if n < SMALL else str(n)


def csv_rows(stats: Stats, suppress: bool) -> list[list[str]]:
    """section,key,value rows of every figure (`suppress`: counts under 5 as "<5")."""
    show = small if suppress else str
    rows = [["period", "from", stats.first.isoformat()], ["period", "to", stats.last.isoformat()],
            ["total", "people", show(stats.people)], ["total", "messages", show(stats.messages)]]
    tables: list[tuple[str, dict[str, int]]] = [
        ("escalations", stats.escalations), ("cases", stats.cases), ("cases_by_status", stats.cases_by_status),
        ("cases_by_regency", stats.cases_by_regency), ("cases_by_country", stats.cases_by_country),
        ("cases_by_modus", stats.cases_by_modus), ("referrals", stats.referrals),
        ("referrals_by_status", stats.referrals_by_status), ("job_offer_checks", stats.job_offer_checks),
        ("red_flags", stats.red_flags), ("topics", stats.topics),
    ]
    for section, table in tables:
        rows.extend([section, key, show(n)] for key, n in table.items())
    for priority, timing in stats.claim_times.items():
        claimed = timing["claimed"]
        rows.append(["claim_minutes_avg", priority,
                     "" if timing["avg_minutes_to_claim"] is None or (suppress and claimed < SMALL)
                     else str(timing["avg_minutes_to_claim"])])
        rows.append(["claimed_within_sla", priority, show(timing["claimed_within_sla"])])
    for week in stats.weekly:
        rows.append(["weekly_messages", week["week"], show(week["messages"])])
        rows.append(["weekly_people", week["week"], show(week["people"])])
    return rows


def to_csv(stats: Stats, suppress: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "key", "value"])
    writer.writerows(csv_rows(stats, suppress))
    return buffer.getvalue()
