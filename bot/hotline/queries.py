"""Reading the hotline queue: the active list, one escalation with its transcript and notes, the WhatsApp window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from bot.config import Settings
from bot.hotline import escalations
from bot.hotline.case_fields import COUNTRY_LABELS, country_in
from bot.hotline.labels import CHANNEL_LABELS, PRIORITY_LABELS, STATUS_LABELS, reason_label
from bot.outbox.sender import WindowOpen
from bot.storage.models import (
    Case,
    Contact,
    Conversation,
    ConversationState,
    Direction,
    Escalation,
    EscalationNote,
    EscalationStatus,
    Message,
    Priority,
    Staff,
)

# WhatsApp only lets a business write freely within 24 hours of the person's last message.


def _priority_rank() -> case[int]:
    return case(
        (Escalation.priority == Priority.URGENT, 0),
        (Escalation.priority == Priority.HIGH, 1),
        else_=2,
    )


# ---------------------------------------------------------------- queue
@dataclass(frozen=True)
class QueueItem:
    id: int
    priority: Priority
    status: EscalationStatus
    reason: str
    channel: str
    contact_id: int
    opened_at: datetime
    waited_s: int
    claimed_by: str | None
    claimed_by_id: int | None
    alert_level: int
    reply_overdue: bool
    overdue: bool  # SLA: urgent and unclaimed for too long, or claimed with no reply for too long
    with_bot: bool  # the conversation was handed back to the bot
    waiting_reply: bool  # the person wrote after the last staff reply
    case_number: str | None
    case_id: int | None = None
    country: str | None = None  # destination country label, from the report or the last message
    preview: str = ""  # first line of the report or of the person's last message

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "priority": self.priority.value,
            "priority_label": PRIORITY_LABELS[self.priority],
            "status": self.status.value,
            "status_label": STATUS_LABELS[self.status],
            "reason": reason_label(self.reason),
            "channel": CHANNEL_LABELS.get(self.channel, self.channel),
            "contact_id": self.contact_id,
            "opened_at": self.opened_at.isoformat(),
            "waited_s": self.waited_s,
            "claimed_by": self.claimed_by,
            "claimed_by_id": self.claimed_by_id,
            "alert_level": self.alert_level,
            "reply_overdue": self.reply_overdue,
            "overdue": self.overdue,
            "with_bot": self.with_bot,
            "waiting_reply": self.waiting_reply,
            "case_number": self.case_number,
            "case_id": self.case_id,
            "country": self.country,
            "preview": self.preview,
        }


def active_queue(session: Session, now: datetime, settings: Settings) -> list[QueueItem]:
    """Open and claimed escalations: most urgent first, then whoever has waited longest."""
    claimer = aliased(Staff)
    last_in = (
        select(Message.contact_id, func.max(Message.created_at).label("at"))
        .where(Message.direction == Direction.IN)
        .group_by(Message.contact_id)
        .subquery()
    )
    rows = session.execute(
        select(Escalation, Contact.channel, claimer.username, Case, Conversation.state, last_in.c.at)
        .join(Contact, Contact.id == Escalation.contact_id)
        .outerjoin(claimer, claimer.id == Escalation.claimed_by)
        .outerjoin(Case, Case.id == Escalation.case_id)
        .outerjoin(Conversation, Conversation.contact_id == Escalation.contact_id)
        .outerjoin(last_in, last_in.c.contact_id == Escalation.contact_id)
        .where(Escalation.status.in_(escalations.ACTIVE))
        .order_by(_priority_rank(), Escalation.opened_at, Escalation.id)
    ).all()
    hotline = settings.hotline
    last_texts = _last_inbound_texts(session, [esc.contact_id for esc, _, _, report, _, _ in rows if report is None])
    items = []
    for esc, channel, username, report, state, last_inbound in rows:
        waited = now - esc.opened_at
        unclaimed_late = (
            esc.status is EscalationStatus.OPEN
            and esc.priority is Priority.URGENT
            and waited >= timedelta(minutes=hotline.sla_unclaimed_minutes)
        )
        since_reply = esc.last_staff_reply_at
        items.append(
            QueueItem(
                id=esc.id, priority=esc.priority, status=esc.status, reason=esc.reason, channel=channel,
                contact_id=esc.contact_id, opened_at=esc.opened_at, waited_s=max(0, int(waited.total_seconds())),
                claimed_by=username, claimed_by_id=esc.claimed_by, alert_level=esc.alert_level,
                reply_overdue=esc.reply_overdue,
                overdue=esc.reply_overdue or (
                    esc.status is EscalationStatus.OPEN and (unclaimed_late or esc.alert_level > 0)
                ),
                with_bot=state is not None and state is not ConversationState.WITH_STAFF,
                waiting_reply=last_inbound is not None and (since_reply is None or last_inbound > since_reply),
                case_number=report.number if report else None, case_id=report.id if report else None,
                **_country_and_preview(report, last_texts.get(esc.contact_id)),
            )
        )
    return items


def _last_inbound_texts(session: Session, contact_ids: list[int]) -> dict[int, str]:
    if not contact_ids:
        return {}
    latest = (
        select(func.max(Message.id))
        .where(Message.contact_id.in_(contact_ids), Message.direction == Direction.IN, Message.text.is_not(None))
        .group_by(Message.contact_id)
    )
    return dict(session.execute(select(Message.contact_id, Message.text).where(Message.id.in_(latest))).tuples().all())


def _first_line(text: str | None, limit: int = 90) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _country_and_preview(case: Case | None, last_text: str | None) -> dict[str, str | None]:
    if case is not None:
        details = case.details or {}
        parts = [details.get(k) for k in ("name", "recruiter", "place", "place_date", "story")]
        preview = " · ".join(_first_line(p, 50) for p in parts if isinstance(p, str) and p.strip())
        return {"country": COUNTRY_LABELS.get(case.country or ""), "preview": _first_line(preview)}
    country = country_in(last_text)
    return {"country": COUNTRY_LABELS.get(country) if country else None, "preview": _first_line(last_text)}


def supervisor_alerts(items: Iterable[QueueItem]) -> list[int]:
    """Escalations the SLA check has already escalated to supervisors (the console banner)."""
    return [item.id for item in items if item.alert_level >= 2 and item.status is EscalationStatus.OPEN]


# ---------------------------------------------------------------- one escalation
@dataclass(frozen=True)
class TranscriptLine:
    id: int
    at: datetime
    direction: str  # in | out
    author: str  # the person | bot | a staff username
    kind: str
    text: str
    media: int
    delivery_status: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id, "at": self.at.isoformat(), "direction": self.direction, "author": self.author,
            "kind": self.kind, "text": self.text, "media": self.media, "delivery": self.delivery_status,
        }


@dataclass(frozen=True)
class NoteLine:
    at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class WindowState:
    """WhatsApp's 24-hour window, as staff need to see it before they reply."""

    closed: bool
    template_sid: str | None

    @property
    def mode(self) -> str:
        """text: it goes out now; template: held, the reopening template asks the person to answer
        first; held: held until the person writes again (no template configured)."""
        if not self.closed:
            return "text"
        return "template" if self.template_sid else "held"


@dataclass(frozen=True)
class EscalationView:
    escalation: Escalation
    contact: Contact
    state: ConversationState | None
    claimer: str | None
    case: Case | None
    notes: list[NoteLine]
    window: WindowState


def get(session: Session, escalation_id: int) -> Escalation:
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise LookupError(escalation_id)
    return escalation


def window(contact: Contact, now: datetime, settings: Settings, window_open: WindowOpen) -> WindowState:
    """Whether free text reaches the person now, by their channel's own rule (WhatsApp: 24 hours)."""
    closed = not window_open(contact, now)
    return WindowState(closed, settings.whatsapp.reopen_template_sid if closed else None)


def view(
    session: Session, escalation_id: int, now: datetime, settings: Settings, window_open: WindowOpen
) -> EscalationView:
    escalation = get(session, escalation_id)
    contact = escalation.contact
    conversation = contact.conversation
    notes = session.execute(
        select(EscalationNote, Staff.username)
        .outerjoin(Staff, Staff.id == EscalationNote.staff_id)
        .where(EscalationNote.escalation_id == escalation.id)
        .order_by(EscalationNote.id)
    ).all()
    return EscalationView(
        escalation=escalation,
        contact=contact,
        state=conversation.state if conversation else None,
        claimer=escalation.claimer.username if escalation.claimer else None,
        case=session.get(Case, escalation.case_id) if escalation.case_id else None,
        # A note without a staff member was written by the bot (the person came back after a close).
        notes=[NoteLine(note.created_at, username or "bot", note.text) for note, username in notes],
        window=window(contact, now, settings, window_open),
    )


def transcript(session: Session, contact_id: int, *, after_id: int = 0, limit: int = 500) -> list[TranscriptLine]:
    """The person's messages and every answer (bot and staff), oldest first."""
    rows = session.scalars(
        select(Message)
        .where(Message.contact_id == contact_id, Message.id > after_id)
        .order_by(Message.id.desc())
        .limit(limit)
    ).all()
    staff_ids = {int(m.author.split(":", 1)[1]) for m in rows if m.author and m.author.startswith("staff:")}
    names = dict(session.execute(select(Staff.id, Staff.username).where(Staff.id.in_(staff_ids))).all()) if staff_ids else {}
    lines = []
    for m in reversed(rows):
        if m.direction is Direction.IN:
            author = "pengguna"
        elif m.author and m.author.startswith("staff:"):
            author = names.get(int(m.author.split(":", 1)[1]), m.author)
        else:
            author = "bot"
        lines.append(
            TranscriptLine(
                id=m.id, at=m.created_at, direction=m.direction.value, author=author, kind=m.kind,
                text=m.text or "", media=len(m.media or []), delivery_status=m.delivery_status,
            )
        )
    return lines


def active_staff(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.username)))
