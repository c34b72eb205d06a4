import hashlib

import pytest
from sqlalchemy import func, select

from ingestion.model import ParsedDocument, ParsedPassage
from service.corpus import store
from service.corpus.models import AuditEvent, Interaction, Passage, Source, Twin
from service.errors import BadInput, Conflict, NotFound


def make_doc(filename: str, *texts: str, title: str = "Memo") -> ParsedDocument:
    body = "\n".join(texts).encode()
    return ParsedDocument(
        title=title, kind="memo", filename=filename, sha256=hashlib.sha256(body).hexdigest(), size_bytes=len(body),
        date=None, passages=[ParsedPassage(ordinal=i, text=t, locator=f"¶ {i + 1}") for i, t in enumerate(texts)],
    )


@pytest.fixture
def twin(session):
    t = store.create_twin(session, "dana", "Dana Reyes", title="CEO")
    session.commit()
    return t


def actions(session):
    return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_create_twin_validates_and_derives_speaker_labels(session):
    t = store.create_twin(session, "dana-reyes", "Dana Reyes")
    assert t.speaker_labels == ["DANA REYES", "REYES", "DANA"]
    assert not t.has_consent
    with pytest.raises(BadInput):
        store.create_twin(session, "Bad Slug!", "X")
    with pytest.raises(Conflict):
        store.create_twin(session, "dana-reyes", "Someone Else")


def test_add_source_stores_passages_as_draft_and_audits(session, twin):
    result = store.add_source(session, twin, make_doc("a.docx", "First.", "Second."), uploaded_by="cur@x.com")
    session.commit()
    assert result.status == "ingested"
    src = store.get_source(session, result.source.id)
    assert src.status == "draft" and src.version == 1
    assert [p.text for p in src.passages] == ["First.", "Second."]
    assert [p.locator for p in src.passages] == ["¶ 1", "¶ 2"]
    assert actions(session) == ["twin.create", "source.add"]


def test_same_bytes_again_is_a_duplicate_and_writes_nothing(session, twin):
    store.add_source(session, twin, make_doc("a.docx", "Same words."))
    session.commit()
    again = store.add_source(session, twin, make_doc("renamed.docx", "Same words."))
    assert again.status == "duplicate"
    assert session.scalar(select(func.count()).select_from(Source)) == 1
    assert session.scalar(select(func.count()).select_from(Passage)) == 1


def test_new_content_under_same_name_is_a_version_that_supersedes_once_approved(session, twin):
    v1 = store.add_source(session, twin, make_doc("plan.docx", "Old plan."), approve=True).source
    v2 = store.add_source(session, twin, make_doc("plan.docx", "New plan.")).source
    session.commit()
    assert (v2.version, v2.supersedes_id) == (2, v1.id)
    assert store.get_source(session, v1.id).superseded_by_id is None, "a draft must not hide the approved version"
    store.approve_source(session, v2.id, actor="cur@x.com")
    session.commit()
    assert store.get_source(session, v1.id).superseded_by_id == v2.id
    assert [s.version for s in store.source_versions(session, v2)] == [2, 1]
    current = store.list_sources(session, twin, status="approved", current_only=True)
    assert [s.id for s in current] == [v2.id]


def test_approving_an_older_version_after_a_newer_one_keeps_the_newer_current(session, twin):
    v1 = store.add_source(session, twin, make_doc("plan.docx", "Old plan.")).source
    v2 = store.add_source(session, twin, make_doc("plan.docx", "New plan."), approve=True).source
    store.approve_source(session, v1.id)
    session.commit()
    assert store.get_source(session, v1.id).superseded_by_id == v2.id
    assert store.get_source(session, v2.id).superseded_by_id is None


def test_retire_and_approve_rules(session, twin):
    src = store.add_source(session, twin, make_doc("a.docx", "Words.")).source
    store.retire_source(session, src.id, actor="cur@x.com", reason="outdated")
    session.commit()
    assert store.get_source(session, src.id).status == "retired"
    with pytest.raises(Conflict, match="retired"):
        store.approve_source(session, src.id)
    with pytest.raises(NotFound):
        store.approve_source(session, 999_999)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "source.retire")).one()
    assert event.actor == "cur@x.com" and event.detail["reason"] == "outdated"


def test_add_source_rejects_unknown_kind_and_empty_audience(session, twin):
    with pytest.raises(BadInput):
        store.add_source(session, twin, make_doc("a.docx", "x"), kind="poem")
    with pytest.raises(BadInput):
        store.add_source(session, twin, make_doc("a.docx", "x"), audience="  ")


def test_users_tokens_are_hashed_and_rotate(session):
    user, token = store.add_user(session, "Lee@Example.com", role="curator", audiences=["leadership"])
    session.commit()
    assert user.email == "lee@example.com"
    assert token not in (user.token_hash or "")
    assert store.user_for_token(session, token).id == user.id
    new_token = store.rotate_token(session, "lee@example.com")
    assert store.user_for_token(session, token) is None
    assert store.user_for_token(session, new_token).id == user.id
    store.update_user(session, "lee@example.com", active=False)
    assert store.user_for_token(session, new_token) is None
    viewer = store.viewer_for(user)
    assert viewer.audiences == {"leadership", "everyone"} and viewer.may("curator") and not viewer.may("admin")
    assert store.viewer_for(None).audiences == {"everyone"}
    with pytest.raises(BadInput):
        store.add_user(session, "not-an-email", role="employee")
    with pytest.raises(BadInput):
        store.add_user(session, "a@b.c", role="superuser")


def test_consent_pause_and_forget_keep_only_an_audit_entry(session, twin):
    store.record_consent(session, "dana", by="Dana Reyes", scope="internal Q&A and rehearsal")
    store.set_twin_paused(session, "dana", True)
    src = store.add_source(session, twin, make_doc("a.docx", "One.", "Two."), approve=True).source
    store.record_interaction(session, twin=twin, user_id=None, question="q", answer="a", conversation_id="c1",
                             passages=[{"passage_id": 1, "source_id": src.id, "version": 1}], mode="extractive",
                             grounded=True, latency_ms=1.0)
    session.commit()
    assert twin.has_consent and twin.paused
    counts = store.forget_twin(session, "dana", actor="admin@x.com")
    session.commit()
    assert counts == {"sources": 1, "passages": 2, "interactions": 1}
    for model in (Twin, Source, Passage, Interaction):
        assert session.scalar(select(func.count()).select_from(model)) == 0
    assert actions(session)[-1] == "twin.forget"
    with pytest.raises(NotFound):
        store.get_twin(session, "dana")


def test_consent_needs_who_and_what(session, twin):
    with pytest.raises(BadInput):
        store.record_consent(session, "dana", by=" ", scope="x")


def test_feedback_only_on_ones_own_answer(session, twin):
    user, _ = store.add_user(session, "e@x.com")
    row = store.record_interaction(session, twin=twin, user_id=user.id, question="q", answer="a",
                                   conversation_id="c", passages=[], mode="extractive", grounded=False,
                                   latency_ms=2.0)
    session.commit()
    with pytest.raises(NotFound):
        store.record_feedback(session, row.id, user_id=None, helpful=False)
    store.record_feedback(session, row.id, user_id=user.id, helpful=False, reason=" missing the Q3 memo ")
    assert (row.feedback, row.feedback_reason) == ("not_helpful", "missing the Q3 memo")
