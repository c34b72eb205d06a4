"""PostgreSQL search sizes its matching budget from table statistics: ingestion keeps them current, and a table
that was never analysed is analysed on first use, whatever autovacuum does."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.corpus import store
from service.search.index import document_frequencies, refresh_search_statistics
from tests.search.corpus import add_doc, make_twin


@pytest.fixture(autouse=True)
def _postgresql_only(db_kind: str) -> None:
    if db_kind != "postgresql":
        pytest.skip("PostgreSQL statistics (SQLite's FTS5 vocabulary is exact)")


def corpus(session: Session) -> None:
    twin = make_twin(session, "dana", "Dana Reyes")
    for i in range(30):
        add_doc(session, twin, f"memo-{i}.docx", [f"Cold chain lane {i} runs on time." if j % 3 == 0
                                                  else f"Ferry slot {i}.{j} opens in spring." for j in range(10)])
    session.commit()


def reltuples(session: Session) -> float:
    return float(session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'passages'")) or 0)


def never_analysed(session: Session) -> None:
    session.execute(text("UPDATE pg_class SET reltuples = -1 WHERE relname = 'passages'"))
    session.commit()


def test_refreshing_statistics_makes_frequencies_match_the_corpus(session: Session) -> None:
    corpus(session)
    never_analysed(session)
    refresh_search_statistics(session)
    session.commit()
    assert reltuples(session) == 300
    df, total = document_frequencies(session, {"chain": "chain", "ferri": "ferry"})
    assert total == 300
    assert 80 <= df["chain"] <= 120 and 170 <= df["ferri"] <= 230  # 100 and 200 passages hold them


def test_a_never_analysed_table_is_analysed_on_first_search(session: Session) -> None:
    corpus(session)
    never_analysed(session)
    import service.search.index as index

    index._PG_ANALYZED.clear()  # a process that has not seen this database yet
    index._PG_ROWS_CACHE.clear()
    df, total = document_frequencies(session, {"chain": "chain"})
    assert total == 300 and 80 <= df["chain"] <= 120
    assert reltuples(session) == 300


def test_statistics_that_are_close_enough_are_left_alone(session: Session) -> None:
    corpus(session)
    refresh_search_statistics(session)
    session.commit()
    assert reltuples(session) == 300
    add_doc(session, store.get_twin(session, "dana"), "one-more.docx", ["Cold chain lane runs late."])
    session.commit()
    refresh_search_statistics(session)  # 301 against 300: within the margin, no new ANALYZE
    session.commit()
    assert reltuples(session) == 300
