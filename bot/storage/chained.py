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

from sqlalchemy import JSON, Connection, Engine, Select, Table, bindparam, insert, select
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
        given = {link.name: _without_plain_nulls(link.model, rows[link.name]) for link in chain}
        columns = tuple(tuple(given[link.name]) for link in chain)
        params = {f"{name}_{key}": value for name, row in given.items() for key, value in row.items()}
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


def _without_plain_nulls(model: type[Base], row: Mapping[str, Any]) -> dict[str, Any]:
    """The row without the NULLs its INSERT would write anyway (columns with no default): a new
    person's chain has ~70 values, a third of them NULL, and psycopg caches the conversion of a
    statement only up to 50 parameters (and 4,096 bytes). Fewer values, same rows."""
    table = cast(Table, model.__table__)
    return {key: value for key, value in row.items() if value is not None or not _null_by_default(table, key)}


@functools.cache
def _null_by_default(table: Table, key: str) -> bool:
    """Whether leaving `key` out of an INSERT stores what None would: SQL NULL. Not for a column with
    a default, nor for JSON, where None is stored as JSON null unless the type says otherwise."""
    column = table.c[key]
    json = getattr(column.type, "impl_instance", column.type)
    return (
        column.nullable is True
        and column.default is None
        and column.server_default is None
        and (not isinstance(json, JSON) or json.none_as_null)
    )


# Keyed by the chain and the columns each link is given, which vary only with which values are NULL.
@functools.lru_cache(maxsize=256)
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
