"""Term statistics of a question against a twin's corpus: which words the corpus never uses."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.search.index import refresh_search_statistics
from service.search.terms import term_stats
from tests.search.corpus import add_doc, make_twin


def corpus(session: Session) -> None:
    twin = make_twin(session, "dana", "Dana Reyes")
    add_doc(session, twin, "ireland.txt", ["The cease-fire in Northern Ireland has held for a year, and jobs came back.",
                                           "Our work force is stronger when it draws on every background.",
                                           "Drivers walk out of the depot on time, and no one coming late is fined."])
    refresh_search_statistics(session)  # as an ingestion does (PostgreSQL's may still describe an earlier test's corpus)
    session.commit()


def test_a_compound_the_corpus_writes_as_two_words_is_not_a_word_it_never_uses(session: Session) -> None:
    corpus(session)
    stats = term_stats(session, "Has the ceasefire helped, and is a diverse workforce better? Was there a walkout?")
    assert stats is not None
    assert not {"ceasefir", "workforc", "walkout"} & stats.absent, stats.absent
    assert stats.idf["ceasefir"] > 0


def test_words_the_corpus_never_uses_stay_absent_even_when_they_split_into_its_words(session: Session) -> None:
    corpus(session)
    stats = term_stats(session, "Should schools ban smartphones, and what about oncoming traffic?")
    assert stats is not None
    # "smart phones" is nowhere; "on coming" stands side by side but "on" is no half of a compound.
    assert {"smartphon", "oncom"} <= stats.absent
