"""A message's transaction opened while its parse is on the way (bot.chat.early), and the chat lock
that is now taken before the parse: on PostgreSQL the opening overlaps the parse, bounded; on SQLite
nothing is opened early; a cancelled dispatch gives its connection back; a chat's messages are
stored in the order they came even when the first one's parse is the slower."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import event, select

from bot.app import App, build_app
from bot.chat.inbound import Inbound
from bot.storage.db import EARLY_TURNS
from bot.storage.models import Contact, Direction, Message, OutboxItem
from bot.understanding.result import Understanding
from bot.understanding.understand import Understander
from tests.conftest import make_settings
from tests.fakes.bot import closed_nlu
from tests.support import until


class HeldUnderstander(Understander):
    """The bot's own understander, whose answer waits for `hold(text)` to finish first (a parse that
    takes as long as a test needs)."""

    def __init__(self, real: Understander, hold: Callable[[str], asyncio.Future[None] | asyncio.Task[None]]) -> None:
        super().__init__(real.client, real.recheck_interval_s)
        self.hold = hold
        self.answered: dict[str, float] = {}

    async def understand(self, text: str) -> Understanding:
        await self.hold(text)
        understanding = await super().understand(text)
        self.answered[text] = time.monotonic()
        return understanding


def parses_wait_for(app: App, event: asyncio.Event) -> None:
    """From now on every parse of the app's dispatch waits until `event` is set."""

    async def held(_text: str) -> None:
        await event.wait()

    app.dispatcher.understander = HeldUnderstander(app.understander, lambda text: asyncio.ensure_future(held(text)))


def message(chat: str, text: str) -> Inbound:
    return Inbound(channel="local", chat_id=chat, message_id=uuid.uuid4().hex, text=text)


def lookups(app: App) -> list[float]:
    """When each turn's person lookup (people.open_turn: on PostgreSQL it locks their row) was sent, from now on."""
    sent: list[float] = []

    def note(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        if sql.startswith("SELECT") and "FROM contacts LEFT OUTER JOIN conversations" in " ".join(sql.split()):
            sent.append(time.monotonic())

    event.listen(app.turn_engine, "before_cursor_execute", note)
    return sent


@pytest.fixture
async def app(tmp_path: Path, database_url: str) -> AsyncIterator[App]:
    """The bot's app on a new database, its NLU degraded (these tests hold each parse themselves)."""
    built = build_app(make_settings(tmp_path, database_url, **closed_nlu()), manage_nlu=False)
    yield built
    await built.aclose()


def is_postgres(app: App) -> bool:
    return app.turn_engine.dialect.name == "postgresql"


async def test_the_transaction_opens_during_the_parse_on_postgresql_and_after_it_on_sqlite(app: App) -> None:
    understander = HeldUnderstander(app.understander, lambda _text: asyncio.ensure_future(asyncio.sleep(0.3)))
    app.dispatcher.understander = understander
    sent = lookups(app)
    first = await app.dispatcher.dispatch(message("person-1", "apa hak pekerja migran"))
    again = await app.dispatcher.dispatch(message("person-1", "ada bantuan hukum gratis gak"))
    assert first.stored and first.replies and again.stored and again.replies
    answered = sorted(understander.answered.values())
    assert len(sent) == 2
    if is_postgres(app):
        # Someone new and someone known: both lookups went out while their parse was held.
        assert sent[0] < answered[0] and answered[0] < sent[1] < answered[1]
    else:
        assert sent[0] > answered[0] and sent[1] > answered[1]
    with app.sessions() as session:
        assert len(session.scalars(select(Contact)).all()) == 1
        texts = session.scalars(select(Message.text).where(Message.direction == Direction.IN).order_by(Message.id)).all()
        assert texts == ["apa hak pekerja migran", "ada bantuan hukum gratis gak"]


async def test_early_openings_are_bounded_and_the_messages_beyond_the_bound_are_answered_all_the_same(app: App) -> None:
    release = asyncio.Event()
    parses_wait_for(app, release)
    sent = lookups(app)
    chats = 2 * EARLY_TURNS
    dispatches = [
        asyncio.create_task(app.dispatcher.dispatch(message(f"person-{n}", "apa hak pekerja migran")))
        for n in range(chats)
    ]
    expected = EARLY_TURNS if is_postgres(app) else 0
    await until(lambda: len(sent) >= expected)
    await asyncio.sleep(0.2)  # time for any opening beyond the bound to show
    assert len(sent) == expected
    if is_postgres(app):
        assert app.turn_engine.pool.checkedout() == EARLY_TURNS  # type: ignore[attr-defined]
    release.set()
    results = await asyncio.gather(*dispatches)
    assert all(r.stored and r.replies for r in results)
    assert len(sent) == chats
    with app.sessions() as session:
        assert len(session.scalars(select(OutboxItem.id)).all()) == sum(len(r.replies) for r in results)
    if is_postgres(app):
        await until(lambda: app.turn_engine.pool.checkedout() == 0)  # type: ignore[attr-defined]


async def test_a_cancelled_dispatch_gives_its_early_transaction_back(app: App) -> None:
    never = asyncio.Event()
    parses_wait_for(app, never)
    sent = lookups(app)
    dispatch = asyncio.create_task(app.dispatcher.dispatch(message("person-1", "apa hak pekerja migran")))
    if is_postgres(app):
        await until(lambda: len(sent) == 1)
        assert app.turn_engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    else:
        await asyncio.sleep(0.1)
    dispatch.cancel()
    await asyncio.gather(dispatch, return_exceptions=True)
    if is_postgres(app):
        # Rolled back and returned: the person's row lock and the connection are free again.
        await until(lambda: app.turn_engine.pool.checkedout() == 0)  # type: ignore[attr-defined]
    # Nothing of the cancelled message was stored, and the chat is not left locked.
    with app.sessions() as session:
        assert session.scalars(select(Message.id)).all() == []
    app.dispatcher.understander = app.understander
    later = await asyncio.wait_for(app.dispatcher.dispatch(message("person-1", "halo")), 10)
    assert later.stored and later.replies


async def test_a_chats_messages_are_stored_in_arrival_order_when_the_first_parse_is_slower(app: App) -> None:
    delays = {"pertama: saya mau kerja ke malaysia": 0.4, "kedua: biayanya berapa": 0.0}
    app.dispatcher.understander = HeldUnderstander(
        app.understander, lambda text: asyncio.ensure_future(asyncio.sleep(delays.get(text, 0.0)))
    )
    first = asyncio.create_task(app.dispatcher.dispatch(message("person-1", "pertama: saya mau kerja ke malaysia")))
    await asyncio.sleep(0.05)  # the first has arrived and is being parsed
    second = asyncio.create_task(app.dispatcher.dispatch(message("person-1", "kedua: biayanya berapa")))
    # Another chat is not held up by this one's slow parse: answered while the first still waits.
    other = await app.dispatcher.dispatch(message("person-2", "halo"))
    assert other.stored and not first.done() and not second.done()
    results = await asyncio.gather(first, second)
    assert all(r.stored for r in results)
    with app.sessions() as session:
        texts = session.scalars(
            select(Message.text).join(Contact, Contact.id == Message.contact_id)
            .where(Contact.external_id == "person-1", Message.direction == Direction.IN).order_by(Message.id)
        ).all()
    assert texts == ["pertama: saya mau kerja ke malaysia", "kedua: biayanya berapa"]
    # The per-chat locks are forgotten once nobody waits: the map does not grow with every chat.
    assert app.dispatcher._chats == {}
