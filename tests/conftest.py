"""Shared fixtures: a migrated database per test on SQLite or PostgreSQL (`--db postgresql`).

scripts/test runs the suite on SQLite and on PostgreSQL at the same time, so a run shares nothing another run could
change: its PostgreSQL databases are its own (named with the process id and a random suffix), its files are under
pytest's per-run tmp_path, servers listen on ports the system picks, Redis keys carry a per-test prefix (queue names,
rate-limit prefixes), the embedded model's cache is built under a lock and renamed into place whole
(service/search/encoder.py), screenshots are renamed into place whole (tests/support/screenshots.py) and the one
fixed port, the README's `understudy serve` on 8000, is taken under a machine-wide lock (tests/test_readme.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings, load_settings
from service.db import make_engine, make_session_factory
from service.migrate import upgrade_database

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get("UNDERSTUDY_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _interrupted(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the run at once
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    # scripts/test stops its runs (on Ctrl-C or a CI time-out) with SIGTERM: stop as on Ctrl-C, tearing fixtures down
    # (this run's PostgreSQL database is dropped, servers started by tests are stopped).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupted)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default=os.environ.get("UNDERSTUDY_TEST_DB", "sqlite"),
                     choices=["sqlite", "postgresql"], help="database the tests run against")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that bring their own SQLite database (the README walked as a newcomer would) run in the SQLite run only:
    on PostgreSQL they would repeat it exactly."""
    if config.getoption("--db") == "sqlite":
        return
    skip = pytest.mark.skip(reason="runs the README's own SQLite demo: covered by the SQLite run")
    for item in items:
        if item.get_closest_marker("own_database"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


def create_migrated_postgres(admin: Engine, name: str) -> str:
    """Create PostgreSQL database `name` through `admin` (autocommit), migrate it to head, return its URL."""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def _db_template(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for this run: a SQLite file to copy, or a PostgreSQL database of its own."""
    if db_kind == "sqlite":
        path = tmp_path_factory.mktemp("db-template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade_database(engine)
        engine.dispose()
        yield str(path)
        return
    name = f"understudy_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = create_migrated_postgres(admin, name)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(db_kind: str, _db_template: str, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database for one test."""
    if db_kind == "sqlite":
        path = tmp_path / "understudy.db"
        shutil.copyfile(_db_template, path)
        yield f"sqlite:///{path}"
        return
    yield _db_template
    engine = make_engine(_db_template)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"))]
        if tables:
            # TRUNCATE skips the audit log's row triggers, which refuse deletes by design.
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret"}, environ={})


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings.database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    s = session_factory()
    yield s
    s.rollback()
    s.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout; tests that need it skip with a clear reason where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


from tests.support.fake_openai import fake_openai  # noqa: E402,F401  (shared fixture)
