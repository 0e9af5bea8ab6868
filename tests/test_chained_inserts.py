"""Rows that belong together written by one statement on PostgreSQL (bot.storage.chained), and the
turn that uses it: a new person's first message costs three statements there, whatever it says."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from psycopg import _queries as psycopg_queries
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from bot.chat.inbound import Inbound
from bot.config import Settings
from bot.storage.chained import Link, insert_chain
from bot.storage.db import create_db_engine, session_factory, transaction
from bot.storage.models import (
    Contact,
    Conversation,
    ConversationState,
    Direction,
    Escalation,
    Message,
    OutboxItem,
    utcnow,
)
from tests.support import Dialog

PERSON_AND_NOTE = (Link("person", Contact), Link("note", Message, refs=(("contact_id", "person"),)))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def statements(engine: Engine) -> list[str]:
    """Every statement the engine sends from now on (BEGIN and COMMIT are not statements here)."""
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_rest: sent.append(" ".join(sql.split())))
    return sent


def test_a_chain_links_its_rows_and_gives_their_ids_in_order(engine: Engine) -> None:
    sent = statements(engine)
    now = utcnow()
    with transaction(session_factory(engine)) as session:
        person_id, note_id = insert_chain(
            session,
            PERSON_AND_NOTE,
            {
                "person": {"channel": "telegram", "external_id": "5550001", "created_at": now, "sub_topics": []},
                # kind, media, urgent ... left out: they take their defaults, as in a plain INSERT.
                "note": {
                    "direction": Direction.IN, "channel": "telegram", "text": "halo\x00 kak", "created_at": now,
                    # NULLs the INSERT would write anyway are left out of the statement; the row is the same.
                    "intent": None, "confidence": None,
                },
            },
        )
    # One statement on PostgreSQL; one per row on SQLite, which has no INSERT inside WITH.
    expected = 1 if engine.dialect.name == "postgresql" else 2
    assert len(sent) == expected, sent
    with Session(engine) as session:
        person = session.get(Contact, person_id)
        note = session.get(Message, note_id)
        assert person is not None and note is not None
        assert (person.channel, person.external_id, person.sub_topics) == ("telegram", "5550001", [])
        assert note.contact_id == person_id
        # Typed like a plain INSERT's values: the NUL is cleaned, the defaults are there.
        assert (note.text, note.kind, note.media, note.urgent) == ("halo kak", "text", [], False)
        assert (note.intent, note.confidence) == (None, None)
    if engine.dialect.name == "postgresql":
        assert "intent" not in sent[0] and "confidence" not in sent[0], sent[0]


def test_a_chain_that_breaks_a_constraint_writes_none_of_its_rows(engine: Engine) -> None:
    now = utcnow()
    factory = session_factory(engine)
    rows = {
        "person": {"channel": "telegram", "external_id": "5550002", "created_at": now, "sub_topics": []},
        "note": {"direction": Direction.IN, "channel": "telegram", "channel_message_id": "m-1", "created_at": now},
    }
    with transaction(factory) as session:
        insert_chain(session, PERSON_AND_NOTE, rows)
    # The same person again (as two first messages racing): the unique channel address refuses it.
    with pytest.raises(Exception, match="(?i)unique|duplicate"), transaction(factory) as session:
        insert_chain(session, PERSON_AND_NOTE, {**rows, "note": {**rows["note"], "channel_message_id": "m-2"}})
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 1
        assert session.scalars(select(Message.channel_message_id)).all() == ["m-1"]


async def test_a_new_persons_first_message_is_three_statements_on_postgresql(settings: Settings) -> None:
    """The person's lookup and their id from the sequence (a block of them), both sent while Rasa
    parses (bot.chat.early);
    then one statement: the person, their message, the reply's transcript line and outbox row, and
    the conversation as the turn left it. SQLite writes the same rows one at a time."""
    dialog = Dialog.open(settings)
    engine = dialog.app.engine
    try:
        sent = statements(dialog.app.turn_engine)  # the engine turns run on (PostgreSQL: the event loop's)
        given: list[tuple[str, int]] = []  # each statement as the driver gets it, and its number of values
        event.listen(
            dialog.app.turn_engine, "before_cursor_execute",
            lambda _c, _cur, sql, params, *_rest: given.append((sql, len(params or ()))),
        )
        inbound = Inbound(
            channel="local", chat_id="chain-1", message_id=uuid.uuid4().hex, text="apa hak pekerja migran",
            display_name="Sari",
        )
        result = await dialog.send(inbound)
        assert result.stored and result.replies
        if engine.dialect.name == "postgresql":
            assert len(sent) == 3 + len(result.replies) - 1, sent
            assert sent[0].startswith("SELECT ") and sent[0].endswith("FOR UPDATE OF contacts")
            # The first new person of this process takes a block of ids; the next ones need no statement.
            assert sent[1].startswith("SELECT nextval(pg_get_serial_sequence('contacts', 'id')) FROM generate_series")
            assert sent[2].startswith("WITH person AS (INSERT INTO contacts")
            written = [table for table in ("contacts", "messages", "outbox", "conversations") if f"INSERT INTO {table}" in sent[2]]
            assert written == ["contacts", "messages", "outbox", "conversations"], sent[2]
            # Small enough for psycopg to cache its conversion (it re-parses longer ones on every
            # message): the NULLs a plain INSERT would write are left out (chained._without_plain_nulls).
            chain_sql, values = given[2]
            assert values <= psycopg_queries.MAX_CACHED_STATEMENT_PARAMS, values
            assert len(chain_sql.encode()) <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH, len(chain_sql.encode())
        with Session(engine) as session:
            contact = session.scalars(select(Contact).where(Contact.external_id == "chain-1")).one()
            conversation = session.scalars(select(Conversation).where(Conversation.contact_id == contact.id)).one()
            lines = session.scalars(select(Message).where(Message.contact_id == contact.id).order_by(Message.id)).all()
            rows = session.scalars(select(OutboxItem).where(OutboxItem.contact_id == contact.id).order_by(OutboxItem.id)).all()
            assert contact.display_name == "Sari"
            assert [line.direction for line in lines] == [Direction.IN] + [Direction.OUT] * len(result.replies)
            assert result.decision is not None and lines[0].intent == result.decision.intent
            assert [row.message_id for row in rows] == [line.id for line in lines[1:]]
            assert [row.text for row in rows] == [reply.text for reply in result.replies]
            # The conversation as the turn left it: the last reply's buttons are what "2" picks next.
            offered = [{"label": b.label, "payload": b.payload} for b in result.replies[-1].buttons]
            assert conversation.offered == offered
            assert conversation.state is ConversationState.IDLE

        # Their next message finds them and their conversation: no second person, no second conversation.
        sent.clear()
        again = await dialog.send(
            Inbound(channel="local", chat_id="chain-1", message_id=uuid.uuid4().hex, text="biaya penempatan ke taiwan brp")
        )
        assert again.stored and again.replies
        assert not any("INSERT INTO contacts" in sql or "INSERT INTO conversations" in sql for sql in sent), sent
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Contact)) == 1
            assert session.scalar(select(func.count()).select_from(Conversation)) == 1
            assert session.scalar(select(func.count()).select_from(Message)) == 2 + len(result.replies) + len(again.replies)
            assert session.scalar(select(func.count()).select_from(OutboxItem)) == len(result.replies) + len(again.replies)

        if engine.dialect.name == "postgresql":
            # Someone else new: their id comes from the block, so the lookup and one statement.
            sent.clear()
            other = await dialog.send(
                Inbound(channel="local", chat_id="chain-9", message_id=uuid.uuid4().hex, text="apa hak pekerja migran")
            )
            assert other.stored and len(sent) == 2 + len(other.replies) - 1, sent
            assert sent[1].startswith("WITH person AS (INSERT INTO contacts")
    finally:
        await dialog.close()


async def test_a_new_persons_message_is_written_before_the_rows_their_handler_writes(settings: Settings) -> None:
    """Asking for staff opens an escalation in the handler: the person and their message (written with
    the first reply when the handler writes nothing, bot.storage.people) are in the database first."""
    dialog = Dialog.open(settings)
    engine = dialog.app.engine
    try:
        sent = statements(dialog.app.turn_engine)
        inbound = Inbound(
            channel="local", chat_id="chain-2", message_id=uuid.uuid4().hex, text="saya mau bicara dengan petugas",
        )
        result = await dialog.send(inbound)
        assert result.stored and result.escalated and result.replies
        inserts = [sql.split(" (")[0] for sql in sent if "INSERT INTO" in sql]
        first_contact = next(n for n, sql in enumerate(sent) if "INSERT INTO contacts" in sql)
        first_escalation = next(n for n, sql in enumerate(sent) if "INSERT INTO escalations" in sql)
        assert first_contact < first_escalation, inserts
        with Session(engine) as session:
            contact = session.scalars(select(Contact).where(Contact.external_id == "chain-2")).one()
            [escalation] = session.scalars(select(Escalation).where(Escalation.contact_id == contact.id)).all()
            lines = session.scalars(select(Message).where(Message.contact_id == contact.id).order_by(Message.id)).all()
            assert lines[0].direction is Direction.IN and lines[0].text == "saya mau bicara dengan petugas"
            assert [line.direction for line in lines[1:]] == [Direction.OUT] * len(result.replies)
            assert escalation.status.value == "open"
        # The same message delivered again is answered as a repeat: nothing is written twice.
        again = await dialog.send(inbound)
        assert again.duplicate and not again.replies
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Message).where(Message.direction == Direction.IN)) == 1
    finally:
        await dialog.app.aclose()
