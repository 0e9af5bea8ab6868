"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.storage.db import create_db_engine, migrate, needs_migration
from bot.storage.models import Base


def test_migrations_match_models(empty_database_url: str) -> None:
    engine = create_db_engine(empty_database_url)
    try:
        assert needs_migration(engine)
        migrate(engine)
        assert not needs_migration(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        migrate(engine)  # running it again is harmless
    finally:
        engine.dispose()
