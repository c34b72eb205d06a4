"""Term statistics of a twin's corpus from the search index: how rare each of a question's stems is."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.search.index import document_frequencies
from textkit.stems import american_spelling, stem
from textkit.words import content_words


@dataclass(frozen=True)
class TermStats:
    """How rare each stem is in the twin's corpus (inverse document frequency) and how many passages it has."""

    idf: dict[str, float]
    passages: int
    # Stems no passage contains: a question that names them asks about something the corpus never mentions.
    absent: frozenset[str] = frozenset()


def term_stats(session: Session, query: str) -> TermStats | None:
    """Inverse document frequency of the query's stems in the corpus, from the search index."""
    terms = {stem(w): american_spelling(w) for w in content_words(query)}
    try:
        df, total = document_frequencies(session, terms)
        if session.get_bind().dialect.name == "postgresql":
            df.update(_exact_rare_frequencies(session, terms, df, total))
    except Exception:  # the weights then come from ordinary English alone
        return None
    if total <= 0:
        return None
    idf = {s: math.log(1.0 + (total - min(df.get(s, 0), total) + 0.5) / (min(df.get(s, 0), total) + 0.5))
           for s in terms}
    return TermStats(idf=idf, passages=total, absent=frozenset(s for s in terms if df.get(s, 0) <= 0))


def _exact_rare_frequencies(session: Session, terms: dict[str, str], estimated: dict[str, int],
                            total: int) -> dict[str, int]:
    """Exact passage counts for the terms PostgreSQL's planner only guesses at (rare ones, which decide whether
    the corpus can answer at all); one index scan for all of them."""
    rare = [(s, w) for s, w in terms.items() if w.isalnum() and estimated.get(s, 0) <= max(50, total // 50)]
    if not rare:
        return {}
    counts = ", ".join(f"count(*) FILTER (WHERE search_vector @@ to_tsquery('english', :w{i}))"
                       for i in range(len(rare)))
    params = {f"w{i}": w for i, (_, w) in enumerate(rare)}
    params["any"] = " | ".join(w for _, w in rare)
    row = session.execute(text(f"SELECT {counts} FROM passages WHERE search_vector @@ to_tsquery('english', :any)"),
                          params).one()
    return {s: int(n) for (s, _), n in zip(rare, row, strict=True)}
