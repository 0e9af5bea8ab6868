"""Benchmarks reuse the test fixtures (real Rasa server, fresh databases on SQLite and PostgreSQL)."""

from tests.conftest import database_url, empty_database_url, rasa_server, settings, sqlite_url  # noqa: F401
