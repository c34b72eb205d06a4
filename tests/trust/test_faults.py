"""Faults: the database going away mid-service gives a clean 503 JSON and the service recovers when it is back;
an ingestion killed at any point leaves no partial source and the re-run completes without duplicates.
(The model endpoint slow or failing falls back to extractive: tests/twin/test_llm.py proves it.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from service.config import Settings
from service.corpus import store
from service.corpus.models import Passage, Source
from service.db import make_engine, make_session_factory
from service.http.extension import extension
from service.migrate import upgrade_database
from tests.api.conftest import seed
from tests.conftest import PG_ADMIN_URL, create_migrated_postgres

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Why did you choose cold chain for pharmaceutical customers?"


@pytest.fixture
def own_database(db_kind: str, tmp_path: Path) -> Iterator[tuple[str, object, object]]:
    """A database of this test's own, with (break, mend) callables that take it away and bring it back."""
    if db_kind == "sqlite":
        path = tmp_path / "own.db"
        url = f"sqlite:///{path}"
        hidden = tmp_path / "hidden.db"

        def take_away() -> None:
            path.rename(hidden)
            path.mkdir()  # a directory where the file was: nothing can open it

        def bring_back() -> None:
            path.rmdir()
            hidden.rename(path)

        engine = make_engine(url)
        upgrade_database(engine)
        engine.dispose()
        yield url, take_away, bring_back
        return
    name = f"understudy_fault_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = create_migrated_postgres(admin, name)

    def take_away_pg() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))

    def bring_back_pg() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    try:
        yield url, take_away_pg, bring_back_pg
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_database_going_away_is_a_clean_503_and_the_service_recovers(make_app, own_database) -> None:
    url, take_away, bring_back = own_database
    factory = make_session_factory(make_engine(url))
    with factory() as session:
        world = seed(session)
    app = make_app(database_url=url)
    client = app.test_client()
    headers = world.people["employee"].headers
    assert client.post("/api/v1/twins/dana/ask", json={"question": QUESTION}, headers=headers).status_code == 200
    take_away()
    extension(app).engine.dispose()  # SQLite: the pooled connections die with the file, as PostgreSQL's were killed
    try:
        for method, path in (("POST", "/api/v1/twins/dana/ask"), ("GET", "/api/v1/twins"),
                             ("GET", "/healthz")):
            response = client.open(path, method=method, json={"question": QUESTION} if method == "POST" else None,
                                   headers=headers)
            assert response.status_code == 503, (path, response.status_code, response.get_data(as_text=True)[:300])
            body = response.get_json()
            assert body and ("error" in body or body.get("status") == "unavailable"), body
            assert "Traceback" not in response.get_data(as_text=True)
    finally:
        bring_back()
    recovered = client.post("/api/v1/twins/dana/ask", json={"question": QUESTION}, headers=headers)
    assert recovered.status_code == 200 and recovered.get_json()["citations"]


def memo(i: int) -> str:
    return (f"Memo {i}\n\nI decided on lane {i} because customers in region {i} pay for reliability. "
            f"Our on-time rate on lane {i} reached ninety percent.\n")


def run_ingest(url: str, folder: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "UNDERSTUDY_DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "service.cli", "ingest", "dana", str(folder), "--approve"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_an_ingestion_killed_at_any_point_leaves_no_partial_source(settings: Settings, database_url: str,
                                                                   session_factory, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    files = 24
    for i in range(files):
        (folder / f"memo-{i:02d}.md").write_text(memo(i))
    with session_factory() as session:
        store.create_twin(session, "dana", "Dana Reyes", title="CEO")
        session.commit()

    def counts() -> tuple[int, int, int]:
        with session_factory() as session:
            sources = session.scalar(select(func.count()).select_from(Source)) or 0
            distinct = session.scalar(select(func.count(func.distinct(Source.sha256)))) or 0
            empty = session.scalar(select(func.count()).select_from(Source).where(
                ~select(Passage.id).where(Passage.source_id == Source.id).exists())) or 0
            return sources, distinct, empty

    kills = 0
    for delay in (0.3, 0.8, 1.3, 1.8, 2.5):
        process = run_ingest(database_url, folder)
        time.sleep(delay)  # a point somewhere in start-up or mid-way through the files
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        sources, distinct, empty = counts()
        assert sources == distinct and empty == 0, (delay, sources, distinct, empty)
    final = run_ingest(database_url, folder)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()[-2000:]
    assert counts() == (files, files, 0)
    assert kills >= 1
