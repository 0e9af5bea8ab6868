"""Engine, sessions and migrations. One session (one transaction) per inbound message."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import queue
import select
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.util import greenlet_spawn

log = logging.getLogger(__name__)
T = TypeVar("T")
# Threads for PostgreSQL's database work (DatabaseWork); the engine's pool holds more connections.
POSTGRES_THREADS = 4
POOL_SIZE = 10  # PostgreSQL connections kept open (as many again may be opened for a burst)
# Transactions opened while their message's parse is on the way (bot.chat.early): at most half the pool.
EARLY_TURNS = POOL_SIZE // 2
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_db_engine(url: str) -> Engine:
    """Build an engine; SQLite gets WAL, a busy timeout and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the console read while the bot writes; busy_timeout waits instead of failing.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    parsed = _postgres_url(url)
    # No pool_pre_ping: it costs a round trip on every checkout (three per message). A connection the
    # server closed (restart, idle timeout) is found without one (_closed_by_server); one a firewall
    # dropped silently is replaced after an hour.
    engine = create_engine(parsed, pool_size=POOL_SIZE, max_overflow=POOL_SIZE, pool_recycle=3600)
    event.listen(engine, "checkout", _refuse_closed_connection)
    return engine


def _postgres_url(url: str | URL) -> URL:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is the driver we install; plain postgresql:// would look for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _refuse_closed_connection(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """The pool hands out a new connection instead of one the server has closed."""
    if _closed_by_server(dbapi_conn):
        log.warning("db.connection_closed_by_server: reconnecting")
        raise DisconnectionError("the server closed this connection")


def _closed_by_server(dbapi_conn: Any) -> bool:
    """An idle connection has nothing to read; when it does, the server has said goodbye (a FATAL
    "terminating connection" before closing, or the end of the stream). Asked of the socket, no round trip."""
    # The asyncio bridge's adapter holds psycopg's own (async) connection.
    dbapi_conn = getattr(dbapi_conn, "_connection", dbapi_conn)
    if dbapi_conn.closed or dbapi_conn.broken:
        return True
    try:
        readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def database_work(engine: Engine, sessions: sessionmaker[Session]) -> tuple[AnyDatabaseWork, sessionmaker[Session]]:
    """Where dispatch and the outbox run their transactions, and the sessions they use there: on
    PostgreSQL (psycopg) the event loop itself (LoopDatabaseWork), elsewhere one thread (SQLite has
    one writer; its busy handler would make concurrent writers sleep)."""
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        work = LoopDatabaseWork(engine.url)
        # One `info` for both: what the app hangs there for every session (the escalation listeners
        # of bot.hotline.staff_group) reaches the turns' sessions too.
        work.sessions.kw["info"] = sessions.kw.setdefault("info", {})
        return work, work.sessions
    return DatabaseWork(threads=1 if is_sqlite(engine) else POSTGRES_THREADS), sessions


class DatabaseWork:
    """Where the event loop runs blocking database work (a message's transaction, the outbox's):
    on a few threads of its own, handed over with a plain queue (run_in_executor's two chained
    futures cost more CPU than a short transaction).

    SQLite takes one writer at a time: threads writing together only queue on its lock, and its
    busy handler makes each waiter sleep in steps of 1, 2, 5, 10 ... ms. So on SQLite it is one
    thread, one transaction after another. PostgreSQL through psycopg runs on the loop instead
    (LoopDatabaseWork); another PostgreSQL driver would get a few threads, as it locks rows, not the
    database.
    """

    def __init__(self, threads: int = 1) -> None:
        self._size = threads
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`work(*args, **kwargs)` on a database thread (as asyncio.to_thread: context copied)."""
        call = functools.partial(contextvars.copy_context().run, work, *args, **kwargs)
        loop = asyncio.get_running_loop()
        if not self._threads:
            self._threads = [
                threading.Thread(target=self._work, args=(self._jobs,), name=f"database-{n}", daemon=True)
                for n in range(self._size)
            ]
            for thread in self._threads:
                thread.start()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, call))
        return await future

    @staticmethod
    def _work(jobs: queue.SimpleQueue[_Job | None]) -> None:
        while (job := jobs.get()) is not None:
            loop, future, call = job
            try:
                result = call()
            except BaseException as exc:  # handed to the awaiting coroutine, as run_in_executor does
                outcome = functools.partial(_settle, future, None, exc)
            else:
                outcome = functools.partial(_settle, future, result, None)
            try:
                loop.call_soon_threadsafe(outcome)
            except RuntimeError:  # the loop closed meanwhile: nobody waits for it
                pass

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        """Let the threads finish the work they were given (a transaction is never cut off), then stop."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads = []


_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return  # its awaiter was cancelled; the work itself ran (as with run_in_executor)
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class LoopDatabaseWork:
    """PostgreSQL: the event loop's database work on the loop itself, through SQLAlchemy's asyncio
    bridge. The work is the same synchronous code (a turn, an outbox write); it runs in a greenlet
    whose every round trip to PostgreSQL awaits psycopg's async connection, so the loop serves other
    messages meanwhile. Why not threads: each job handed to a thread and back, and each round trip's
    return to a thread that must win the GIL back from the busy loop, cost CPU and latency of their
    own. Measured with 8 chats at once (every message a new chat): the bot's CPU per message went
    from ~6.3 to ~5.2 ms, and its throughput from ~0.7 to ~0.8 of Rasa's.

    Only the sessions made here (`sessions`) work inside `run`; the rest of the app (console, jobs)
    keeps the synchronous engine on threads.
    """

    def __init__(self, url: str | URL) -> None:
        self.engine = create_async_engine(
            _postgres_url(url), pool_size=POOL_SIZE, max_overflow=POOL_SIZE, pool_recycle=3600
        )
        event.listen(self.engine.sync_engine, "checkout", _refuse_closed_connection)
        self.sessions = session_factory(self.engine.sync_engine)

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`work(*args, **kwargs)` on the loop, suspended at each round trip; `work` uses `sessions`."""
        return await greenlet_spawn(work, *args, **kwargs)

    async def aclose(self) -> None:
        await self.engine.dispose()


AnyDatabaseWork = DatabaseWork | LoopDatabaseWork


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade the database to the latest schema."""
    command.upgrade(_alembic_config(engine), "head")


def needs_migration(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current != head
