"""What staff do to an escalation: claim, reply, note, reassign, hand back, close, change its case's status.

Repository functions take the session and never commit; the caller (console route, staff group)
opens one transaction per action. Claiming writes its own audit entry (claim-with-audit is one
operation); for the other actions the caller records the entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.answers.texts import Texts
from bot.chat.inbound import Button, Reply
from bot.config import Settings
from bot.hotline import audit, cases, escalations
from bot.hotline.labels import OUTCOMES
from bot.hotline.queries import get, window
from bot.hotline.staff import can_supervise
from bot.outbox.enqueue import enqueue
from bot.outbox.sender import WindowOpen
from bot.storage import people
from bot.storage.models import (
    Case,
    CaseStatus,
    Conversation,
    ConversationState,
    Escalation,
    EscalationNote,
    EscalationStatus,
    OutboxItem,
    Priority,
    Staff,
)

MAX_REPLY = 4000
MAX_NOTE = 4000
URGENT_NOTE_NEEDED = "Eskalasi mendesak: tulis catatan penutupan (apa yang terjadi dan tindak lanjutnya)."



class QueueError(Exception):
    """The action cannot be done in the escalation's current state; the message is for staff."""


class NotAllowed(QueueError):
    """This staff member's role does not allow the action."""


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
    window_open: WindowOpen, *, menu_button: bool = False,
) -> None:
    """A system message to the person (not a staff reply); skipped where WhatsApp would refuse it."""
    contact = escalation.contact
    if window(contact, now, settings, window_open).closed:
        return
    lang = contact.language or settings.default_language
    buttons = (Button(texts.get("btn_menu", lang), "cmd:menu"),) if menu_button else ()
    enqueue(session, contact, Reply(texts.get(key, lang), buttons))


def _tell_closed(
    session: Session, escalation: Escalation, texts: Texts, now: datetime, settings: Settings, window_open: WindowOpen,
) -> None:
    """The closing message: which conversation (its number), what happens next, and how to come back.

    No buttons: it may arrive in the middle of something else, where a typed "1" would mean another choice.
    """
    contact = escalation.contact
    if window(contact, now, settings, window_open).closed:
        return
    lang = contact.language or settings.default_language
    text = texts.get(
        "escalation_closed", lang,
        ref=escalations.reference(session, texts, escalation, lang),
        next=texts.get(f"closing_next.{escalation.outcome}", lang),
        hours=f"{settings.hotline.reopen_hours:g}",
    )
    number = escalations.case_number(session, escalation)
    if number:
        text = f"{text}\n{texts.get('escalation_closed_case', lang, number=number)}"
    enqueue(session, contact, Reply(text))


def _conversation(session: Session, escalation: Escalation) -> Conversation:
    contact = escalation.contact
    return contact.conversation or people.get_conversation(session, contact)


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    owner: str | None


def claim(
    session: Session,
    escalation_id: int,
    staff: Staff,
    now: datetime,
    settings: Settings,
    texts: Texts,
    window_open: WindowOpen,
    *,
    ip: str | None = None,
    via: str | None = None,
) -> ClaimResult:
    """Take an open escalation and audit it. One conditional UPDATE: of two staff claiming at once, one wins.

    `ip` (console) or `via` (e.g. "telegram" for the staff group) say in the audit entry where it came from.
    """
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
    _tell_person(session, escalation, texts, "staff_claimed", now, settings, window_open)
    audit.record(session, "claim", staff_id=staff.id, now=now, target_type="escalation", target_id=escalation_id,
                 ip=ip, via=via)
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
    window_open: WindowOpen,
) -> ReplyResult:
    """Send the staff member's words to the person's own channel, through the outbox."""
    _require_owner(escalation, staff)
    contact = escalation.contact
    state = window(contact, now, settings, window_open)
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
    session: Session, escalation: Escalation, staff: Staff, now: datetime, settings: Settings, texts: Texts,
    window_open: WindowOpen,
) -> None:
    """The bot answers the person again; the escalation stays with its owner until closed."""
    _require_owner(escalation, staff)
    conversation = _conversation(session, escalation)
    if conversation.state is not ConversationState.WITH_STAFF:
        raise QueueError("Percakapan ini sudah ditangani bot.")
    escalations.hand_back_to_bot(conversation)
    conversation.answers = {}
    _tell_person(session, escalation, texts, "back_to_bot", now, settings, window_open, menu_button=True)


def close(
    session: Session,
    escalation: Escalation,
    staff: Staff,
    outcome: str,
    now: datetime,
    settings: Settings,
    texts: Texts,
    window_open: WindowOpen,
    note: str = "",
) -> None:
    """Close with an outcome; an urgent one also needs a note saying what happened (kept as an internal note)."""
    if outcome not in OUTCOMES:
        raise QueueError("Pilih hasil penanganan.")
    if escalation.priority is Priority.URGENT and not note.strip():
        raise QueueError(URGENT_NOTE_NEEDED)
    if escalation.status is EscalationStatus.OPEN and not can_supervise(staff):
        raise QueueError("Ambil eskalasi ini dulu sebelum menutupnya.")
    _require_owner(escalation, staff)
    escalations.close(escalation, outcome, now, staff_id=staff.id)
    if note.strip():
        add_note(session, escalation, staff, f"Ditutup ({OUTCOMES[outcome]}): {note.strip()}", now)
    conversation = _conversation(session, escalation)
    if conversation.state is ConversationState.WITH_STAFF:
        escalations.hand_back_to_bot(conversation)
        conversation.answers = {}
    # Whether staff held the chat or had handed it back, the person learns it is closed and how to come back.
    _tell_closed(session, escalation, texts, now, settings, window_open)


def change_case_status(
    session: Session,
    escalation: Escalation,
    status: str,
    staff: Staff,
    now: datetime,
    texts: Texts,
    *,
    ip: str | None = None,
) -> tuple[Case, bool]:
    """Change the status of the report behind an escalation; bot.hotline.cases tells the reporter.

    Returns the case and whether its status changed. Like a reply or closing, only the escalation's
    owner or a supervisor may: the reporter is told of every change.
    """
    _require_owner(escalation, staff)
    case = session.get(Case, escalation.case_id) if escalation.case_id else None
    if case is None:
        raise QueueError("Eskalasi ini tidak punya laporan.")
    try:
        new_status = CaseStatus(status)
    except ValueError:
        raise QueueError("Pilih status laporan.") from None
    # The audit entry bot.hotline.cases writes also says where the change came from.
    changed = cases.set_status(session, case, new_status, staff, now, texts=texts, ip=ip, escalation=escalation.id)
    return case, changed
