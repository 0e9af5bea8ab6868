"""Shared fixtures: a fresh database per test (SQLite and PostgreSQL), settings, the real Rasa server."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.storage.db import create_db_engine, migrate
from bot.understanding.rasa import ManagedRasa
from tests.e2e.hotline import Hotline
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.pg_schemas import PG_ADMIN_URL, PgSchemaStock, schema_url
from tests.support import Dialog, RasaServer, launch_rasa, wait_for_rasa

# The session's Rasa server, launched right after collection (see pytest_collection_modifyitems).
EARLY_RASA = pytest.StashKey[ManagedRasa]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses the session's Rasa server `nlu`, before `-m` selects.

    `make test` runs the tests marked `nlu` (they need the trained model) after the others, which
    run while the Rasa environment is installed and the model trained (see the Makefile). A test that
    needs the model without the `rasa_server` fixture carries the mark itself.
    """
    for item in items:
        if "rasa_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.nlu)


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def launch_rasa_early(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Launch the session's Rasa server as soon as a selected test needs it (after `-m` deselected).

    Loading Rasa costs about a minute of CPU, mostly on one core: started here, it loads while the tests
    that need no Rasa run on the other core, instead of holding up the first test that does.
    """
    if os.environ.get("TEST_RASA_URL") or config.option.collectonly:
        return
    if not any("rasa_server" in getattr(item, "fixturenames", ()) for item in items):
        return
    try:
        config.stash[EARLY_RASA] = launch_rasa()
    except RuntimeError:
        return  # no model: the rasa_server fixture raises the same error in the tests that need it


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop an early-launched Rasa server that no test ended up using (e.g. a run stopped by -x)."""
    managed = config.stash.get(EARLY_RASA, None)
    if managed is not None:
        managed.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Each test that takes a database runs on both engines the bot supports."""
    return str(request.param)


@pytest.fixture
def empty_database_url(database_kind: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty (unmigrated) database for each test."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield schema_url(PG_ADMIN_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database at the latest schema, migrated once for the session (see database_url)."""
    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
    finally:
        engine.dispose()  # the last connection gone, SQLite folds its WAL into the file: one file to copy
    return path


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[PgSchemaStock]:
    """Migrated PostgreSQL schemas for the session's tests (nothing is done until a test takes one)."""
    stock = PgSchemaStock(PG_ADMIN_URL)
    try:
        yield stock
    finally:
        stock.close()


@pytest.fixture
def database_url(
    database_kind: str, tmp_path: Path, migrated_sqlite_file: Path, pg_schemas: PgSchemaStock
) -> Iterator[str]:
    """A new database at the latest schema (`python -m bot migrate` does the same in production).

    SQLite: a copy of the file migrated once for the session, the very file `migrate` leaves.
    PostgreSQL: a schema made ahead from the DDL of one migrated once for the session, and dropped
    behind the test (tests/pg_schemas.py). Running the migrations for each of some 600 tests took
    ~0.2 s a test on the 2-core machine; they are tested themselves in test_migrations.
    """
    if database_kind == "sqlite":
        path = tmp_path / "bot.db"
        shutil.copyfile(migrated_sqlite_file, path)
        yield f"sqlite:///{path}"
        return
    schema = pg_schemas.take()
    try:
        yield schema_url(PG_ADMIN_URL, schema)
    finally:
        pg_schemas.drop(schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


def make_settings(tmp_path: Path, database_url: str, **env: str) -> Settings:
    environ = {
        "DATABASE_URL": database_url,
        "TEMAN_VAR_DIR": str(tmp_path / "var"),
        "APP_ENV": "test",
        **env,
    }
    return load_settings(PROJECT_ROOT / "config.yml", environ)


@pytest.fixture(scope="session")
def rasa_server(pytestconfig: pytest.Config) -> Iterator[RasaServer]:
    """The real Rasa server with the trained model, started once for the whole test session.

    TEST_RASA_URL (and TEST_RASA_TOKEN) point the tests at a Rasa server already running with the same
    model instead: a developer running test files one by one skips the minute of CPU each start costs.
    CI leaves it unset, so a clean run always starts its own.
    """
    url = os.environ.get("TEST_RASA_URL")
    if url:
        yield RasaServer(url, os.environ.get("TEST_RASA_TOKEN", ""), None)
        return
    managed = pytestconfig.stash.get(EARLY_RASA, None) or launch_rasa()
    server = wait_for_rasa(managed)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, rasa_server: RasaServer) -> Settings:
    """Settings for a bot that uses the session's real Rasa server and a fresh database."""
    return make_settings(tmp_path, database_url, NLU_URL=rasa_server.url, NLU_TOKEN=rasa_server.token)


@pytest.fixture
async def dialog(settings: Settings) -> AsyncIterator[Dialog]:
    d = Dialog.open(settings)
    try:
        yield d
    finally:
        await d.close()


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A local Bot API server that records every call (the network boundary we cannot reach)."""
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    """A local Twilio REST API that records every call."""
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture
async def hotline(tmp_path: Path, database_url: str) -> AsyncIterator[Hotline]:
    """The bot and its staff console on a fresh database (tests/e2e/hotline.py)."""
    h = Hotline.open(make_settings(tmp_path, database_url))
    try:
        yield h
    finally:
        await h.close()
