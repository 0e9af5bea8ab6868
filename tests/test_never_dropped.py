"""Nobody is dropped after staff (issue 11, Seen 4): the closing message, writing back after a close,
status and urgent messages while staff hold the chat, and leaving staff for the bot, told truthfully.

People write through dispatch with the real Rasa server; staff act through the console's routes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.chat.inbound import Inbound
from bot.hotline.escalations import open_escalation
from bot.storage.db import transaction
from bot.storage.models import (
    AuditEntry,
    Case,
    CaseKind,
    Contact,
    Conversation,
    ConversationState,
    EscalationNote,
    EscalationStatus,
    OutboxItem,
    Priority,
)
from tests.conftest import make_settings
from tests.e2e.hotline import Console, Hotline
from tests.support import Clock, RasaServer

STAFF_GROUP = -1001234567890
URGENT = {"id": "tolong saya dikurung majikan, tidak boleh keluar rumah",
          "en": "help me, my employer locked me in the house, I cannot go out"}
# The person carries on the talk with staff after the close (Seen 4's own words, and others).
WRITES_BACK = {
    "id": ["bang masih disitu kah? ini nomor hp majikan 0812345678", "pak saya mau tanya lagi", "halo bang"],
    "en": ["hello are you still there? my employer's number is 0812 3456 7890", "hello?"],
}
PLAIN_QUESTION = {"id": "berapa biaya penempatan ke taiwan?", "en": "how much does it cost to work in taiwan?"}
THANKS = {"id": "ok makasih bang", "en": "thanks a lot"}


@pytest.fixture
async def hotline(tmp_path: Path, database_url: str, rasa_server: RasaServer) -> AsyncIterator[Hotline]:
    """The bot (with the real Rasa server), its console, and a Telegram staff group to read posts from."""
    settings = make_settings(tmp_path, database_url, NLU_URL=rasa_server.url, NLU_TOKEN=rasa_server.token)
    settings = dataclasses.replace(settings, telegram=dataclasses.replace(settings.telegram, staff_group_id=STAFF_GROUP))
    h = Hotline.open(settings, Clock())
    try:
        yield h
    finally:
        await h.close()


async def speaks(hotline: Hotline, lang: str, chat: str = "person-1") -> None:
    """The person picks their language first, as a new user does."""
    await hotline.say(chat, "halo" if lang == "id" else "hello")
    await hotline.say(chat, "English" if lang == "en" else "Bahasa Indonesia", payload=f"lang:{lang}")


def to_person(hotline: Hotline, chat: str = "person-1") -> list[str]:
    """Everything the bot and staff queued for the person, oldest first."""
    with hotline.app.sessions() as session:
        return list(session.scalars(
            select(OutboxItem.text).where(OutboxItem.chat_id == chat).order_by(OutboxItem.id)
        ))


def group_posts(hotline: Hotline) -> list[str]:
    with hotline.app.sessions() as session:
        return list(session.scalars(
            select(OutboxItem.text).where(OutboxItem.chat_id == str(STAFF_GROUP)).order_by(OutboxItem.id)
        ))


def state(hotline: Hotline) -> ConversationState:
    with hotline.app.sessions() as session:
        return session.scalars(select(Conversation)).one().state


async def handled_and_closed(hotline: Hotline, lang: str, outcome: str = "referred_police") -> tuple[Console, int]:
    """An urgent message, claimed, answered and closed by staff."""
    await speaks(hotline, lang)
    await hotline.say("person-1", URGENT[lang])
    ani = hotline.signed_in("ani")
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")
    ani.post(f"/console/e/{escalation_id}/reply", text="Kami sudah hubungi polisi.")
    assert "Eskalasi ditutup." in ani.post(f"/console/e/{escalation_id}/close", outcome=outcome, note="Ditangani").text
    return ani, escalation_id


# ------------------------------------------------------------------------------ the closing message
@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_closing_message_names_the_number_and_what_happens_next(hotline: Hotline, lang: str) -> None:
    _, escalation_id = await handled_and_closed(hotline, lang)
    closing = to_person(hotline)[-1]
    if lang == "id":
        assert "Percakapan dengan petugas selesai" in closing
        assert f"nomor {escalation_id}" in closing
        assert "diteruskan ke polisi" in closing
        assert "balas saja di sini dalam 72 jam" in closing
    else:
        assert "The conversation with staff has ended" in closing
        assert f"number {escalation_id}" in closing
        assert "passed to the police" in closing
        assert "within 72 hours" in closing


async def test_closing_a_report_names_its_case_number_even_after_a_hand_back(hotline: Hotline) -> None:
    await hotline.say("reporter", "halo")
    await hotline.say("reporter", "Bahasa Indonesia", payload="lang:id")
    with transaction(hotline.app.sessions) as session:
        contact = session.scalars(select(Contact)).one()
        case = Case(number="KB-2026-000042", kind=CaseKind.TRAFFICKING, contact_id=contact.id, details={})
        session.add(case)
        session.flush()
        open_escalation(session, contact, priority=Priority.HIGH, reason="case", now=hotline.clock(), case_id=case.id)
    ani = hotline.signed_in("ani")
    escalation_id = ani.queue()[0]["id"]
    ani.post(f"/console/e/{escalation_id}/claim")
    ani.post(f"/console/e/{escalation_id}/handback")
    before = len(to_person(hotline, "reporter"))
    # The chat was already back with the bot: before, closing it told the person nothing.
    ani.post(f"/console/e/{escalation_id}/close", outcome="referred_bp3mi", note="Diteruskan ke BP3MI")
    closing = to_person(hotline, "reporter")[before:]
    assert len(closing) == 1
    assert "laporan KB-2026-000042" in closing[0] and "diteruskan ke BP3MI" in closing[0]
    assert "status KB-2026-000042" in closing[0]


# ------------------------------------------------------------------------------ writing back after a close
@pytest.mark.parametrize("lang", ["id", "en"])
async def test_writing_back_after_a_close_reopens_the_same_escalation(hotline: Hotline, lang: str) -> None:
    ani, escalation_id = await handled_and_closed(hotline, lang)
    for n, text in enumerate(WRITES_BACK[lang]):
        result = await hotline.say("person-1", text)
        reply = "\n".join(r.text for r in result.replies)
        if n == 0:
            # Reopened: back in the queue under the same number, and the person is told so.
            expected = "sudah saya teruskan lagi ke petugas" if lang == "id" else "passed your message to the Kanwil staff again"
            assert expected in reply, (text, reply)
            assert (f"nomor {escalation_id}" if lang == "id" else f"number {escalation_id}") in reply
            assert "belum yakin" not in reply and "not sure" not in reply
            [item] = ani.queue()
            assert item["id"] == escalation_id and item["status"] == "open"
            assert state(hotline) is ConversationState.WITH_STAFF
            assert any("dibuka lagi" in post for post in group_posts(hotline))
        else:
            assert "belum yakin" not in reply and "not sure" not in reply, (text, reply)
        assert text in [line["text"] for line in ani.messages(escalation_id) if line["direction"] == "in"]
        # Staff close it again: the next message from the person reopens it again.
        ani.post(f"/console/e/{escalation_id}/claim")
        ani.post(f"/console/e/{escalation_id}/close", outcome="assisted", note="Sudah dibantu")
        assert ani.queue() == []
    with hotline.app.sessions() as session:
        assert session.query(AuditEntry).filter_by(action="reopen").count() == len(WRITES_BACK[lang])


async def test_a_photo_after_a_close_reopens_it(hotline: Hotline) -> None:
    ani, escalation_id = await handled_and_closed(hotline, "id")
    result = await hotline.app.dispatcher.dispatch(
        Inbound(channel="local", chat_id="person-1", message_id="photo-1", kind="photo")
    )
    assert "teruskan lagi ke petugas" in result.replies[0].text
    assert [item["id"] for item in ani.queue()] == [escalation_id]


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_plain_question_after_a_close_is_answered_and_staff_get_a_note(hotline: Hotline, lang: str) -> None:
    ani, escalation_id = await handled_and_closed(hotline, lang)
    result = await hotline.say("person-1", PLAIN_QUESTION[lang])
    reply = "\n".join(r.text for r in result.replies)
    assert result.decision is not None and result.decision.intent == "ask_costs"
    assert "belum yakin" not in reply and "not sure" not in reply and "teruskan lagi" not in reply
    assert ani.queue() == []  # still closed: the bot answered
    page = ani.get(f"/console/e/{escalation_id}").text
    assert "menulis lagi setelah eskalasi ditutup" in page and "Biaya penempatan" in page
    assert any("menulis lagi; bot menjawab" in post for post in group_posts(hotline))


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_thanks_after_a_close_is_answered_without_reopening(hotline: Hotline, lang: str) -> None:
    ani, escalation_id = await handled_and_closed(hotline, lang)
    with hotline.app.sessions() as session:
        closing_notes = session.scalars(select(EscalationNote)).all()  # the urgent close's own note
    result = await hotline.say("person-1", THANKS[lang])
    assert result.decision is not None and result.decision.intent == "thank_you"
    assert result.replies and ("Sama-sama" in result.replies[0].text or "welcome" in result.replies[0].text)
    assert ani.queue() == []
    with hotline.app.sessions() as session:  # a thank-you is no question for staff: no new note
        assert len(session.scalars(select(EscalationNote)).all()) == len(closing_notes)
    # "menu", as the closing message suggests, shows the menu.
    result = await hotline.say("person-1", "menu")
    assert result.replies and result.replies[0].buttons and ani.queue() == []


async def test_after_the_reopen_window_the_bot_answers_as_usual(hotline: Hotline) -> None:
    ani, _ = await handled_and_closed(hotline, "id")
    hotline.clock.advance(hours=73)
    result = await hotline.say("person-1", WRITES_BACK["id"][0])
    assert "teruskan lagi" not in "\n".join(r.text for r in result.replies)
    assert ani.queue() == []


async def test_a_request_the_person_ended_themselves_is_not_reopened(hotline: Hotline) -> None:
    await speaks(hotline, "id")
    await hotline.say("person-1", "/petugas")
    await hotline.say("person-1", "Batalkan, kembali ke bot", payload="cmd:end_staff")
    result = await hotline.say("person-1", "halo bang")
    assert "teruskan lagi" not in "\n".join(r.text for r in result.replies)
    assert [e.status for e in hotline.escalations()] == [EscalationStatus.CLOSED]


# ------------------------------------------------------------------------------ while staff hold the chat
@pytest.mark.parametrize("lang", ["id", "en"])
async def test_status_is_answered_while_staff_hold_the_chat(hotline: Hotline, lang: str) -> None:
    await speaks(hotline, lang, "reporter")
    with transaction(hotline.app.sessions) as session:
        contact = session.scalars(select(Contact)).one()
        case = Case(number="KB-2026-000002", kind=CaseKind.TRAFFICKING, contact_id=contact.id, details={})
        session.add(case)
        session.flush()
        open_escalation(session, contact, priority=Priority.HIGH, reason="case", now=hotline.clock(), case_id=case.id)
    ani = hotline.signed_in("ani")
    ani.post(f"/console/e/{ani.queue()[0]['id']}/claim")
    waiting = "Diterima, menunggu petugas" if lang == "id" else "Received, waiting for staff"
    for typed in ("status KB-2026-000002", "/status", "cek status laporan saya" if lang == "id" else "status of my report"):
        result = await hotline.say("reporter", typed)
        reply = "\n".join(r.text for r in result.replies)
        assert "KB-2026-000002" in reply and waiting in reply, (typed, reply)
        assert state(hotline) is ConversationState.WITH_STAFF  # staff still hold the chat
    # Someone else's (or no) case gets the same answer as a wrong number.
    result = await hotline.say("reporter", "status KB-2026-000999")
    assert "KB-2026-000999" in result.replies[0].text


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_every_urgent_message_with_staff_gets_the_numbers_to_call(hotline: Hotline, lang: str) -> None:
    await speaks(hotline, lang)
    await hotline.say("person-1", URGENT[lang])
    ani = hotline.signed_in("ani")
    ani.post(f"/console/e/{ani.queue()[0]['id']}/claim")
    again = {"id": ["dia pukul saya lagi, tolong", "saya dikurung lagi di kamar"],
             "en": ["he is beating me again, help", "they locked me in the room again"]}
    for text in again[lang]:
        result = await hotline.say("person-1", text)
        assert result.replies, text
        assert "110" in result.replies[0].text and ("MENDESAK" in result.replies[0].text or "URGENT" in result.replies[0].text)
    assert state(hotline) is ConversationState.WITH_STAFF


# ------------------------------------------------------------------------------ back to the bot
@pytest.mark.parametrize("lang", ["id", "en"])
async def test_back_to_the_bot_says_what_happens_to_the_request(hotline: Hotline, lang: str) -> None:
    ended = "Percakapan dengan petugas selesai" if lang == "id" else "conversation with staff has ended"
    await speaks(hotline, lang)
    ani = hotline.signed_in("ani")

    # Nobody took a normal request yet: it is withdrawn, and the button said so.
    await hotline.say("person-1", "/petugas")
    result = await hotline.say("person-1", "1")  # the button under the answer
    reply = result.replies[0].text
    assert ended not in reply
    assert ("saya batalkan" in reply) if lang == "id" else ("cancelled" in reply)
    assert hotline.escalations()[-1].outcome == "ended_by_person"

    # Urgent and unclaimed: it stays in the queue, and the person is told so.
    await hotline.say("person-1", URGENT[lang])
    result = await hotline.say("person-1", "/selesai")
    reply = result.replies[0].text
    assert ended not in reply and ("tetap di antrean" in reply if lang == "id" else "stays in the staff queue" in reply)
    [item] = ani.queue()
    assert item["status"] == "open"

    # Claimed, no staff reply yet: still queued, never "ended".
    ani.post(f"/console/e/{item['id']}/claim")
    result = await hotline.say("person-1", "/selesai")
    reply = result.replies[0].text
    assert ended not in reply and ("tetap di antrean" in reply if lang == "id" else "stays in the staff queue" in reply)

    # Staff spoke: the conversation is not closed until staff close it.
    ani.post(f"/console/e/{item['id']}/reply", text="Kami di sini.")
    result = await hotline.say("person-1", "/selesai")
    reply = result.replies[0].text
    assert ended not in reply and ("belum ditutup" in reply if lang == "id" else "is not closed" in reply)
    assert ani.queue()[0]["with_bot"] is True
