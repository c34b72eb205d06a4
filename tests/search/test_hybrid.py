"""Hybrid search: the twin's nearest passages by meaning join the lexical candidates, behind the same access filter."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.search import search_as_configured
from service.search.vectors import index_new_sources, vector_index
from tests.search.corpus import add_doc, make_twin

EVERYONE = Viewer.public()
BOARD = Viewer(audiences=frozenset({"everyone", "board"}))
QUESTION = "Will the depot get battery trucks?"


def _index(session: Session, settings: Settings, twin_slug: str) -> None:
    twin = store.get_twin(session, twin_slug)
    index_new_sources(session, settings, [s.id for s in store.list_sources(session, twin)])


def test_a_passage_that_shares_no_word_is_found_by_meaning(session: Session, settings: Settings) -> None:
    twin = make_twin(session, "dana", "Dana Reyes")
    fleet = add_doc(session, twin, "fleet.md", ["Four in ten of our city vans will be electric by 2026."])
    add_doc(session, twin, "meetings.md", ["Every proposal comes as a written memo of six pages."])
    session.commit()
    _index(session, settings, "dana")
    off = search_as_configured(session, settings.replace(embeddings_model="off"), twin, QUESTION, EVERYONE, k=3)
    assert fleet.id not in {h.source_id for h in off}, "no word in common"
    hits = search_as_configured(session, settings, twin, QUESTION, EVERYONE, k=3)
    assert hits[0].source_id == fleet.id and hits[0].similarity is not None and hits[0].similarity > 0.3


def test_nearest_passages_pass_the_same_audience_filter(session: Session, settings: Settings) -> None:
    twin = make_twin(session, "dana", "Dana Reyes")
    board = add_doc(session, twin, "board.md", ["Our battery truck order for the depots is approved."],
                    audience="board")
    add_doc(session, twin, "fleet.md", ["Diesel stays in the long-haul fleet for now."])
    draft = add_doc(session, twin, "draft.md", ["Battery trucks arrive at every depot in May."], approve=False)
    session.commit()
    _index(session, settings, "dana")
    seen = {h.source_id for h in search_as_configured(session, settings, twin, QUESTION, EVERYONE, k=10)}
    assert board.id not in seen and draft.id not in seen
    assert board.id in {h.source_id for h in search_as_configured(session, settings, twin, QUESTION, BOARD, k=10)}


def test_another_twins_passages_are_never_neighbours(session: Session, settings: Settings) -> None:
    dana = make_twin(session, "dana", "Dana Reyes")
    other = make_twin(session, "cfo", "Chris Olsen")
    add_doc(session, dana, "meetings.md", ["Every proposal comes as a written memo of six pages."])
    theirs = add_doc(session, other, "fleet.md", ["Battery trucks arrive at every depot in May."])
    session.commit()
    _index(session, settings, "dana")
    _index(session, settings, "cfo")
    assert theirs.id not in {h.source_id for h in search_as_configured(session, settings, dana, QUESTION,
                                                                       EVERYONE, k=10)}


def test_the_in_memory_index_follows_the_store(session: Session, settings: Settings) -> None:
    twin = make_twin(session, "dana", "Dana Reyes")
    add_doc(session, twin, "meetings.md", ["Every proposal comes as a written memo of six pages."])
    session.commit()
    _index(session, settings, "dana")
    model = search_as_configured.__globals__["reranker_for"](settings).model
    assert len(vector_index(session, model)) == 1
    fleet = add_doc(session, twin, "fleet.md", ["Battery trucks arrive at every depot in May."])
    session.commit()
    _index(session, settings, "dana")
    assert len(vector_index(session, model)) == 2, "new vectors are picked up"
    assert search_as_configured(session, settings, twin, QUESTION, EVERYONE, k=1)[0].source_id == fleet.id
    store.forget_twin(session, "dana")
    session.commit()
    vector_index(session, model).refresh(session, force=True)
    assert len(vector_index(session, model)) == 0, "erased vectors leave memory too"


def test_a_source_about_the_subject_outranks_a_passing_mention(session: Session, settings: Settings) -> None:
    twin = make_twin(session, "dana", "Dana Reyes")
    roundup = add_doc(session, twin, "roundup.md", [
        "The canteen reopens in June, and battery trucks reach the depots in May.",
        "The canteen menu adds a vegetarian option every day.",
        "Parking at head office is repainted over the summer."], title="Roundup")
    plan = add_doc(session, twin, "plan.md", [
        "Each depot gets chargers sized for its electric lorries.",
        "Every depot is wired for charging before its electric lorries arrive.",
        "Electric lorries come to every one of our sites next spring."], title="Plan")
    session.commit()
    _index(session, settings, "dana")
    plain = search_as_configured(session, settings, twin, QUESTION, EVERYONE, k=3)
    hits = search_as_configured(session, settings.replace(search_source_weight=1.0), twin, QUESTION, EVERYONE, k=3)
    assert plain[0].source_id == roundup.id, "by default, passage by passage: the passing mention is nearer"
    assert hits[0].source_id == plan.id
    assert all(0.0 <= h.score <= 1.0 for h in hits)
