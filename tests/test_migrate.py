import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from service.corpus import store
from service.db import make_engine, session_scope
from service.migrate import current_revision, head_revision, upgrade_database


def test_database_is_at_head_and_upgrade_is_idempotent(engine):
    assert current_revision(engine) == head_revision()
    before, after = upgrade_database(engine)
    assert before == after == head_revision()
    assert {"twins", "sources", "passages", "users", "audit_events", "interactions"} <= set(inspect(engine).get_table_names())


def test_audit_log_refuses_updates_and_deletes(session_factory, engine):
    with session_scope(session_factory) as s:
        store.record_audit(s, "curator@example.com", "source.approve", object_type="source", object_id=1)
    for statement in ("UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_events")).scalar_one() == "curator@example.com"


def test_fresh_sqlite_file_is_created_with_its_folder(tmp_path):
    url = f"sqlite:///{tmp_path}/nested/dir/u.db"
    eng = make_engine(url)
    assert upgrade_database(eng) == (None, head_revision())
    assert (tmp_path / "nested/dir/u.db").exists()
    eng.dispose()
