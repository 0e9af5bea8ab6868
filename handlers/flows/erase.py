"""Delete my data (/hapus): ask to confirm, then erase what the bot holds about the person."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from bot.chat.payload import Command, FlowAnswer
from bot.chat.turn import Turn
from bot.hotline import escalations
from bot.storage import people
from bot.storage.models import (
    AuditEntry,
    Case,
    CaseStatus,
    EscalationStatus,
    Message,
    OutboxItem,
    OutboxStatus,
)

log = logging.getLogger(__name__)
NAME = "erase"


def start(turn: Turn) -> None:
    """Explain what will be deleted and ask to confirm."""
    people.enter_flow(turn.conversation, NAME, "confirm")
    turn.say(
        turn.t("erase_confirm"),
        [turn.button("btn_erase_yes", FlowAnswer(NAME, "yes")), turn.button("btn_erase_no", FlowAnswer(NAME, "no"))],
    )


def resume(turn: Turn, answer: FlowAnswer | None) -> None:
    if answer is not None and answer.choice == "yes":
        erase_contact_data(turn)
        return
    people.leave_flow(turn.conversation)
    turn.say(turn.t("erase_kept"), [turn.button("btn_menu", Command("menu"))])


def erase_contact_data(turn: Turn) -> None:
    """Erase transcript, report details and preferences; keep only anonymous case numbers."""
    session, contact, now = turn.session, turn.contact, turn.now
    session.execute(delete(OutboxItem).where(OutboxItem.contact_id == contact.id, OutboxItem.status == OutboxStatus.PENDING))
    session.execute(delete(Message).where(Message.contact_id == contact.id))
    for case in session.scalars(select(Case).where(Case.contact_id == contact.id)):
        # Staff keep the case number and status for their records, nothing about the people.
        case.details = {"erased": True}
        case.contact_id = None
        if case.status is not CaseStatus.CLOSED:
            case.status = CaseStatus.CLOSED
            case.closed_at = now
    escalation = escalations.active_for(session, contact)
    if escalation is not None:
        escalation.status = EscalationStatus.CLOSED
        escalation.closed_at = now
        escalation.outcome = "erased_on_request"
    turn.say(turn.t("erased"))  # in the person's language, before it is forgotten
    contact.display_name = None
    contact.language = None
    contact.consent_at = None
    contact.subscribed_at = None
    people.leave_flow(turn.conversation)
    escalations.hand_back_to_bot(turn.conversation)
    session.add(AuditEntry(action="erase_on_request", target_type="contact", target_id=contact.id, at=now))
    log.info("privacy.erased contact=%s", contact.id)
