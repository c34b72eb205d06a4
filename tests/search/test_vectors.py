"""Passage vectors are stored once, at ingestion or by `understudy embed`, and read back instead of re-embedded."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from service.cli import main
from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import PassageVector, Source, Twin
from service.search import DenseReranker, search_passages
from service.search.vectors import (
    embed_and_store,
    embedding_text,
    index_new_sources,
    load_sentence_vectors,
    pack_vector,
    passages_without_vectors,
    sentence_texts,
    unpack_vector,
)
from tests.search.corpus import add_budget_corpus, add_doc, make_twin
from tests.support.fake_openai import EMBEDDINGS_PATH, FakeOpenAI

EVERYONE = Viewer.public()
QUERY = "budget hiring"
MODEL = "fake-embed"


@pytest.fixture
def configured(settings: Settings, fake_openai: FakeOpenAI) -> Settings:
    return settings.replace(embeddings_model=MODEL, embeddings_base_url=fake_openai.base_url, llm_api_key="test-key",
                            search_dense_weight=1.0)


@pytest.fixture
def twin(session: Session) -> Twin:
    twin = add_budget_corpus(session)
    session.commit()
    return twin


def fresh_reranker(configured: Settings) -> DenseReranker:
    """A reranker with an empty memory, as in a restarted process or a new replica."""
    reranker = DenseReranker.from_settings(configured)
    assert reranker is not None
    return reranker


def embedded_inputs(fake_openai: FakeOpenAI) -> list[str]:
    return [item for r in fake_openai.requests if r["path"] == EMBEDDINGS_PATH for item in r["body"]["input"]]


def source_ids(session: Session, twin: Twin) -> list[int]:
    return list(session.scalars(select(Source.id).where(Source.twin_id == twin.id).order_by(Source.id)))


def vector_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PassageVector)) or 0


def test_vectors_round_trip_as_float32() -> None:
    vector = [0.1, -0.25, 1 / 3, 0.0]
    back = unpack_vector(pack_vector(vector))
    assert len(pack_vector(vector)) == 16
    assert all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(vector, back, strict=True))


def test_stored_vectors_spare_a_restarted_process_every_passage_embedding(session: Session, twin: Twin,
                                                                        configured: Settings,
                                                                        fake_openai: FakeOpenAI) -> None:
    report = index_new_sources(session, configured, source_ids(session, twin))
    assert report is not None and report.error is None and report.embedded == 2
    assert vector_count(session) == 2
    assert passages_without_vectors(session, MODEL, twin_id=twin.id) == []

    fake_openai.reset()
    hits = search_passages(session, twin, QUERY, EVERYONE, k=2, reranker=fresh_reranker(configured))
    assert [h.title for h in hits] == ["Panel", "Budget memo"], "the dense ranking, from stored vectors"
    assert embedded_inputs(fake_openai) == [QUERY], "only the query was embedded"


def test_stored_and_live_vectors_rank_alike(session: Session, twin: Twin, configured: Settings) -> None:
    live = search_passages(session, twin, QUERY, EVERYONE, k=2, reranker=fresh_reranker(configured))
    index_new_sources(session, configured, source_ids(session, twin))
    stored = search_passages(session, twin, QUERY, EVERYONE, k=2, reranker=fresh_reranker(configured))
    assert [h.passage_id for h in stored] == [h.passage_id for h in live]
    assert [round(h.score, 5) for h in stored] == [round(h.score, 5) for h in live]


def test_a_retitled_source_is_embedded_again_not_read_stale(session: Session, twin: Twin, configured: Settings,
                                                           fake_openai: FakeOpenAI) -> None:
    index_new_sources(session, configured, source_ids(session, twin))
    session.execute(update(Source).where(Source.title == "Panel").values(title="Panel on staffing"))
    session.commit()
    stale = passages_without_vectors(session, MODEL, twin_id=twin.id)
    assert [body for _, body in stale] == [embedding_text("Panel on staffing", None, "Hiring budget.")]

    fake_openai.reset()
    search_passages(session, twin, QUERY, EVERYONE, k=2, reranker=fresh_reranker(configured))
    assert sorted(embedded_inputs(fake_openai)) == sorted([QUERY, "Panel on staffing Hiring budget."])


def test_retired_and_superseded_sources_are_not_embedded_but_drafts_are(session: Session, twin: Twin,
                                                                       configured: Settings) -> None:
    draft = add_doc(session, twin, "draft.md", ["Hiring plans for next year."], approve=False)
    retired = add_doc(session, twin, "old.md", ["An old hiring memo."])
    store.retire_source(session, retired.id)
    session.commit()
    todo = {pid for pid, _ in passages_without_vectors(session, MODEL, twin_id=twin.id)}
    draft_ids = set(session.scalars(text("SELECT id FROM passages WHERE source_id = :s"), {"s": draft.id}))
    retired_ids = set(session.scalars(text("SELECT id FROM passages WHERE source_id = :s"), {"s": retired.id}))
    assert draft_ids <= todo and not retired_ids & todo and len(todo) == 3


def test_an_endpoint_failure_mid_way_keeps_what_was_stored_and_never_raises(session: Session, twin: Twin,
                                                                            configured: Settings,
                                                                            fake_openai: FakeOpenAI) -> None:
    todo = passages_without_vectors(session, MODEL, twin_id=twin.id)
    report = embed_and_store(session, fresh_reranker(configured), todo, batch=1,
                             progress=lambda done, total: fake_openai.set_mode("error500"))
    assert (report.embedded, report.remaining) == (1, 1) and report.error
    session.rollback()  # nothing pending: the first batch was committed
    assert vector_count(session) == 1

    report = index_new_sources(session, configured, source_ids(session, twin))
    assert report is not None and report.error and report.embedded == 0, "reported, not raised"
    fake_openai.set_mode("honest")
    hits = search_passages(session, twin, QUERY, EVERYONE, k=2, reranker=fresh_reranker(configured))
    assert [h.title for h in hits] == ["Panel", "Budget memo"], "the missing vector is embedded on the fly"


def test_forgetting_a_twin_erases_its_vectors(session: Session, twin: Twin, configured: Settings) -> None:
    index_new_sources(session, configured, source_ids(session, twin))
    assert vector_count(session) == 2
    store.forget_twin(session, "dana")
    session.commit()
    assert vector_count(session) == 0


def test_without_embeddings_only_statistics_are_refreshed(session: Session, twin: Twin, settings: Settings) -> None:
    assert index_new_sources(session, settings.replace(embeddings_model="off"), source_ids(session, twin)) is None
    assert vector_count(session) == 0


def test_cli_embed_fills_what_is_missing_and_reports(session: Session, twin: Twin, configured: Settings,
                                                     database_url: str, fake_openai: FakeOpenAI) -> None:
    runner = CliRunner()
    env = {"UNDERSTUDY_DATABASE_URL": database_url}
    off = runner.invoke(main, ["embed"], env=env | {"UNDERSTUDY_EMBEDDINGS_MODEL": "off"})
    assert off.exit_code == 2 and "semantic search is off" in off.output

    env |= {"UNDERSTUDY_EMBEDDINGS_MODEL": MODEL, "UNDERSTUDY_EMBEDDINGS_BASE_URL": fake_openai.base_url}
    first = runner.invoke(main, ["embed", "dana", "--json"], env=env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["embedded"] == 2
    again = runner.invoke(main, ["embed"], env=env)
    assert again.exit_code == 0 and "dana: stored 0 passage vectors" in again.output

    fake_openai.set_mode("error500")
    session.execute(update(Source).where(Source.title == "Panel").values(title="Panel, retitled"))
    session.commit()
    failed = runner.invoke(main, ["embed", "dana"], env=env)
    assert failed.exit_code == 1 and "embedding stopped" in failed.output
    unknown = runner.invoke(main, ["embed", "nobody"], env=env)
    assert unknown.exit_code == 2 and "nobody" in unknown.output


def test_sentence_vectors_are_stored_with_the_passage_and_read_back_for_its_sentences(
        session: Session, configured: Settings, fake_openai: FakeOpenAI) -> None:
    twin = make_twin(session, "lee", "Lee Park")
    add_doc(session, twin, "note.md", ["Our target is 97%. We will hold it for every lane. Drivers come first."],
            title="Targets")
    session.commit()
    index_new_sources(session, configured, source_ids(session, twin))
    body = session.scalar(text("SELECT text FROM passages WHERE twin_id = :t"), {"t": twin.id})
    pid = session.scalar(text("SELECT id FROM passages WHERE twin_id = :t"), {"t": twin.id})
    sentences = sentence_texts(None, body)
    assert len(sentences) == 3

    fake_openai.reset()
    stored = load_sentence_vectors(session, MODEL, [(pid, "Targets", None, body)])
    assert sorted(stored) == sorted(sentences) and not embedded_inputs(fake_openai), "read, not embedded"
    live = fresh_reranker(configured).embed(sentences)
    assert all(np.allclose(stored[t], v, atol=1e-5) for t, v in zip(sentences, live, strict=True))
    # A retitled source's stored sentences are stale: nothing is read back, and `understudy embed` redoes them.
    assert load_sentence_vectors(session, MODEL, [(pid, "Targets, retitled", None, body)]) == {}


def test_passages_stored_before_their_sentences_were_embedded_are_embedded_again(
        session: Session, twin: Twin, configured: Settings) -> None:
    index_new_sources(session, configured, source_ids(session, twin))
    session.execute(update(PassageVector).values(sentence_vectors=None))
    session.commit()
    assert len(passages_without_vectors(session, MODEL, twin_id=twin.id)) == 2
    index_new_sources(session, configured, source_ids(session, twin))
    assert passages_without_vectors(session, MODEL, twin_id=twin.id) == []
