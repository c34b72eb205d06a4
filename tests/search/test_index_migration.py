"""Migration 0002 builds the index over rows already there, and triggers keep it in step afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.access import Viewer
from service.db import make_engine, make_session_factory, session_scope
from service.migrate import alembic_config, current_revision, head_revision, upgrade_database
from service.search import search_passages
from tests.conftest import PG_ADMIN_URL
from tests.search.corpus import add_doc, make_twin

EVERYONE = Viewer.public()


@pytest.fixture
def empty_engine(db_kind: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new, unmigrated database."""
    if db_kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    name = f"understudy_mig_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(engine: Engine, verb: str, revision: str) -> None:
    with engine.begin() as conn:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, revision)


def test_upgrade_indexes_passages_that_were_already_stored(empty_engine: Engine) -> None:
    _migrate(empty_engine, "upgrade", "0001")
    factory = make_session_factory(empty_engine)
    with session_scope(factory) as s:
        twin = make_twin(s, "dana", "Dana Reyes")
        add_doc(s, twin, "old.docx", ["Our gannet initiative predates the search index."], title="Seabirds")
    assert current_revision(empty_engine) == "0001"

    upgrade_database(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    with session_scope(factory) as s:
        twin = store.get_twin(s, "dana")
        assert [h.title for h in search_passages(s, twin, "gannet initiative", EVERYONE)] == ["Seabirds"]
        assert [h.title for h in search_passages(s, twin, "seabirds", EVERYONE)] == ["Seabirds"], "title indexed"

    _migrate(empty_engine, "downgrade", "0001")
    upgrade_database(empty_engine)
    with session_scope(factory) as s:
        twin = store.get_twin(s, "dana")
        assert search_passages(s, twin, "gannet", EVERYONE)


def _fts_is_consistent(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        # FTS5 compares every indexed token with the content: a missed or wrong delete fails here.
        session.execute(text("INSERT INTO passages_fts(passages_fts, rank) VALUES ('integrity-check', 1)"))


def test_index_follows_title_changes_and_cascading_deletes(session: Session) -> None:
    twin = make_twin(session, "dana", "Dana Reyes")
    source = add_doc(session, twin, "a.docx", ["The puffin count rose this spring."], title="Colony report")
    other = add_doc(session, twin, "b.docx", ["The puffin survey needs volunteers."], title="Survey")
    assert search_passages(session, twin, "colony", EVERYONE)
    session.execute(text("UPDATE sources SET title = 'Annual census' WHERE id = :id"), {"id": source.id})
    assert search_passages(session, twin, "colony", EVERYONE) == []
    assert [h.source_id for h in search_passages(session, twin, "census", EVERYONE)] == [source.id]
    _fts_is_consistent(session)

    session.execute(text("UPDATE passages SET text = 'The guillemot count rose.' WHERE source_id = :id"),
                    {"id": source.id})
    assert [h.source_id for h in search_passages(session, twin, "puffin", EVERYONE)] == [other.id]
    assert search_passages(session, twin, "guillemot", EVERYONE)
    _fts_is_consistent(session)

    session.execute(text("DELETE FROM sources WHERE id = :id"), {"id": source.id})
    assert search_passages(session, twin, "guillemot", EVERYONE) == []
    _fts_is_consistent(session)

    session.execute(text("DELETE FROM twins WHERE id = :id"), {"id": twin.id})
    _fts_is_consistent(session)
    assert session.execute(text("SELECT count(*) FROM passages")).scalar() == 0
    if session.get_bind().dialect.name == "sqlite":
        assert session.execute(text("SELECT count(*) FROM passages_fts_vocab")).scalar() == 0
