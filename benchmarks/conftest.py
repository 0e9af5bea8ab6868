"""Benchmarks reuse the test fixtures (real Rasa server, fresh databases on SQLite and PostgreSQL)."""

from tests.conftest import (  # noqa: F401
    database_kind,
    database_url,
    empty_database_url,
    fake_telegram,
    fake_twilio,
    migrated_sqlite_file,
    pg_schemas,
    rasa_server,
    settings,
    sqlite_url,
)
