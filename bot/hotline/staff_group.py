"""The optional Telegram staff group: new escalations posted with a Claim button; replying to a post
answers the person. Everything goes through the same commands as the console (bot.hotline.commands),
so both stay in step. Posts carry no message text or names: the group lives on Telegram's servers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.answers.texts import Texts
from bot.chat.inbound import Button, Reply
from bot.config import Settings
from bot.hotline import audit, commands, escalations
from bot.hotline.labels import CHANNEL_LABELS, PRIORITY_LABELS, reason_label
from bot.outbox.enqueue import enqueue_raw
from bot.outbox.sender import WindowOpen
from bot.storage.db import transaction
from bot.storage.models import Case, Escalation, EscalationStatus, OutboxItem, Priority, Staff

if TYPE_CHECKING:
    import telegram

log = logging.getLogger(__name__)
CHANNEL = "telegram"
CLAIM_PREFIX = "staff:claim:"
# What the audit log records as where a staff action came from.
VIA = "telegram"
# Staff read the group in Bahasa Indonesia.
LANG = "id"
MARKERS = {Priority.URGENT: "🚨", Priority.HIGH: "⚠️", Priority.NORMAL: "💬"}


def console_link(settings: Settings, escalation_id: int) -> str:
    return _link(settings, f"/console/e/{escalation_id}")


def case_link(settings: Settings, case_id: int) -> str:
    return _link(settings, f"/console/c/{case_id}")


def _link(settings: Settings, path: str) -> str:
    return f"{settings.public_url}{path}" if settings.public_url else f"konsol staf {path}"


@dataclass
class StaffGroup:
    chat_id: int
    settings: Settings
    texts: Texts
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    wake: Callable[[], None]
    window_open: WindowOpen

    # ------------------------------------------------------------ posts (inside the caller's transaction)
    def post(
        self,
        session: Session,
        key: str,
        escalation_id: int,
        *,
        buttons: tuple[Button, ...] = (),
        reply_to: int | None = None,
        **values: Any,
    ) -> OutboxItem:
        extra: dict[str, Any] = {"escalation_id": escalation_id, "staff_group": key}
        if reply_to is not None:
            extra["reply_to_message_id"] = reply_to
        text = self.texts.get(key, LANG, id=escalation_id, link=console_link(self.settings, escalation_id), **values)
        return enqueue_raw(session, CHANNEL, str(self.chat_id), Reply(text, buttons), extra=extra)

    def post_about_case(self, session: Session, key: str, case_id: int, **values: Any) -> OutboxItem:
        """A post about a report, not an escalation: nothing to claim or answer; its link opens the case sheet."""
        text = self.texts.get(key, LANG, link=case_link(self.settings, case_id), **values)
        return enqueue_raw(session, CHANNEL, str(self.chat_id), Reply(text), extra={"case_id": case_id, "staff_group": key})

    def on_escalation(self, session: Session, escalation: Escalation, event: str) -> None:
        """Listener for bot.escalations: a new, newly urgent, reopened or returned-to escalation appears in the group."""
        priority = PRIORITY_LABELS[escalation.priority]
        reason = reason_label(escalation.reason)
        if event == "raised":
            self.post(session, "staff_group_raised", escalation.id, reply_to=escalation.staff_group_message_id,
                      priority=priority, reason=reason)
            return
        if event == "returned":
            self.post(session, "staff_group_returned", escalation.id, reply_to=escalation.staff_group_message_id)
            return
        case_number = session.scalar(select(Case.number).where(Case.id == escalation.case_id)) if escalation.case_id else None
        if event == "reopened":
            # A new Claim button: the reopened escalation is unclaimed again.
            self.post(
                session, "staff_group_reopened", escalation.id,
                buttons=(Button(self.texts.get("btn_staff_claim", LANG), f"{CLAIM_PREFIX}{escalation.id}"),),
                reply_to=escalation.staff_group_message_id, priority=priority,
                case=f"\nLaporan: {case_number}" if case_number else "",
            )
            return
        channel = CHANNEL_LABELS.get(escalation.contact.channel, escalation.contact.channel)
        self.post(
            session, "staff_group_new", escalation.id,
            buttons=(Button(self.texts.get("btn_staff_claim", LANG), f"{CLAIM_PREFIX}{escalation.id}"),),
            marker=MARKERS[escalation.priority], priority=priority, reason=reason, channel=channel,
            case=f"\nLaporan: {case_number}" if case_number else "",
        )

    def message_id_of(self, session: Session, escalation: Escalation) -> int | None:
        """The group post a follow-up should reply to: the one staff claimed from, else the first."""
        if escalation.staff_group_message_id is not None:
            return escalation.staff_group_message_id
        for item in session.scalars(
            select(OutboxItem)
            .where(OutboxItem.channel == CHANNEL, OutboxItem.chat_id == str(self.chat_id),
                   OutboxItem.provider_message_id.is_not(None))
            .order_by(OutboxItem.id)
        ):
            if (item.extra or {}).get("escalation_id") == escalation.id and item.provider_message_id:
                # The Telegram sender names a sent message "<chat id>:<message id>".
                tail = item.provider_message_id.rpartition(":")[2]
                return int(tail) if tail.isdigit() else None
        return None

    def escalation_for_post(self, session: Session, message_id: int) -> Escalation | None:
        escalation = session.scalars(
            select(Escalation).where(Escalation.staff_group_message_id == message_id)
        ).first()
        if escalation is not None:
            return escalation
        item = session.scalars(
            select(OutboxItem).where(
                OutboxItem.channel == CHANNEL, OutboxItem.chat_id == str(self.chat_id),
                OutboxItem.provider_message_id.in_([f"{self.chat_id}:{message_id}", str(message_id)]),
            )
        ).first()
        escalation_id = (item.extra or {}).get("escalation_id") if item is not None else None
        return session.get(Escalation, escalation_id) if escalation_id else None

    # ------------------------------------------------------------ updates from the group
    async def handle(self, update: telegram.Update) -> None:
        """Act on a Claim button or on a reply to one of our posts; ignore the group's other chatter."""
        if update.callback_query is not None:
            answer = await asyncio.to_thread(self._claim_from_button, update.callback_query)
            await self._answer_callback(update.callback_query, answer)
        else:
            message = update.effective_message
            if message is None or message.reply_to_message is None or message.from_user is None:
                return
            if not message.text:
                return
            await asyncio.to_thread(self._reply_from_group, message)
        self.wake()

    def _staff(self, session: Session, telegram_user_id: int) -> Staff | None:
        return session.scalars(
            select(Staff).where(Staff.telegram_user_id == telegram_user_id, Staff.active.is_(True))
        ).one_or_none()

    def _claim_from_button(self, query: telegram.CallbackQuery) -> str:
        data = query.data or ""
        if not data.startswith(CLAIM_PREFIX) or not data[len(CLAIM_PREFIX):].isdigit():
            return ""
        escalation_id = int(data[len(CLAIM_PREFIX):])
        post_id = query.message.message_id if query.message is not None else None
        now = self.clock()
        with transaction(self.sessions) as session:
            staff = self._staff(session, query.from_user.id)
            if staff is None:
                return self.texts.get("staff_group_unlinked", LANG, user_id=query.from_user.id)
            escalation = session.get(Escalation, escalation_id)
            if escalation is None:
                return ""
            if post_id is not None and escalation.staff_group_message_id is None:
                escalation.staff_group_message_id = post_id
            result = commands.claim(session, escalation_id, staff, now, self.settings, self.texts, self.window_open, via=VIA)
            if not result.won:
                return self.texts.get("staff_group_already", LANG, id=escalation_id, staff=result.owner or "-")
            self.post(session, "staff_group_claimed", escalation_id, reply_to=post_id, staff=staff.username)
            log.info("staff_group.claim escalation=%s staff=%s", escalation_id, staff.id)
            return self.texts.get("staff_group_claimed", LANG, id=escalation_id, staff=staff.username)

    def _reply_from_group(self, message: telegram.Message) -> None:
        assert message.reply_to_message is not None and message.from_user is not None
        now = self.clock()
        with transaction(self.sessions) as session:
            escalation = self.escalation_for_post(session, message.reply_to_message.message_id)
            if escalation is None:
                return  # a reply to some other message in the group
            staff = self._staff(session, message.from_user.id)
            if staff is None:
                self.post(session, "staff_group_unlinked", escalation.id, reply_to=message.message_id,
                          user_id=message.from_user.id)
                return
            problem = self._send(session, escalation, staff, message.text or "", now)
            if problem:
                self.post(session, "staff_group_refused", escalation.id, reply_to=message.message_id,
                          problem=problem)
            else:
                self.post(session, "staff_group_sent", escalation.id, reply_to=message.message_id)

    def _send(self, session: Session, escalation: Escalation, staff: Staff, text: str, now: datetime) -> str | None:
        """Claim if nobody has yet, then reply; the problem in words when it cannot be done."""
        if escalation.claimed_by is None and escalation.status is not EscalationStatus.CLOSED:
            commands.claim(session, escalation.id, staff, now, self.settings, self.texts, self.window_open, via=VIA)
            session.refresh(escalation)
        try:
            sent = commands.reply(session, escalation, staff, text, now, self.settings, self.texts, self.window_open)
        except commands.QueueError as exc:
            return str(exc)
        audit.record(session, "reply", staff_id=staff.id, now=now, target_type="escalation",
                     target_id=escalation.id, via=VIA, mode=sent.mode)
        if sent.mode != "text":
            return ("belum: di luar jendela 24 jam WhatsApp. Balasan ditahan dan terkirim otomatis "
                    "setelah orangnya menulis lagi.")
        return None

    async def _answer_callback(self, query: telegram.CallbackQuery, text: str) -> None:
        # Stops the spinner on the button; it is a courtesy, so failures are only logged.
        try:
            await query.answer(text[:190] or None)
        except Exception as exc:  # no bot attached, network, or the query is too old
            log.info("staff_group.answer_callback_failed error=%s", exc)


def connect(
    settings: Settings,
    texts: Texts,
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    wake: Callable[[], None],
    window_open: WindowOpen,
) -> StaffGroup | None:
    """The staff group when telegram.staff_group_id is configured, told of every new escalation.

    Escalations notify their listeners inside the transaction that opened them, from any caller.
    """
    chat_id = settings.telegram.staff_group_id
    if chat_id is None:
        return None
    group = StaffGroup(
        chat_id=chat_id, settings=settings, texts=texts, sessions=sessions, clock=clock, wake=wake,
        window_open=window_open,
    )
    listeners = sessions.kw.setdefault("info", {}).setdefault(escalations.LISTENERS, [])
    listeners.append(group.on_escalation)
    return group
