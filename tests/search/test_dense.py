"""The optional dense rerank reorders through a real HTTP embeddings endpoint and falls back when it fails."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus.access import Viewer
from service.corpus.models import Twin
from service.search import DenseReranker, reranker_for, search_as_configured, search_passages
from tests.search.corpus import add_budget_corpus
from tests.support.fake_openai import EMBEDDINGS_PATH, FakeOpenAI

EVERYONE = Viewer.public()
QUERY = "budget hiring"


@pytest.fixture
def twin(session: Session) -> Twin:
    return add_budget_corpus(session)


def _reranker(settings: Settings, fake_openai: FakeOpenAI, weight: float = 1.0) -> DenseReranker:
    configured = settings.replace(embeddings_model="fake-embed", embeddings_base_url=fake_openai.base_url,
                                  llm_api_key="test-key", search_dense_weight=weight)
    reranker = DenseReranker.from_settings(configured)
    assert reranker is not None
    return reranker


def test_the_embedded_model_is_the_default_and_off_means_lexical(settings: Settings,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    embedded = DenseReranker.from_settings(settings)
    assert embedded is not None and embedded.model == "all-MiniLM-L6-v2-int8" and embedded.client is None
    assert DenseReranker.from_settings(settings.replace(embeddings_model="off")) is None
    assert reranker_for(settings.replace(embeddings_model="OFF")) is None
    with caplog.at_level(logging.WARNING, logger="service.search.dense"):
        assert DenseReranker.from_settings(settings.replace(embeddings_model="m")) is None, "no endpoint"
    assert "no endpoint is set" in caplog.text


def test_dense_rerank_reorders_and_caches_passage_vectors(session: Session, twin: Twin, settings: Settings,
                                                          fake_openai: FakeOpenAI) -> None:
    lexical = search_passages(session, twin, QUERY, EVERYONE, k=2)
    assert [h.title for h in lexical] == ["Budget memo", "Panel"]

    reranker = _reranker(settings, fake_openai)
    dense = search_passages(session, twin, QUERY, EVERYONE, k=2, reranker=reranker)
    assert [h.title for h in dense] == ["Panel", "Budget memo"]
    assert dense[0].score > dense[1].score
    embedded = [r["body"]["input"] for r in fake_openai.requests if r["path"] == EMBEDDINGS_PATH]
    assert sum(len(batch) for batch in embedded) == 3, "query plus both passages, passages batched together"

    fake_openai.reset()
    search_passages(session, twin, QUERY, EVERYONE, k=2, reranker=reranker)
    assert fake_openai.requests == [], "the query's and the passages' vectors come from memory"


def test_failing_endpoint_falls_back_to_lexical_with_a_warning(session: Session, twin: Twin, settings: Settings,
                                                                fake_openai: FakeOpenAI,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    reranker = _reranker(settings, fake_openai)
    fake_openai.set_mode("error500")
    with caplog.at_level(logging.WARNING, logger="service.search.dense"):
        hits = search_passages(session, twin, QUERY, EVERYONE, k=2, reranker=reranker)
    assert [h.title for h in hits] == ["Budget memo", "Panel"]
    assert "dense rerank unavailable" in caplog.text
    fake_openai.stop()
    assert [h.title for h in search_passages(session, twin, QUERY, EVERYONE, k=2, reranker=reranker)] == [
        "Budget memo", "Panel"], "an endpoint that is gone altogether"


def test_configured_search_shares_one_reranker_and_its_cache(session: Session, twin: Twin, settings: Settings,
                                                            fake_openai: FakeOpenAI) -> None:
    configured = settings.replace(embeddings_model="fake-embed", embeddings_base_url=fake_openai.base_url,
                                  llm_api_key="test-key", search_dense_weight=1.0)
    assert reranker_for(settings.replace(embeddings_model="off")) is None
    assert reranker_for(configured) is reranker_for(configured.replace())
    first = search_as_configured(session, configured, twin, QUERY, EVERYONE, k=2)
    assert [h.title for h in first] == ["Panel", "Budget memo"]
    fake_openai.reset()
    search_as_configured(session, configured, twin, "hiring budget", EVERYONE, k=2)  # as another request would
    assert [r["body"]["input"] for r in fake_openai.requests] == [["hiring budget"]], "only the new query"


def test_answers_stand_on_the_dense_ranking_when_embeddings_are_configured(session: Session, twin: Twin,
                                                                          settings: Settings,
                                                                          fake_openai: FakeOpenAI) -> None:
    from service.corpus import store
    from service.twin.engine import answer_question

    store.record_consent(session, "dana", by="Dana Reyes", scope="answers")
    session.commit()
    configured = settings.replace(embeddings_model="fake-embed", embeddings_base_url=fake_openai.base_url,
                                  llm_api_key="test-key", grounding_threshold=0.0)
    answer_question(session, configured, "dana", "What about the budget for hiring?", EVERYONE)
    assert any(r["path"] == EMBEDDINGS_PATH for r in fake_openai.requests), "the answer's search asked for embeddings"
    fake_openai.reset()
    answer_question(session, settings.replace(grounding_threshold=0.0), "dana", "What about the budget for hiring?",
                    EVERYONE)
    assert not fake_openai.requests, "no embeddings endpoint configured: none asked"
