"""Whatever a person types gets results or a clean empty list: never an index syntax error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from service.corpus.access import Viewer
from service.corpus.models import Twin
from service.search import parse_batch, parse_query, search_passages
from tests.search.corpus import add_doc, make_twin

EVERYONE = Viewer.public()

HOSTILE = [
    "", "   ", "\n\t", "the and of to a in", "What do you think?", "???!!! ... ,,, ;;;",
    '"', '""', '"remote', "remote*", "*", "NEAR", "NEAR(remote work, 2)", "remote NEAR work", "-remote",
    "remote -work", "title:remote", "text : remote", "twin_id : 1", "{title}: remote", "^remote", "remote^2",
    "(((remote", "remote)))", "AND", "OR NOT AND", "remote AND OR work", "NOT remote", "remote | work & !office",
    "remote:*", "'remote' & 'work'", "<-> remote", "\x00remote\x00", "remote\u200bwork", "café naïve résumé",
    "遠隔 勤務", "🙂 remote 🙂", "don't won't can't", "a" * 10_000, "remote " * 1_500, "x" * 41,
    ("What do you think about remote work, the office, travel, hiring, budgets, pricing and growth? " * 120)[:10_000],
]


@pytest.fixture
def twin(session: Session) -> Twin:
    twin = make_twin(session, "dana", "Dana Reyes")
    add_doc(session, twin, "work.docx", [
        "Remote work has its place, but I want the office full three days a week.",
        "We will not do that, and we won't apologise for it: the office is where we build.",
        "Café culture in Lisbon taught me that the best résumé is the work itself.",
    ])
    return twin


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_return_a_list(session: Session, twin: Twin, query: str) -> None:
    hits = search_passages(session, twin, query, EVERYONE, k=5)
    assert isinstance(hits, list) and len(hits) <= 5
    for hit in hits:
        assert hit.source_id and hit.text


def test_syntax_around_real_words_still_finds_them(session: Session, twin: Twin) -> None:
    for query in ['"remote', "remote*", "-remote", "title:remote", "NEAR(remote work, 2)", "(((remote",
                  "remote | work & !office", "\x00remote\x00"]:
        hits = search_passages(session, twin, query, EVERYONE, k=3)
        assert hits and "Remote work" in hits[0].text, query


def test_stop_words_alone_still_search_rather_than_fail(session: Session, twin: Twin) -> None:
    # Nothing but stop words: searched as they are (SQLite finds them; PostgreSQL's english index has none).
    hits = search_passages(session, twin, "we will not", EVERYONE, k=3)
    assert isinstance(hits, list)


def test_question_framing_and_second_person_are_not_required() -> None:
    parsed = parse_query("What do you think about your remote-work policy, and why did you choose it?")
    assert parsed.terms == ("remote", "work", "policy", "choose")
    assert parse_query("Tell me what you think.").terms == ("tell", "think")
    assert parse_query("").empty and parse_query("?!").empty
    assert len(parse_query(" ".join(f"word{i}" for i in range(500))).terms) <= 24


def test_batch_file_lines() -> None:
    lines = ["first query", "", '{"query": "second"}', '{"question": "third", "id": 3}']
    assert parse_batch(lines) == ["first query", "second", "third"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
       | st.lists(st.sampled_from(['"', "*", "NEAR", "-", ":", "^", "(", ")", "AND", "OR", "NOT", "remote", "work",
                                   "{", "}", "+", "|", "&", "!", "'", "office", "twin_id", "text"]),
                  max_size=12).map(" ".join))
def test_any_text_is_a_safe_query(session: Session, twin: Twin, query: str) -> None:
    assert isinstance(search_passages(session, twin, query, EVERYONE, k=3), list)
