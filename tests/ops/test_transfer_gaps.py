"""Gap-theme links (a theme of unanswered questions marked answered by a source) travel with a twin's export and
import, pointing at the imported source, with their theme centre, note and audit entry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from sqlalchemy import select

from service.corpus import store
from service.corpus.models import AuditEvent
from service.ops.transfer import export_twin, import_twin, read_export, write_export
from tests.api.conftest import parsed
from tests.ops.test_transfer import sqlite_factory  # noqa: F401  (fixture: another database)

CENTRE = (np.arange(8, dtype=np.float32) / np.linalg.norm(np.arange(8, dtype=np.float32))).astype(np.float32)


def test_theme_links_survive_export_and_import(session_factory, sqlite_factory, tmp_path: Path) -> None:  # noqa: F811
    with session_factory() as session:
        twin = store.create_twin(session, "dana", "Dana Reyes", title="CEO")
        store.add_source(session, twin, parsed("Plan", "plan.docx", "Our focus is the Midwest.",
                                               date=dt.date(2025, 1, 20)), approve=True)
        leave = store.add_source(session, twin, parsed("Leave policy", "leave.docx", "Parental leave is 20 weeks.",
                                                       date=dt.date(2026, 3, 4)), approve=True).source
        store.add_gap_theme_link(session, twin, name="parental leave", question="How long is parental leave?",
                                 source_id=leave.id, model="all-MiniLM-L6-v2", centroid=CENTRE.tobytes(),
                                 note="new policy memo", actor="comms@example.com")
        session.commit()
        data = export_twin(session, "dana")
        write_export(session, "dana", tmp_path / "dana.jsonl.gz")
    assert [(g["name"], g["note"]) for g in data["gap_links"]] == [("parental leave", "new policy memo")]
    for copy_slug, exported in (("dana-copy", data), ("dana-file", list(read_export(tmp_path / "dana.jsonl.gz")))):
        with sqlite_factory() as target:
            import_twin(target, exported, slug=copy_slug, actor="ops@example.com")
            target.commit()
            copy = store.get_twin(target, copy_slug)
            links = store.gap_theme_links(target, copy)
            assert [(link.name, link.question, link.note, link.linked_by, link.model) for link in links] == [
                ("parental leave", "How long is parental leave?", "new policy memo", "comms@example.com",
                 "all-MiniLM-L6-v2")]
            source = store.get_source(target, links[0].source_id)
            assert source.twin_id == copy.id and source.title == "Leave policy"
            assert np.array_equal(np.frombuffer(links[0].centroid, dtype=np.float32), CENTRE)
            audit = target.scalars(select(AuditEvent).where(AuditEvent.twin_slug == copy_slug,
                                                            AuditEvent.action == "gaps.link")).all()
            assert [event.object_id for event in audit] == [links[0].id]


def test_an_export_without_theme_links_still_imports(session_factory, sqlite_factory) -> None:  # noqa: F811
    with session_factory() as session:
        store.create_twin(session, "dana", "Dana Reyes", title="CEO")
        session.commit()
        data = export_twin(session, "dana")
    data.pop("gap_links")
    data["version"] = 1  # a file written before theme links travelled
    with sqlite_factory() as target:
        import_twin(target, data, slug="dana-old", actor="ops@example.com")
        target.commit()
        assert store.gap_theme_links(target, store.get_twin(target, "dana-old")) == []
