"""Dispatch when things go wrong: a handler that raises, and one person's first messages arriving at
two replicas at once (two apps on one database), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import func, select

from bot.app import App, build_app
from bot.chat.dispatch import Dispatcher, Handler
from bot.chat.inbound import Inbound
from bot.chat.router import Route
from bot.storage.models import Contact, Conversation, Direction, Message, OutboxItem
from handlers.registry import resolve_handler
from tests.conftest import make_settings
from tests.fakes.bot import closed_nlu


def count(app: App, model: type, *where: object) -> int:
    with app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def message(chat: str, text: str) -> Inbound:
    return Inbound(channel="local", chat_id=chat, message_id=uuid.uuid4().hex, text=text)


async def test_a_failing_handler_leaves_the_message_stored_and_the_person_gets_a_kind_reply(
    tmp_path: Path, database_url: str
) -> None:
    app = build_app(make_settings(tmp_path, database_url, **closed_nlu()), manage_nlu=False)

    def failing(route: Route) -> Handler:
        real = resolve_handler(route)

        def handler(turn):  # type: ignore[no-untyped-def]
            real(turn)  # its replies and database changes must be undone
            turn.conversation.flow = "half-done"
            raise RuntimeError("a bug in a handler")

        return handler

    dispatcher = Dispatcher(app.services, app.sessions, app.understander, failing)
    try:
        result = await dispatcher.dispatch(message("person-1", "halo"))
        assert [r.text.split("\n")[0] for r in result.replies] == [
            "Maaf, terjadi kesalahan di sistem kami. Pesan Anda tersimpan. Coba lagi atau ketik \"menu\"."
        ]
        assert count(app, Message, Message.direction == Direction.IN, Message.text == "halo") == 1
        assert count(app, OutboxItem) == 1  # only the kind reply
        assert count(app, Conversation, Conversation.flow == "half-done") == 0
    finally:
        await app.aclose()


async def test_first_messages_of_one_person_at_two_replicas_at_once_are_both_answered(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, **closed_nlu())
    one, two = build_app(settings, manage_nlu=False), build_app(settings, manage_nlu=False)
    try:
        for n in range(5):
            chat = f"new-person-{n}"
            results = await asyncio.gather(
                one.dispatcher.dispatch(message(chat, "halo")), two.dispatcher.dispatch(message(chat, "menu"))
            )
            assert all(r.stored and not r.duplicate and r.replies for r in results)
            assert count(one, Contact, Contact.external_id == chat) == 1
            contact_messages = (
                select(func.count()).select_from(Message).join(Contact, Contact.id == Message.contact_id)
                .where(Contact.external_id == chat, Message.direction == Direction.IN)
            )
            with one.sessions() as session:
                assert session.scalar(contact_messages) == 2
        # The same delivery at both replicas: stored and answered once.
        repeated = message("new-person-0", "halo lagi")
        results = await asyncio.gather(one.dispatcher.dispatch(repeated), two.dispatcher.dispatch(repeated))
        assert sorted(r.duplicate for r in results) == [False, True]
        assert count(one, Message, Message.channel_message_id == repeated.message_id) == 1
    finally:
        await one.aclose()
        await two.aclose()
