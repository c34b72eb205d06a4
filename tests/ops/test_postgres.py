"""PostgreSQL as the production target: migrations once across replicas, approvals that lose no update,
answers that an open ingestion does not block, and pool sizes from the settings."""

from __future__ import annotations

import multiprocessing
import os
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.corpus import store
from service.corpus.models import AuditEvent, Source
from service.db import make_engine, make_settings_engine
from service.migrate import head_revision, upgrade_database
from tests.api.conftest import parsed, seed
from tests.conftest import PG_ADMIN_URL


@pytest.fixture(autouse=True)
def _postgresql_only(db_kind: str) -> None:
    if db_kind != "postgresql":
        pytest.skip("PostgreSQL behaviour (run with --db postgresql)")


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database of this test's own."""
    name = f"understudy_fresh_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str, start: multiprocessing.synchronize.Event) -> tuple[str | None, str]:  # type: ignore[name-defined]
    start.wait(30)
    engine = make_engine(url)
    try:
        return upgrade_database(engine)
    finally:
        engine.dispose()


def test_replicas_starting_together_migrate_the_database_once(fresh_pg_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Event()
        with context.Pool(4) as pool:
            pending = [pool.apply_async(_migrate, (fresh_pg_url, start)) for _ in range(4)]
            start.set()
            results = [p.get(timeout=120) for p in pending]
    head = head_revision()
    assert [after for _, after in results] == [head] * 4
    assert sorted(results, key=lambda r: r[0] or "") == [(None, head)] + [(head, head)] * 3
    engine = make_engine(fresh_pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), min(version_num) FROM alembic_version")).one() == (1, head)
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 0
    engine.dispose()


def _two_versions(session_factory: sessionmaker[Session]) -> tuple[int, int]:
    with session_factory() as session:
        twin = store.create_twin(session, "dana", "Dana Reyes")
        v1 = store.add_source(session, twin, parsed("Plan", "plan.docx", "Version one of the plan.")).source
        v2 = store.add_source(session, twin, parsed("Plan", "plan.docx", "Version two of the plan.")).source
        session.commit()
        assert (v1.version, v2.version) == (1, 2)
        return v1.id, v2.id


def _approve_in_turn(session_factory: sessionmaker[Session], first: int, second: int) -> None:
    """Session A approves `first` and holds its transaction open while B approves `second`, then A commits."""
    a_approved, b_started, errors = threading.Event(), threading.Event(), []

    def a() -> None:
        try:
            with session_factory() as session:
                store.approve_source(session, first, actor="a@example.com")
                a_approved.set()
                b_started.wait(10)
                threading.Event().wait(0.3)  # give B time to reach its lock
                session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def b() -> None:
        try:
            a_approved.wait(10)
            b_started.set()
            with session_factory() as session:
                store.approve_source(session, second, actor="b@example.com")
                session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


@pytest.mark.parametrize("order", ["old-then-new", "new-then-old"])
def test_concurrent_approvals_of_two_versions_leave_exactly_one_current(session_factory, order: str) -> None:
    v1, v2 = _two_versions(session_factory)
    first, second = (v1, v2) if order == "old-then-new" else (v2, v1)
    _approve_in_turn(session_factory, first, second)
    with session_factory() as session:
        rows = {s.id: s for s in session.scalars(select(Source).where(Source.filename == "plan.docx"))}
        current = [s.id for s in rows.values() if s.status == "approved" and s.superseded_by_id is None]
        assert current == [v2], {i: (s.status, s.superseded_by_id) for i, s in rows.items()}
        assert rows[v1].superseded_by_id == v2


def test_approving_the_same_draft_from_two_sessions_records_one_approval(session_factory) -> None:
    v1, _ = _two_versions(session_factory)
    _approve_in_turn(session_factory, v1, v1)
    with session_factory() as session:
        approvals = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "source.approve", AuditEvent.object_id == v1))
        assert approvals == 1


def test_an_open_ingestion_transaction_does_not_block_answers(session_factory, settings: Settings) -> None:
    from service.twin.engine import answer_question

    with session_factory() as session:
        seed(session)
    ingesting = session_factory()
    try:
        twin = store.get_twin(ingesting, "dana")
        long_memo = [f"Paragraph {n} of a very long memo about cold chain pricing." for n in range(2000)]
        store.add_source(ingesting, twin, parsed("Long memo", "long.docx", *long_memo), approve=True)
        ingesting.flush()  # rows written and locked, not committed
        answered: list[object] = []

        def ask() -> None:
            with session_factory() as session:
                answer = answer_question(session, settings.replace(grounding_threshold=0.1), "dana",
                                         "Why did you choose cold chain for pharmaceutical customers?",
                                         store.viewer_for(None))
                session.commit()
                answered.append(answer)

        thread = threading.Thread(target=ask)
        thread.start()
        thread.join(60)
        assert answered and not thread.is_alive(), "the answer waited for the ingestion transaction"
        assert all(c.title != "Long memo" for c in answered[0].citations)  # type: ignore[attr-defined]
    finally:
        ingesting.rollback()
        ingesting.close()


def test_pool_sizes_come_from_the_settings(settings: Settings) -> None:
    engine = make_settings_engine(settings.replace(db_pool_size=3, db_max_overflow=2, db_pool_timeout=7.0))
    try:
        assert engine.pool.size() == 3  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 2  # type: ignore[attr-defined]
        assert engine.pool._timeout == 7.0  # type: ignore[attr-defined]
    finally:
        engine.dispose()
