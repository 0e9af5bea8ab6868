"""Engine, sessions and migrations. One session (one transaction) per inbound message."""

from __future__ import annotations

import logging
import select
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
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
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is the driver we install; plain postgresql:// would look for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    # No pool_pre_ping: it costs a round trip on every checkout (three per message). A connection the
    # server closed (restart, idle timeout) is found without one (_closed_by_server); one a firewall
    # dropped silently is replaced after an hour.
    engine = create_engine(parsed, pool_size=10, max_overflow=10, pool_recycle=3600)
    event.listen(engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """The pool hands out a new connection instead of one the server has closed."""
    if _closed_by_server(dbapi_conn):
        log.warning("db.connection_closed_by_server: reconnecting")
        raise DisconnectionError("the server closed this connection")


def _closed_by_server(dbapi_conn: Any) -> bool:
    """An idle connection has nothing to read; when it does, the server has said goodbye (a FATAL
    "terminating connection" before closing, or the end of the stream). Asked of the socket, no round trip."""
    if dbapi_conn.closed or dbapi_conn.broken:
        return True
    try:
        readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


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
