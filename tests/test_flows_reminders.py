"""Abandoned flows are reminded once, then closed (bot/flow_reminders.py), with an injected clock."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import build_app
from bot.channels.local import LocalSender
from bot.config import Settings
from bot.jobs.reminders import JOB_NAME, remind_abandoned
from bot.storage.models import Conversation, ConversationState, OutboxItem
from tests.support import Clock, Dialog


def state(dialog: Dialog) -> Conversation:
    with dialog.app.sessions() as session:
        return session.scalars(select(Conversation)).one()


def reminders(dialog: Dialog) -> list[OutboxItem]:
    with dialog.app.sessions() as session:
        return list(session.scalars(select(OutboxItem).where(OutboxItem.text.like("%belum selesai%"))))


async def test_an_idle_flow_is_reminded_once_then_closed(dialog: Dialog, settings: Settings) -> None:
    await dialog.say("/cek")
    replies = await dialog.press("Perorangan")
    question = replies[0]
    start = state(dialog).last_activity_at
    sessions, texts = dialog.app.sessions, dialog.app.services.texts

    assert remind_abandoned(sessions, settings, texts, start + timedelta(minutes=59)).reminded == 0
    result = remind_abandoned(sessions, settings, texts, start + timedelta(minutes=61))
    assert (result.reminded, result.closed) == (1, 0)
    sent = reminders(dialog)
    assert len(sent) == 1 and "ketik \"batal\"" in sent[0].text
    # The buttons of the question the person left, so a typed "2" still means what it meant.
    assert sent[0].buttons == [{"label": b.label, "payload": b.payload} for b in question.buttons]
    assert remind_abandoned(sessions, settings, texts, start + timedelta(minutes=120)).reminded == 0
    assert len(reminders(dialog)) == 1

    result = remind_abandoned(sessions, settings, texts, start + timedelta(minutes=1441))
    assert (result.reminded, result.closed) == (0, 1)
    conversation = state(dialog)
    assert conversation.state is ConversationState.IDLE and conversation.flow is None
    assert conversation.answers == {} and conversation.offered == []


async def test_answering_after_a_reminder_continues_and_a_new_pause_is_reminded_again(settings: Settings) -> None:
    clock = Clock(frozen=datetime(2026, 11, 28, 8, 0, tzinfo=UTC))  # the bot and the sweep see the same time
    dialog = Dialog(app=build_app(settings, senders={"local": LocalSender(io.StringIO())}, clock=clock,
                                  manage_nlu=False))
    texts = dialog.app.services.texts
    try:
        await dialog.say("/start")
        await dialog.press("English")
        await dialog.say("/check")
        clock.advance(minutes=61)
        assert remind_abandoned(dialog.app.sessions, settings, texts, clock()).reminded == 1
        with dialog.app.sessions() as session:
            english = session.scalars(select(OutboxItem).where(OutboxItem.text.like("%not finished%"))).one()
            assert "type \"cancel\"" in english.text
        clock.advance(minutes=30)
        replies = await dialog.press("A company")  # the person comes back
        assert "pay the recruiter money first" in replies[0].text
        assert state(dialog).state is ConversationState.IN_FLOW
        clock.advance(minutes=59)
        assert remind_abandoned(dialog.app.sessions, settings, texts, clock()).reminded == 0
        clock.advance(minutes=2)
        assert remind_abandoned(dialog.app.sessions, settings, texts, clock()).reminded == 1
        # A day after the last answer (not after the first reminder), it is closed.
        clock.advance(minutes=1440 - 62)
        assert remind_abandoned(dialog.app.sessions, settings, texts, clock()).closed == 0
        clock.advance(minutes=1)
        assert remind_abandoned(dialog.app.sessions, settings, texts, clock()).closed == 1
    finally:
        await dialog.close()


async def test_a_person_not_in_a_flow_gets_no_reminder(dialog: Dialog, settings: Settings) -> None:
    await dialog.say("halo")
    texts = dialog.app.services.texts
    now = datetime.now(UTC) + timedelta(days=2)
    assert remind_abandoned(dialog.app.sessions, settings, texts, now).reminded == 0
    assert remind_abandoned(dialog.app.sessions, settings, texts, now).closed == 0


async def test_the_sweep_is_a_scheduled_job_of_the_app(dialog: Dialog) -> None:
    dialog.app.scheduler.start()
    try:
        assert dialog.app.scheduler.next_run_time(JOB_NAME) is not None
    finally:
        await dialog.app.scheduler.shutdown()
