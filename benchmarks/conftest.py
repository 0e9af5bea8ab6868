"""Benchmarks reuse the test fixtures (real Rasa server, fresh databases on SQLite and PostgreSQL)."""

from tests.conftest import (  # noqa: F401
    database_url,
    empty_database_url,
    fake_telegram,
    fake_twilio,
    migrated_sqlite_file,
    rasa_server,
    settings,
    sqlite_url,
)
