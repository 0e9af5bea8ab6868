"""The staff side of the hotline queue: list, claim, reply, note, reassign, hand back, close, export.

Repository functions take the session and never commit; the caller (console route, staff group)
opens one transaction per action and writes the audit entry in it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, aliased

from bot.answers.texts import Texts
from bot.chat.inbound import Button, Reply
from bot.config import Settings
from bot.hotline import escalations
from bot.hotline.staff import can_supervise
from bot.outbox.enqueue import enqueue
from bot.storage import people
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
    OutboxItem,
    Priority,
    Staff,
)

# Close outcomes (stored value -> what staff read). "ended_by_person" is set by the bot itself.
OUTCOMES = {
    "assisted": "Dibantu, selesai",
    "referred_police": "Dirujuk ke polisi",
    "referred_bp3mi": "Dirujuk ke BP3MI",
    "referred_legal_aid": "Dirujuk ke bantuan hukum (OBH / Posbakum)",
    "referred_other": "Dirujuk ke instansi lain",
    "no_response": "Tidak ada respons",
    "false_alarm": "Bukan keadaan darurat",
    "duplicate": "Duplikat",
}
OUTCOME_LABELS = {**OUTCOMES, "ended_by_person": "Diakhiri oleh pengguna"}
PRIORITY_LABELS = {Priority.URGENT: "MENDESAK", Priority.HIGH: "TINGGI", Priority.NORMAL: "BIASA"}
STATUS_LABELS = {
    EscalationStatus.OPEN: "Menunggu",
    EscalationStatus.CLAIMED: "Ditangani",
    EscalationStatus.CLOSED: "Ditutup",
}
REASON_LABELS = {
    "self_harm": "menyakiti diri",
    "sexual_violence": "kekerasan seksual",
    "confinement": "dikurung / disekap",
    "violence": "kekerasan fisik",
    "threat": "ancaman",
    "sold": "dijual",
    "passport_held_cannot_leave": "paspor ditahan, tidak bisa pergi",
    "danger_now": "dalam bahaya sekarang",
    "emergency": "darurat",
    "request_human": "minta bicara dengan petugas",
    "case": "laporan",
}
CHANNEL_LABELS = {"telegram": "Telegram", "whatsapp": "WhatsApp", "local": "Chat lokal"}
# WhatsApp only lets a business write freely within 24 hours of the person's last message.
WHATSAPP_WINDOW = timedelta(hours=24)
MAX_REPLY = 4000
MAX_NOTE = 4000


class QueueError(Exception):
    """The action cannot be done in the escalation's current state; the message is for staff."""


class NotAllowed(QueueError):
    """This staff member's role does not allow the action."""


def reason_label(reason: str) -> str:
    kind, _, detail = reason.partition(":")
    if kind == "safety" and detail:
        return "Darurat: " + ", ".join(REASON_LABELS.get(r, r) for r in detail.split(","))
    return REASON_LABELS.get(reason, reason).capitalize()


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
        select(Escalation, Contact.channel, claimer.username, Case.number, Conversation.state, last_in.c.at)
        .join(Contact, Contact.id == Escalation.contact_id)
        .outerjoin(claimer, claimer.id == Escalation.claimed_by)
        .outerjoin(Case, Case.id == Escalation.case_id)
        .outerjoin(Conversation, Conversation.contact_id == Escalation.contact_id)
        .outerjoin(last_in, last_in.c.contact_id == Escalation.contact_id)
        .where(Escalation.status.in_(escalations.ACTIVE))
        .order_by(_priority_rank(), Escalation.opened_at, Escalation.id)
    ).all()
    hotline = settings.hotline
    items = []
    for esc, channel, username, case_number, state, last_inbound in rows:
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
                case_number=case_number,
            )
        )
    return items


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


def window(contact: Contact, now: datetime, settings: Settings) -> WindowState:
    if contact.channel != "whatsapp":
        return WindowState(False, None)
    closed = contact.last_inbound_at is None or now - contact.last_inbound_at > WHATSAPP_WINDOW
    return WindowState(closed, settings.whatsapp.reopen_template_sid)


def view(session: Session, escalation_id: int, now: datetime, settings: Settings) -> EscalationView:
    escalation = get(session, escalation_id)
    contact = escalation.contact
    conversation = contact.conversation
    notes = session.execute(
        select(EscalationNote, Staff.username)
        .join(Staff, Staff.id == EscalationNote.staff_id)
        .where(EscalationNote.escalation_id == escalation.id)
        .order_by(EscalationNote.id)
    ).all()
    return EscalationView(
        escalation=escalation,
        contact=contact,
        state=conversation.state if conversation else None,
        claimer=escalation.claimer.username if escalation.claimer else None,
        case=session.get(Case, escalation.case_id) if escalation.case_id else None,
        notes=[NoteLine(note.created_at, username, note.text) for note, username in notes],
        window=window(contact, now, settings),
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


def _require_owner(escalation: Escalation, staff: Staff) -> None:
    if escalation.status is EscalationStatus.CLOSED:
        raise QueueError("Eskalasi ini sudah ditutup.")
    if escalation.claimed_by == staff.id or can_supervise(staff):
        return
    if escalation.status is EscalationStatus.OPEN:
        raise QueueError("Ambil eskalasi ini dulu sebelum membalas atau menutupnya.")
    raise NotAllowed("Eskalasi ini ditangani petugas lain. Minta supervisor untuk mengalihkannya.")


def _tell_person(
    session: Session, escalation: Escalation, texts: Texts, key: str, now: datetime, settings: Settings,
    *, menu_button: bool = False,
) -> None:
    """A system message to the person (not a staff reply); skipped where WhatsApp would refuse it."""
    contact = escalation.contact
    if window(contact, now, settings).closed:
        return
    lang = contact.language or settings.default_language
    buttons = (Button(texts.get("btn_menu", lang), "cmd:menu"),) if menu_button else ()
    enqueue(session, contact, Reply(texts.get(key, lang), buttons))


def _conversation(session: Session, escalation: Escalation) -> Conversation:
    contact = escalation.contact
    return contact.conversation or people.get_conversation(session, contact)


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    owner: str | None


def claim(
    session: Session, escalation_id: int, staff: Staff, now: datetime, settings: Settings, texts: Texts
) -> ClaimResult:
    """Take an open escalation. One conditional UPDATE: of two staff claiming at once, one wins."""
    result = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status == EscalationStatus.OPEN)
        .values(status=EscalationStatus.CLAIMED, claimed_by=staff.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    escalation = get(session, escalation_id)
    session.refresh(escalation)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        owner = escalation.claimer.username if escalation.claimer else None
        return ClaimResult(False, owner)
    conversation = _conversation(session, escalation)
    # A report's escalation finds the person talking to the bot; from now on staff answer them.
    if conversation.state is not ConversationState.WITH_STAFF:
        escalations.hand_to_staff(conversation)
    conversation.answers = {"acked": True}
    _tell_person(session, escalation, texts, "staff_claimed", now, settings)
    return ClaimResult(True, staff.username)


@dataclass(frozen=True)
class ReplyResult:
    item: OutboxItem
    mode: str  # text | template | held (see WindowState.mode)


def reply(
    session: Session,
    escalation: Escalation,
    staff: Staff,
    text: str,
    now: datetime,
    settings: Settings,
    texts: Texts,
) -> ReplyResult:
    """Send the staff member's words to the person's own channel, through the outbox."""
    _require_owner(escalation, staff)
    contact = escalation.contact
    state = window(contact, now, settings)
    lang = contact.language or settings.default_language
    body = text.strip()
    if not body:
        raise QueueError("Balasan kosong.")
    if len(body) > MAX_REPLY:
        raise QueueError(f"Balasan terlalu panjang (maksimal {MAX_REPLY} karakter).")
    # Outside WhatsApp's 24-hour window the WhatsApp sender holds this reply, sends the reopening
    # template first (when configured), and releases the reply once the person answers.
    message = Reply(texts.get("staff_reply", lang, text=body))
    item = enqueue(session, contact, message, author=f"staff:{staff.id}")
    if escalation.claimed_by is None:
        # A supervisor answering an unclaimed one takes it, so nobody else answers in parallel.
        escalation.status = EscalationStatus.CLAIMED
        escalation.claimed_by = staff.id
        escalation.claimed_at = now
    escalation.first_staff_reply_at = escalation.first_staff_reply_at or now
    escalation.last_staff_reply_at = now
    escalation.reply_overdue = False
    conversation = _conversation(session, escalation)
    if conversation.state is not ConversationState.WITH_STAFF:
        escalations.hand_to_staff(conversation)
        conversation.answers = {"acked": True}
    return ReplyResult(item, state.mode)


def add_note(session: Session, escalation: Escalation, staff: Staff, text: str, now: datetime) -> EscalationNote:
    body = text.strip()
    if not body:
        raise QueueError("Catatan kosong.")
    note = EscalationNote(escalation_id=escalation.id, staff_id=staff.id, text=body[:MAX_NOTE], created_at=now)
    session.add(note)
    session.flush()
    return note


def reassign(session: Session, escalation: Escalation, to: Staff, by: Staff, now: datetime) -> None:
    if not can_supervise(by):
        raise NotAllowed("Hanya supervisor atau admin yang bisa mengalihkan eskalasi.")
    if escalation.status is EscalationStatus.CLOSED:
        raise QueueError("Eskalasi ini sudah ditutup.")
    if not to.active:
        raise QueueError("Akun petugas tujuan tidak aktif.")
    escalation.status = EscalationStatus.CLAIMED
    escalation.claimed_by = to.id
    escalation.claimed_at = now
    # The new owner gets the full reply time; the SLA clock for a reply starts again.
    escalation.reply_overdue = False
    conversation = _conversation(session, escalation)
    if conversation.state is not ConversationState.WITH_STAFF:
        escalations.hand_to_staff(conversation)
        conversation.answers = {"acked": True}


def hand_back(
    session: Session, escalation: Escalation, staff: Staff, now: datetime, settings: Settings, texts: Texts
) -> None:
    """The bot answers the person again; the escalation stays with its owner until closed."""
    _require_owner(escalation, staff)
    conversation = _conversation(session, escalation)
    if conversation.state is not ConversationState.WITH_STAFF:
        raise QueueError("Percakapan ini sudah ditangani bot.")
    escalations.hand_back_to_bot(conversation)
    conversation.answers = {}
    _tell_person(session, escalation, texts, "back_to_bot", now, settings, menu_button=True)


def close(
    session: Session,
    escalation: Escalation,
    staff: Staff,
    outcome: str,
    now: datetime,
    settings: Settings,
    texts: Texts,
) -> None:
    if outcome not in OUTCOMES:
        raise QueueError("Pilih hasil penanganan.")
    if escalation.status is EscalationStatus.OPEN and not can_supervise(staff):
        raise QueueError("Ambil eskalasi ini dulu sebelum menutupnya.")
    _require_owner(escalation, staff)
    escalation.status = EscalationStatus.CLOSED
    escalation.closed_at = now
    escalation.outcome = outcome
    if escalation.claimed_by is None:
        escalation.claimed_by = staff.id
    conversation = _conversation(session, escalation)
    if conversation.state is ConversationState.WITH_STAFF:
        escalations.hand_back_to_bot(conversation)
        conversation.answers = {}
        _tell_person(session, escalation, texts, "back_to_bot", now, settings, menu_button=True)


def active_staff(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.username)))


# ---------------------------------------------------------------- export
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
                esc.id, esc.priority.value, esc.reason, channel, esc.opened_at.isoformat(),
                esc.claimed_at.isoformat() if esc.claimed_at else "",
                esc.first_staff_reply_at.isoformat() if esc.first_staff_reply_at else "",
                esc.closed_at.isoformat() if esc.closed_at else "",
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
