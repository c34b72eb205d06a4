"""From a question to the executive to search terms: tokens, stop words, question framing, safe index syntax."""

from __future__ import annotations

from dataclasses import dataclass

from textkit.stems import porter_stem
from textkit.stopwords import SEARCH_QUESTION_FRAME, SEARCH_STOP_WORDS
from textkit.words import index_words

# Longest query text looked at, and most distinct terms sent to the index: a pasted essay still searches.
MAX_QUERY_CHARS = 4000
MAX_TERMS = 24
MAX_TERM_CHARS = 40

# Clitics split off by the tokenizer ("don't" -> "don", "t"); never content.
_CLITICS = frozenset({"s", "t", "d", "ll", "re", "ve", "m"})
QUESTION_FRAME_STEMS = frozenset(porter_stem(w) for w in SEARCH_QUESTION_FRAME)


@dataclass(frozen=True)
class ParsedQuery:
    """What a query is searched for: its words, the content terms and their stems, adjacent term pairs."""

    words: tuple[str, ...]
    terms: tuple[str, ...]
    stems: tuple[str, ...]
    bigrams: tuple[tuple[str, str], ...]

    @property
    def empty(self) -> bool:
        return not self.terms


def parse_query(query: str) -> ParsedQuery:
    """Content terms of a question: stop words and question framing dropped, second person not required."""
    words = tuple(w for w in index_words(query[:MAX_QUERY_CHARS]) if len(w) <= MAX_TERM_CHARS)
    content = [w for w in words if w not in SEARCH_STOP_WORDS and w not in _CLITICS]
    terms = [w for w in content if porter_stem(w) not in QUESTION_FRAME_STEMS]
    if not terms:
        terms = content or [w for w in words if w not in _CLITICS] or list(words)
    ordered_stems: list[str] = []
    bigrams: list[tuple[str, str]] = []
    previous: str | None = None
    for term in terms:
        s = porter_stem(term)
        if s not in ordered_stems:
            ordered_stems.append(s)
        if previous is not None and previous != s and (previous, s) not in bigrams:
            bigrams.append((previous, s))
        previous = s
    kept_stems = ordered_stems[:MAX_TERMS]
    kept_terms: list[str] = []
    seen: set[str] = set()
    for term in terms:
        s = porter_stem(term)
        if s in kept_stems and s not in seen:
            seen.add(s)
            kept_terms.append(term)
    kept = set(kept_stems)
    return ParsedQuery(words=words, terms=tuple(kept_terms), stems=tuple(kept_stems),
                       bigrams=tuple(b for b in bigrams if b[0] in kept and b[1] in kept))


def essential_terms(query: ParsedQuery, df: dict[str, int], budget: int) -> tuple[str, ...]:
    """The rarest terms whose postings together stay within `budget` rows (at least one term).

    A passage holding none of them can only match the query's common words, so it cannot rank near the top;
    leaving those words out of the match keeps a query's cost bounded on a large corpus (they still count
    in the score and the rerank).
    """
    if not query.terms:
        return ()
    by_rarity = sorted(zip(query.terms, query.stems, strict=True), key=lambda pair: df.get(pair[1], 0))
    chosen: list[str] = []
    total = 0
    for term, s in by_rarity:
        if chosen and total + df.get(s, 0) > budget:
            break
        chosen.append(term)
        total += df.get(s, 0)
    return tuple(t for t in query.terms if t in chosen)


def _fts5_any(terms: tuple[str, ...]) -> str:
    alternatives = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
    return f"{{title heading speaker text context}} : ({alternatives})"


def fts5_match(query: ParsedQuery, twin_id: int | None, essential: tuple[str, ...] | None = None) -> str:
    """An FTS5 MATCH expression: the twin's rows holding an essential term, scored on every term.

    Every term is a quoted string, so nothing a person types is FTS5 syntax.
    """
    expression = _fts5_any(essential or query.terms)
    if essential and len(essential) < len(query.terms):
        expression = f"({expression}) AND ({_fts5_any(query.terms)})"
    if twin_id is None:
        return expression
    return f'twin_id : "{int(twin_id)}" AND ({expression})'


def tsquery_text(terms: tuple[str, ...]) -> str:
    """A to_tsquery() argument ORing the terms; terms are letters and digits only, so nothing is syntax."""
    return " | ".join(term for term in terms if term.isalnum())
