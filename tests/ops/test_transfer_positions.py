"""A curator's "position superseded by a later source" marks travel with a twin's export and import."""

from __future__ import annotations

import datetime as dt

from service.corpus import revisions, store
from service.ops.transfer import export_twin, import_twin
from tests.api.conftest import parsed
from tests.ops.test_transfer import sqlite_factory  # noqa: F401  (fixture: another database)


def test_marks_survive_export_and_import(session_factory, sqlite_factory) -> None:  # noqa: F811
    with session_factory() as session:
        twin = store.create_twin(session, "dana", "Dana Reyes", title="CEO")
        old = store.add_source(session, twin, parsed("Plan", "plan.docx", "Our focus is the Midwest.",
                                                     date=dt.date(2025, 1, 20)), approve=True).source
        new = store.add_source(session, twin, parsed("Update", "update.docx", "Our focus is the Pacific Northwest.",
                                                     date=dt.date(2026, 3, 4)), approve=True).source
        revisions.mark_revised(session, old.id, new.id, actor="curator@example.com", note="new ports")
        session.commit()
        data = export_twin(session, "dana")
    assert [s["revised_by"] for s in data["sources"]][0][0]["note"] == "new ports"
    with sqlite_factory() as target:
        import_twin(target, data, slug="dana-copy", actor="ops@example.com")
        target.commit()
        copy = store.get_twin(target, "dana-copy")
        plan = next(s for s in store.list_sources(target, copy) if s.title == "Plan")
        links = revisions.revised_by(target, plan)
        assert [(link.other.title, link.revision.note, link.revision.marked_by) for link in links] == [
            ("Update", "new ports", "curator@example.com")]
