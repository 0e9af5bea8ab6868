"""Escalation to the human hotline queue, and the bot staying quiet while staff answer."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from bot.chat.payload import Command
from bot.chat.turn import Turn
from bot.hotline import escalations
from bot.storage.models import Escalation, EscalationStatus, Priority
from bot.understanding.intents import ANSWERED
from handlers import whereabouts
from handlers.flows.reports import file_in_progress

log = logging.getLogger(__name__)
# Staff read notes in Bahasa Indonesia.
STAFF_LANG = "id"
# After a close, the bot answers a message itself only when the NLU is this sure of it.
PLAIN_CONFIDENCE = 0.8
# "ok, makasih", "menu" after a close: the end of the talk, not a new request.
_CLOSING_TALK = frozenset({"thank_you", "goodbye", "affirm", "deny", "ask_menu"})
# Questions the bot answers itself after a close (the reports and a request for staff reopen instead).
_PLAIN_QUESTIONS = ANSWERED | frozenset({
    "check_job_offer", "check_agency", "check_case_status", "change_language", "subscribe_updates",
    "unsubscribe_updates",
})
# A phone number in a message is information for staff ("ini nomor hp majikan 0812..."), not a question.
_PHONE_NUMBER = re.compile(r"\+?\d[\d\s().-]{6,}\d")


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
    """The person writes while staff handle the chat (or lately closed it): staff read it; the bot
    acknowledges once, answers status requests, and repeats the numbers to call when it is urgent."""
    escalation = escalations.active_for(turn.session, turn.contact)
    if escalation is None:
        closed = escalations.recently_closed(turn.session, turn.contact, turn.now, _reopen_window(turn))
        if closed is not None:
            _after_close(turn, closed)
            return
        # Staff closed it elsewhere without handing back: the bot takes over again.
        escalations.hand_back_to_bot(turn.conversation)
        turn.say(turn.t("end_staff_none"), [turn.button("btn_menu", Command("menu"))])
        return
    if turn.decision.urgent:
        if escalation.priority is not Priority.URGENT:
            escalations.raise_priority(turn.session, escalation, Priority.URGENT, _reason(turn))
            log.warning("escalation.raised id=%s contact=%s", escalation.id, turn.contact.id)
            turn.say(turn.t("escalation_urgent"))
        else:
            # Already urgent: staff see the message; the person still gets the numbers, every time.
            turn.say(turn.t("staff_urgent_again"))
        return
    if _asks_status(turn):
        turn.follow("check_case_status")
        return
    if _asks_to_stop_tips(turn):
        # Staff read it too; the subscription ends now, before the next campaign message.
        turn.follow("unsubscribe_updates")
        return
    if escalation.status is EscalationStatus.OPEN and not turn.conversation.answers.get("acked"):
        turn.conversation.answers = {"acked": True}
        # The button says what pressing it does: a non-urgent request nobody took yet is withdrawn.
        label = "btn_end_staff" if escalation.priority is Priority.URGENT else "btn_end_staff_cancel"
        turn.say(turn.t("staff_ack"), [turn.button(label, Command("end_staff"))])


def _reopen_window(turn: Turn) -> timedelta:
    return timedelta(hours=turn.services.settings.hotline.reopen_hours)


def _asks_status(turn: Turn) -> bool:
    """'status KB-2026-000002' typed while staff hold the chat (/status arrives as a pressed command)."""
    u = turn.understanding
    return u.intent == "check_case_status" and u.confidence >= turn.services.settings.nlu.confidence_threshold


def _asks_to_stop_tips(turn: Turn) -> bool:
    """'saya tidak mau terima tips lagi' typed by a subscriber while staff hold the chat."""
    u = turn.understanding
    return (
        turn.contact.subscribed_at is not None
        and u.intent == "unsubscribe_updates"
        and u.confidence >= turn.services.settings.nlu.confidence_threshold
    )


def _after_close(turn: Turn, closed: Escalation) -> None:
    """Staff closed the person's escalation lately and they write again: never leave them unheard.

    "ok, makasih" or "menu" is answered by the bot. A plain question understood surely is answered too,
    and staff get a note on the closed escalation. Anything else (the person carries on the talk with
    staff, sends a photo or a phone number) reopens the same escalation.
    """
    u = turn.understanding
    sure = turn.inbound.kind == "text" and u.intent is not None and u.confidence >= PLAIN_CONFIDENCE
    if sure and u.intent in _CLOSING_TALK:
        turn.follow(u.intent)
        return
    if sure and u.intent in _PLAIN_QUESTIONS and not _PHONE_NUMBER.search(turn.text):
        texts = turn.services.texts
        topic = texts.get(f"intent.{u.intent}", STAFF_LANG) if f"intent.{u.intent}" in texts.strings else u.intent
        escalations.note_return(
            turn.session, closed, texts.get("escalation_note_returned", STAFF_LANG, intent=topic), turn.now
        )
        log.info("escalation.returned id=%s contact=%s intent=%s", closed.id, turn.contact.id, u.intent)
        turn.follow(u.intent)
        return
    escalations.reopen(turn.session, closed, turn.now)
    escalations.hand_to_staff(turn.conversation)
    turn.conversation.answers = {"acked": True}
    log.warning("escalation.reopened id=%s contact=%s", closed.id, turn.contact.id)
    ref = escalations.reference(turn.session, turn.services.texts, closed, turn.lang)
    turn.say(turn.t("escalation_reopened", ref=ref), [turn.button("btn_end_staff", Command("end_staff"))])


def end_staff(turn: Turn) -> None:
    """The person goes back to the bot; they are told what happens to their request, truthfully.

    An unclaimed, non-urgent request nobody answered is withdrawn. An urgent one stays in the queue
    (a mistaken tap, or someone else holding the phone, must not take a person in danger off the
    staff's list), and so does one a staff member holds: they close it.
    """
    escalation = escalations.active_for(turn.session, turn.contact)
    escalations.hand_back_to_bot(turn.conversation)
    turn.conversation.answers = {}
    buttons = [turn.button("btn_menu", Command("menu"))]
    if escalation is None:
        turn.say(turn.t("end_staff_none"), buttons)
        return
    if escalation.status is EscalationStatus.OPEN and escalation.priority is not Priority.URGENT:
        escalations.close(escalation, "ended_by_person", turn.now)
        turn.say(turn.t("end_staff_withdrawn"), buttons)
        return
    ref = escalations.reference(turn.session, turn.services.texts, escalation, turn.lang)
    key = "end_staff_after_talk" if escalation.first_staff_reply_at is not None else "end_staff_queued"
    turn.say(turn.t(key, ref=ref), buttons)
