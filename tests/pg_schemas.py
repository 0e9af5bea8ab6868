"""Migrated PostgreSQL schemas for the tests, made ahead of the test that takes one and dropped behind it.

Migrating a schema took ~0.38 s on the 2-core machine, and some 300 tests each need a fresh one. The
schema of one database migrated once for the session is dumped (`pg_dump --inserts`: the DDL
and the alembic version row, its only data), and each test's schema is that DDL replayed in one round trip, by a thread
while the previous test runs; used schemas are dropped by the same thread. The tests wait for
neither. The migrations themselves are tested in test_migrations.

Without `pg_dump` on the PATH each schema is migrated instead, by the same thread.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg
from sqlalchemy import make_url

from bot.storage.db import create_db_engine, migrate

# The tests' PostgreSQL: each test works in a schema of its own in this database.
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_TEMPLATE = "t_template_" + uuid.uuid4().hex[:12]


def _libpq_url(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://... -> postgresql://... (psycopg.connect and pg_dump read the latter)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def schema_url(admin_url: str, schema: str) -> str:
    return f"{admin_url}?options=-csearch_path%3D{schema}"


class PgSchemaStock:
    def __init__(self, admin_url: str) -> None:
        self._admin_url = admin_url
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-schemas")
        self._conn: psycopg.Connection | None = None  # used by the pool's one thread only
        self._ddl: str | None = None  # the migrated schema's DDL, with _TEMPLATE for its name
        self._next: Future[str] | None = None
        self._drops: list[Future[None]] = []

    def take(self) -> str:
        """The name of a new schema at the latest migration (the next one starts being made)."""
        ready = self._next or self._pool.submit(self._make)
        self._next = self._pool.submit(self._make)
        return ready.result()

    def drop(self, schema: str) -> None:
        self._drops.append(self._pool.submit(self._drop, schema))

    def close(self) -> None:
        """Drop what is left and wait for every drop (a failed one raises here)."""
        if self._next is not None:
            self.drop(self._next.result())
        try:
            for dropped in self._drops:
                dropped.result()
        finally:
            self._pool.submit(self._disconnect).result()
            self._pool.shutdown()

    # ------------------------------------------------------------------ on the pool's thread
    def _connection(self) -> psycopg.Connection:
        if self._conn is None:
            self._conn = psycopg.connect(_libpq_url(self._admin_url), autocommit=True)
        return self._conn

    def _make(self) -> str:
        if self._ddl is None:
            self._ddl = self._dump_migrated() if shutil.which("pg_dump") else ""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        if not self._ddl:
            self._migrated(schema)
            return schema
        with self._connection().transaction():
            # No parameters: psycopg sends the whole script as one simple query, one round trip.
            self._connection().execute(self._ddl.replace(_TEMPLATE, schema).encode())
        return schema

    def _drop(self, schema: str) -> None:
        self._connection().execute(f"DROP SCHEMA {schema} CASCADE".encode())

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _migrated(self, schema: str) -> None:
        self._connection().execute(f"CREATE SCHEMA {schema}".encode())
        engine = create_db_engine(schema_url(self._admin_url, schema))
        try:
            migrate(engine)
        finally:
            engine.dispose()

    def _dump_migrated(self) -> str:
        """The DDL (and the alembic version row) of a schema the migrations made, named _TEMPLATE."""
        self._migrated(_TEMPLATE)
        try:
            dump = subprocess.run(
                ["pg_dump", "--dbname", _libpq_url(self._admin_url), f"--schema={_TEMPLATE}", "--no-owner", "--no-privileges", "--inserts"],
                check=True, capture_output=True, text=True, timeout=120,
            ).stdout
        finally:
            self._drop(_TEMPLATE)
        # pg_dump 15.14 and later fence the script with psql's \restrict / \unrestrict meta-commands,
        # which only psql understands.
        return "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
