"""Export a twin and import it elsewhere: sources with versions and status, passages, persona, consent, audit."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.corpus import store
from service.corpus.access import Viewer
from service.db import make_engine, make_session_factory
from service.errors import BadInput, Conflict
from service.migrate import upgrade_database
from service.ops.transfer import export_twin, import_twin, read_export, write_export
from service.search import search_passages
from tests.api.conftest import parsed

EVERYONE = Viewer(audiences=frozenset({"everyone"}), user_id=None, email=None, role="employee")
FINANCE = Viewer(audiences=frozenset({"everyone", "finance"}), user_id=None, email=None, role="employee")


def build_twin(session: Session) -> None:
    """A twin with consent, persona, two versions of a memo, a retired talk, a draft and a finance-only memo."""
    twin = store.create_twin(session, "dana", "Dana Reyes", title="CEO", speaker_labels=["DANA REYES"])
    store.record_consent(session, "dana", by="Dana Reyes", scope="internal questions")
    store.update_persona(session, "dana", {"no_answer": "I have not said anything about that yet."})
    v1 = store.add_source(session, twin, parsed("Fleet plan", "fleet.docx",
                                                "Our vans go electric in 2030 at the earliest.",
                                                date=dt.date(2024, 1, 5)), approve=True).source
    store.add_source(session, twin, parsed("Fleet plan", "fleet.docx",
                                           "Our urban vans go electric by 2027 because charging got cheaper.",
                                           date=dt.date(2025, 2, 1)), approve=True)
    talk = store.add_source(session, twin, parsed("Old talk", "talk.docx", "Quarterly pricing stays flat.",
                                                  speaker="DANA REYES"), approve=True).source
    store.retire_source(session, talk.id, reason="out of date")
    store.add_source(session, twin, parsed("Draft", "draft.docx", "Warehouse robots arrive next spring."))
    store.add_source(session, twin, parsed("Margins", "margins.docx", "Cold chain margin target is eighteen percent."),
                     audience="finance", approve=True)
    store.set_twin_paused(session, "dana", True)
    store.set_twin_paused(session, "dana", False)
    assert v1.superseded_by_id is not None
    session.commit()


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """An export without this database's ids: versions linked by (filename, version)."""
    ids = {s["id"]: (s["filename"], s["version"]) for s in data["sources"]}
    sources = []
    for s in data["sources"]:
        record = {k: v for k, v in s.items() if k not in {"id", "supersedes_id", "superseded_by_id", "type"}}
        record["supersedes"] = ids.get(s["supersedes_id"])
        record["superseded_by"] = ids.get(s["superseded_by_id"])
        sources.append(record)
    audit = [{k: v for k, v in e.items() if k not in {"id", "object_id", "type"}} for e in data["audit"]]
    for event in audit:
        event["detail"] = {k: v for k, v in event["detail"].items() if k not in {"supersedes", "exported_object_id"}}
    return {"twin": data["twin"], "sources": sorted(sources, key=lambda s: (s["filename"], s["version"])),
            "audit": audit}


@pytest.fixture
def sqlite_factory(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade_database(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_a_twin_survives_export_and_import_into_another_database(session_factory, sqlite_factory,
                                                                 tmp_path: Path) -> None:
    with session_factory() as session:
        build_twin(session)
        original = export_twin(session, "dana")
    path = tmp_path / "dana.jsonl.gz"
    with session_factory() as session:
        summary = write_export(session, "dana", path)
    assert (summary.sources, summary.passages) == (5, 5) and summary.audit_events == len(original["audit"])
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        assert json.loads(lines.readline())["format"] == "understudy-twin"
    with sqlite_factory() as target:
        imported = import_twin(target, read_export(path), actor="ops@example.com")
        target.commit()
        assert imported.to_dict() == summary.to_dict()
        copy = export_twin(target, "dana")
        assert comparable(copy)["sources"] == comparable(original)["sources"]
        assert comparable(copy)["twin"] == comparable(original)["twin"]
        assert comparable(copy)["audit"][:len(original["audit"])] == comparable(original)["audit"]
        assert copy["audit"][-1]["action"] == "twin.import" and copy["audit"][-1]["actor"] == "ops@example.com"
        twin = store.get_twin(target, "dana")
        assert twin.has_consent and twin.persona["no_answer"].startswith("I have not said")
        texts = [h.text for h in search_passages(target, twin, "when do the vans go electric", EVERYONE)]
        assert any("by 2027" in t for t in texts) and not any("2030" in t for t in texts)
        assert not search_passages(target, twin, "quarterly pricing flat", EVERYONE)
        assert not search_passages(target, twin, "cold chain margin target", EVERYONE)
        assert search_passages(target, twin, "cold chain margin target", FINANCE)


def test_an_export_from_sqlite_imports_into_this_database_under_a_new_slug(session_factory,
                                                                            sqlite_factory) -> None:
    with sqlite_factory() as source:
        build_twin(source)
        data = export_twin(source, "dana")
    with session_factory() as session:
        import_twin(session, data, slug="dana-staging")
        session.commit()
        twin = store.get_twin(session, "dana-staging")
        hits = search_passages(session, twin, "when do the vans go electric", EVERYONE)
        assert hits and "by 2027" in hits[0].text
        versions = {s.version: s for s in store.list_sources(session, twin) if s.filename == "fleet.docx"}
        assert versions[1].superseded_by_id == versions[2].id and versions[2].supersedes_id == versions[1].id
        events = store.list_audit(session, twin_slug="dana-staging")
        assert {e.action for e in events} >= {"source.add", "source.approve", "source.retire", "twin.import"}
        assert all(e.object_id in {s.id for s in store.list_sources(session, twin)}
                   for e in events if e.object_type == "source")


def test_importing_over_an_existing_twin_or_a_foreign_file_is_refused(session_factory, tmp_path: Path) -> None:
    with session_factory() as session:
        build_twin(session)
        data = export_twin(session, "dana")
        with pytest.raises(Conflict):
            import_twin(session, data)
        session.rollback()
        with pytest.raises(BadInput):
            import_twin(session, {"format": "something-else", "twin": {}})
        session.rollback()
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"type": "twin", "format": "understudy-twin", "version": 1}\nnot json\n')
    with pytest.raises(BadInput):
        list(read_export(broken))
