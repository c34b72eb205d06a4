"""Term statistics of a twin's corpus from the search index: how rare each of a question's stems is."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.search.index import document_frequencies
from textkit.stems import american_spelling, stem
from textkit.stopwords import CONTENT_STOP_WORDS
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
        df.update(written_apart(session, {s: w for s, w in terms.items() if df.get(s, 0) <= 0}))
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


# The shortest half of a compound looked for written apart ("co-workers").
MIN_COMPOUND_PART = 2
MIN_COMPOUND_WORD = 6


def written_apart(session: Session, words: dict[str, str]) -> dict[str, int]:
    """Passage counts of words ({stem: word}) that the corpus only writes as two words side by side: a question's
    "ceasefire" or "workforce" is in a corpus that says "cease-fire" and "work force" (its passages match the joined
    word too, textkit.words.stem_set_with_compounds), so it is not a word the corpus never uses."""
    splits = {s: [(w[:i], w[i:]) for i in range(MIN_COMPOUND_PART, len(w) - MIN_COMPOUND_PART + 1)
                  if w[:i] not in CONTENT_STOP_WORDS]  # "on coming" is no compound; "walk out" is one
              for s, w in words.items() if w.isascii() and w.isalpha() and len(w) >= MIN_COMPOUND_WORD}
    halves = {stem(half): half for pairs in splits.values() for pair in pairs for half in pair}
    if not halves:
        return {}
    df, _ = document_frequencies(session, halves)
    found: dict[str, int] = {}
    for key, pairs in splits.items():
        for first, second in pairs:
            if df.get(stem(first), 0) > 0 and df.get(stem(second), 0) > 0:
                count = _phrase_count(session, first, second)
                if count:
                    found[key] = count
                    break
    return found


def _phrase_count(session: Session, first: str, second: str) -> int:
    """How many passages hold the two words side by side (letters only, so nothing is query syntax)."""
    if session.get_bind().dialect.name == "sqlite":
        return int(session.scalar(text("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH :phrase"),
                                  {"phrase": f'"{first} {second}"'}) or 0)
    return int(session.scalar(text("SELECT count(*) FROM passages "
                                   "WHERE search_vector @@ phraseto_tsquery('english', :phrase)"),
                              {"phrase": f"{first} {second}"}) or 0)
