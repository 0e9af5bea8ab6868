"""Whole dialogs through the production dispatch path, on SQLite and PostgreSQL, with real Rasa."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from bot.chat.inbound import Inbound, Media
from bot.config import Settings
from bot.storage.models import (
    Contact,
    Conversation,
    ConversationState,
    Direction,
    Escalation,
    Message,
    OutboxItem,
    Priority,
)
from tests.support import Dialog, texts


def count(dialog: Dialog, model: type, *where) -> int:
    with dialog.app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_first_contact_asks_language_then_explains_the_bot(dialog: Dialog) -> None:
    replies = await dialog.say("halo")
    assert "Pilih bahasa / Choose your language" in replies[0].text
    assert [b.label for b in replies[0].buttons] == ["Bahasa Indonesia", "English"]

    replies = await dialog.press("English")
    assert "I am a bot (not a person)" in replies[0].text
    assert "Talk to staff" in replies[0].text
    assert any(b.label == "Talk to staff" for b in replies[0].buttons)

    # The language is remembered: the next greeting skips the question and answers in English.
    replies = await dialog.say("hello")
    assert "I am a bot" in replies[0].text


async def test_same_inbound_twice_gets_one_reply(dialog: Dialog) -> None:
    first = await dialog.say("halo", message_id="tg-42")
    second = await dialog.say("halo", message_id="tg-42")
    assert first and second == []
    assert count(dialog, Message, Message.direction == Direction.IN) == 1
    assert count(dialog, OutboxItem) == len(first)


async def test_replies_go_through_the_outbox_to_the_channel(dialog: Dialog) -> None:
    await dialog.say("halo")
    assert count(dialog, OutboxItem, OutboxItem.status == "pending") == 1
    sent = await dialog.app.outbox.drain_once()
    assert sent == 1
    assert "Pilih bahasa / Choose your language" in dialog.out.getvalue()
    assert "1. Bahasa Indonesia" in dialog.out.getvalue()
    assert count(dialog, OutboxItem, OutboxItem.status == "sent") == 1


async def test_conversation_state_survives_a_restart(settings: Settings) -> None:
    first = Dialog.open(settings)
    await first.say("halo")
    await first.press("Bahasa Indonesia")
    replies = await first.say("/hapus")
    assert "Yakin?" in replies[0].text
    await first.close()

    # A new process on the same database: the pending confirmation is still there.
    second = Dialog.open(settings)
    second.last = replies
    replies = await second.press("Ya, hapus")
    assert "Data Anda sudah dihapus" in replies[0].text
    with second.app.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.state is ConversationState.IDLE
        assert session.scalars(select(Contact)).one().language is None
    await second.close()


async def test_urgent_message_escalates_once_with_numbers_to_call(dialog: Dialog) -> None:
    replies = await dialog.say("tolong saya dikurung majikan tidak boleh keluar")
    text = texts(replies)
    assert "diteruskan ke petugas" in text
    assert "Polisi: 110" in text and "SAPA 129" in text
    assert "Hotline Kanwil" not in text  # an unset placeholder is never shown
    await dialog.say("saya dipukul tadi malam")
    with dialog.app.sessions() as session:
        escalations = session.scalars(select(Escalation)).all()
        assert len(escalations) == 1
        assert escalations[0].priority is Priority.URGENT
        state = session.scalars(select(Conversation)).one().state
        assert state is ConversationState.WITH_STAFF


async def test_media_is_stored_and_answered_kindly(dialog: Dialog) -> None:
    inbound = Inbound(
        channel="local", chat_id=dialog.chat_id, message_id=uuid.uuid4().hex, kind="photo",
        media=(Media(kind="photo", file_id="file-1"),),
    )
    result = await dialog.send(inbound)
    assert "hanya bisa membaca teks" in result.replies[0].text
    assert "Polisi: 110" in result.replies[0].text
    with dialog.app.sessions() as session:
        message = session.scalars(select(Message).where(Message.direction == Direction.IN)).one()
        assert message.kind == "photo" and message.media[0]["file_id"] == "file-1"


async def test_empty_and_huge_texts_get_an_answer(dialog: Dialog) -> None:
    replies = await dialog.say("   ")
    assert "Pesan Anda kosong" in replies[0].text
    replies = await dialog.say("kerja " * 5000)
    assert replies, "a huge message still gets a reply"
    with dialog.app.sessions() as session:
        stored = session.scalars(
            select(Message).where(Message.direction == Direction.IN).order_by(Message.id.desc())
        ).first()
        assert stored is not None and len(stored.text or "") == 4000


async def test_i_am_in_danger_button_opens_an_urgent_escalation(dialog: Dialog) -> None:
    from bot.chat.inbound import Inbound as _Inbound

    inbound = _Inbound(
        channel="local", chat_id=dialog.chat_id, message_id=uuid.uuid4().hex, kind="button",
        payload="intent:emergency", text="Saya dalam bahaya sekarang",
    )
    result = await dialog.send(inbound)
    assert "Polisi: 110" in result.replies[0].text
    with dialog.app.sessions() as session:
        assert session.scalars(select(Escalation)).one().priority is Priority.URGENT
