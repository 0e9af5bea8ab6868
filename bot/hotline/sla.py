"""Service levels of the hotline queue, checked by one periodic job (bot.scheduler).

- An URGENT escalation nobody claimed within hotline.sla_unclaimed_minutes alerts the team again
  (WARNING log, staff group post, console highlight): alert_level 1.
- Still unclaimed after hotline.sla_supervisor_minutes, it alerts supervisors (ERROR log, staff
  group post naming them, console banner): alert_level 2.
- A claimed escalation with no staff reply within hotline.sla_reply_minutes of being claimed is
  flagged reply_overdue.
Each step is a conditional UPDATE, so a repeated or concurrent sweep never alerts twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.config import HotlineSettings
from bot.hotline.staff_group import StaffGroup
from bot.storage.db import transaction
from bot.storage.models import Escalation, EscalationStatus, Priority, Staff, StaffRole

log = logging.getLogger(__name__)
JOB_NAME = "sla.sweep"
TEAM, SUPERVISORS = 1, 2


@dataclass
class SweepResult:
    team_alerts: list[int] = field(default_factory=list)
    supervisor_alerts: list[int] = field(default_factory=list)
    reply_overdue: list[int] = field(default_factory=list)


def _raise_alert(session: Session, escalation_id: int, level: int) -> bool:
    result = session.execute(
        update(Escalation)
        .where(
            Escalation.id == escalation_id,
            Escalation.status == EscalationStatus.OPEN,
            Escalation.alert_level < level,
        )
        .values(alert_level=level)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def sweep(
    session: Session, now: datetime, hotline: HotlineSettings, group: StaffGroup | None = None
) -> SweepResult:
    """One pass over the queue; alerts go to the log and, when configured, the staff group."""
    result = SweepResult()
    team_due = now - timedelta(minutes=hotline.sla_unclaimed_minutes)
    supervisor_due = now - timedelta(minutes=hotline.sla_supervisor_minutes)
    waiting = session.execute(
        select(Escalation.id, Escalation.opened_at, Escalation.alert_level)
        .where(
            Escalation.status == EscalationStatus.OPEN,
            Escalation.priority == Priority.URGENT,
            Escalation.alert_level < SUPERVISORS,
            Escalation.opened_at <= max(team_due, supervisor_due),
        )
        .order_by(Escalation.opened_at)
    ).all()
    for escalation_id, opened_at, level in waiting:
        waited_s = int((now - opened_at).total_seconds())
        minutes = round(waited_s / 60, 1)
        # Someone in danger has waited too long: after the supervisor threshold the team alert is
        # skipped (a restart after downtime must not post two alerts for one escalation).
        if opened_at <= supervisor_due:
            if _raise_alert(session, escalation_id, SUPERVISORS):
                result.supervisor_alerts.append(escalation_id)
                names = _supervisors(session)
                log.error(
                    "sla.unclaimed_supervisors escalation=%s waited_s=%s supervisors=%s: "
                    "an urgent escalation is still unclaimed",
                    escalation_id, waited_s, ",".join(names) or "-",
                )
                if group is not None:
                    group.post(
                        session, "staff_group_sla_supervisor", escalation_id, minutes=minutes,
                        supervisors=("Supervisor: " + ", ".join(names)) if names else "",
                    )
        elif level < TEAM and _raise_alert(session, escalation_id, TEAM):
            result.team_alerts.append(escalation_id)
            log.warning("sla.unclaimed escalation=%s waited_s=%s: urgent escalation not claimed yet",
                        escalation_id, waited_s)
            if group is not None:
                group.post(session, "staff_group_sla_team", escalation_id, minutes=minutes)

    reply_due = now - timedelta(minutes=hotline.sla_reply_minutes)
    silent = session.scalars(
        select(Escalation.id).where(
            Escalation.status == EscalationStatus.CLAIMED,
            Escalation.reply_overdue.is_(False),
            Escalation.claimed_at <= reply_due,
            or_(Escalation.last_staff_reply_at.is_(None), Escalation.last_staff_reply_at < Escalation.claimed_at),
        )
    ).all()
    for escalation_id in silent:
        flagged = session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.reply_overdue.is_(False))
            .values(reply_overdue=True)
            .execution_options(synchronize_session=False)
        )
        if flagged.rowcount == 1:  # type: ignore[attr-defined]
            result.reply_overdue.append(escalation_id)
            log.warning("sla.reply_overdue escalation=%s: claimed but no staff reply yet", escalation_id)
    return result


def _supervisors(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(Staff.username)
            .where(Staff.active.is_(True), Staff.role.in_([StaffRole.SUPERVISOR, StaffRole.ADMIN]))
            .order_by(Staff.username)
        )
    )


def run_sweep(
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    hotline: HotlineSettings,
    group: StaffGroup | None,
) -> bool:
    """The periodic job (one for the whole queue, not one per escalation): one sweep, one transaction.

    True when alerts were queued for the staff group.
    """
    with transaction(sessions) as session:
        result = sweep(session, clock(), hotline, group)
    return bool(result.team_alerts or result.supervisor_alerts)
