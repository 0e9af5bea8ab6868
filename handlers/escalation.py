"""Escalation to the human hotline queue, and the bot staying quiet while staff answer."""

from __future__ import annotations

import logging

from bot.chat.payload import Command
from bot.chat.turn import Turn
from bot.hotline import escalations
from bot.storage.models import EscalationStatus, Priority
from handlers import whereabouts
from handlers.flows.reports import file_in_progress

log = logging.getLogger(__name__)


def escalate(turn: Turn) -> None:
    """Open (or join) an escalation; urgent ones get the numbers to call right away."""
    urgent = turn.decision.urgent
    priority = Priority.URGENT if urgent else Priority.NORMAL
    reason = _reason(turn) if urgent else "request_human"
    case = None
    if urgent and turn.conversation.flow:
        # A report in progress is filed (urgent) with what was already answered, never dropped.
        case = file_in_progress(turn, turn.understanding.safety.reasons)
    escalation, created = escalations.open_escalation(
        turn.session, turn.contact, priority=priority, reason=reason, now=turn.now,
        case_id=case.id if case else None,
    )
    escalations.hand_to_staff(turn.conversation)
    log.warning(
        "escalation.%s id=%s contact=%s priority=%s reason=%s",
        "opened" if created else "joined", escalation.id, turn.contact.id, escalation.priority.value, reason,
    )
    if urgent:
        text = urgent_text(turn)
        if case is not None:
            text = f"{turn.t('report_filed_on_urgent', number=case.number)}\n\n{text}"
        turn.say(text, [turn.button("btn_end_staff", Command("end_staff"))])
    elif created:
        turn.say(turn.t("escalation_normal"), [turn.button("btn_end_staff", Command("end_staff"))])
    else:
        turn.say(turn.t("escalation_exists"), [turn.button("btn_end_staff", Command("end_staff"))])


# Numbers for a family in Indonesia reporting a relative in danger: the police and the Kanwil first.
FAMILY_CONTACTS = ("police", "kanwil_hotline", "sapa_129", "kp2mi_call_centre", "legal_aid_queue")
# Someone who may hurt themselves: a counselling line (a placeholder until verified), then emergency numbers.
SELF_HARM_CONTACTS = ("mental_health_line", "police", "emergency_112", "sapa_129")


def urgent_text(turn: Turn) -> str:
    """The first answer to someone in danger, written for who is writing and where they are."""
    reading = turn.understanding.reading
    if "self_harm" in turn.understanding.safety.reasons:
        return turn.t("escalation_self_harm", numbers=_self_harm_numbers(turn))
    if reading.for_someone_else:
        return _family_text(turn)
    abroad = whereabouts.abroad_now(turn)
    if abroad is not None:
        return turn.t(
            "escalation_urgent_abroad",
            place=whereabouts.place_name(turn, abroad),
            local=whereabouts.local_lines(turn, abroad),
        )
    return turn.t("escalation_urgent")


def _self_harm_numbers(turn: Turn) -> str:
    texts = turn.services.texts
    abroad = whereabouts.abroad_now(turn)
    if abroad is None:
        return texts.contact_lines(SELF_HARM_CONTACTS, turn.lang)
    # Abroad, Indonesia's 110 and 112 do not answer: the counselling line, then what works there.
    lines = [texts.contact_lines(("mental_health_line",), turn.lang), whereabouts.local_lines(turn, abroad)]
    return "\n".join(line for line in lines if line)


def _family_text(turn: Turn) -> str:
    """A relative or friend writes: what to collect, not to pay, whom to tell, the mission there."""
    reading = turn.understanding.reading
    parts = [turn.t("escalation_family")]
    if reading.money_demand:
        parts.append(turn.t("family_money"))
    relative_at = reading.place
    local = whereabouts.local_lines(turn, relative_at, for_family=True) if relative_at and relative_at.abroad else ""
    if relative_at is not None and local:
        parts.append(turn.t("family_relative_abroad", place=whereabouts.place_name(turn, relative_at), local=local))
    parts.append(turn.t("family_numbers", numbers=turn.services.texts.contact_lines(FAMILY_CONTACTS, turn.lang)))
    return "\n\n".join(parts)


def _reason(turn: Turn) -> str:
    """What made it urgent, in the words the queue shows staff (safety categories or the NLU)."""
    if turn.understanding.safety.urgent:
        return "safety:" + ",".join(turn.understanding.safety.reasons)
    return "emergency"


def with_staff(turn: Turn) -> None:
    """The person writes while staff handle the chat: staff read it; the bot acknowledges once."""
    escalation = escalations.active_for(turn.session, turn.contact)
    if escalation is None:
        # Staff closed it elsewhere without handing back: the bot takes over again.
        escalations.hand_back_to_bot(turn.conversation)
        turn.say(turn.t("back_to_bot"))
        return
    if turn.decision.urgent and escalation.priority is not Priority.URGENT:
        escalations.raise_priority(turn.session, escalation, Priority.URGENT, _reason(turn))
        log.warning("escalation.raised id=%s contact=%s", escalation.id, turn.contact.id)
        turn.say(turn.t("escalation_urgent"))
        return
    if escalation.status is EscalationStatus.OPEN and not turn.conversation.answers.get("acked"):
        turn.conversation.answers = {"acked": True}
        turn.say(turn.t("staff_ack"), [turn.button("btn_end_staff", Command("end_staff"))])


def end_staff(turn: Turn) -> None:
    """The person ends the conversation with staff; an unclaimed escalation is closed too."""
    escalation = escalations.active_for(turn.session, turn.contact)
    # An urgent escalation stays in the queue: a mistaken tap, or someone else holding the phone,
    # must not take a person in danger off the staff's list.
    if (
        escalation is not None
        and escalation.status is EscalationStatus.OPEN
        and escalation.priority is not Priority.URGENT
    ):
        escalations.close(escalation, "ended_by_person", turn.now)
    escalations.hand_back_to_bot(turn.conversation)
    turn.conversation.answers = {}
    turn.say(turn.t("back_to_bot"), [turn.button("btn_menu", Command("menu"))])
