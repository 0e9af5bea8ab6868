"""Rows that belong together written by one statement: the hot path's inserts, chained.

A message's turn writes rows that point at each other: a new person and their first message, a
reply's transcript line and its outbox row. One after another, each costs a round trip to
PostgreSQL and a pass through the engine, and the turn waits for every one of them. PostgreSQL runs
INSERTs inside WITH (data-modifying CTEs), so a chain is one statement there:

    WITH contact AS (INSERT INTO contacts ... RETURNING id),
         message AS (INSERT INTO messages (contact_id, ...) VALUES ((SELECT id FROM contact), ...) RETURNING id)
    SELECT (SELECT id FROM contact), (SELECT id FROM message)

SQLite has no INSERT in WITH; its statements are calls into the same process, so there the links
are inserted one at a time. Either way the caller gets each row's id, in the chain's order.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Select, Table, bindparam, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.models import Base, insert_returning_id


@dataclass(frozen=True)
class Link:
    """One row of a chain: `name` labels its values; `refs` are (column, earlier link) pairs: the
    column takes that link's new id."""

    name: str
    model: type[Base]
    refs: tuple[tuple[str, str], ...] = ()


def insert_chain(session: Session, chain: tuple[Link, ...], rows: Mapping[str, Mapping[str, Any]]) -> tuple[int, ...]:
    """Insert one row per link (`rows[link.name]`: its values, the refs aside; columns left out take
    their defaults, as in a plain INSERT) and return their ids in the chain's order: one statement on
    PostgreSQL, one per link elsewhere."""
    if in_one_statement(session):
        columns = tuple(tuple(rows[link.name]) for link in chain)
        params = {f"{name}_{key}": value for name, row in rows.items() for key, value in row.items()}
        return tuple(session.execute(_chained(chain, columns), params).one())
    ids: dict[str, int] = {}
    for link in chain:
        values = {**rows[link.name], **{column: ids[source] for column, source in link.refs}}
        ids[link.name] = session.execute(insert_returning_id(link.model), values).scalar_one()
    return tuple(ids[link.name] for link in chain)


def in_one_statement(session: Session | Connection) -> bool:
    """Whether rows that belong together are written by one statement here (PostgreSQL: DML in WITH)."""
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name == "postgresql"


def autocommitting(sessions: sessionmaker[Session]) -> Engine | None:
    """PostgreSQL: the sessions' engine in autocommit mode, for work done in single statements,
    each atomic on its own, so it needs no BEGIN and COMMIT (two round trips) around it. None elsewhere."""
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        return None
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@functools.cache
def _chained(chain: tuple[Link, ...], columns: tuple[tuple[str, ...], ...]) -> Select[Any]:
    """The chain as one PostgreSQL statement, built once per chain and the columns each link is given
    (building costs more than running)."""
    inserted: dict[str, Any] = {}
    for link, given in zip(chain, columns, strict=True):
        table = cast(Table, link.model.__table__)
        values: dict[str, Any] = {
            # Typed: the value is rendered with its column's cast, as a plain INSERT's would be.
            key: bindparam(f"{link.name}_{key}", type_=table.c[key].type)
            for key in given
        }
        for column, source in link.refs:
            values[column] = select(inserted[source].c.id).scalar_subquery()
        inserted[link.name] = insert(table).values(values).returning(table.c.id).cte(link.name)
    # Each id as a scalar subquery: the links are one row each, no join between them.
    return select(*(select(inserted[link.name].c.id).scalar_subquery() for link in chain))
