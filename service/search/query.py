"""From a question to the executive to search terms: tokens, stop words, question framing, safe index syntax."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from service.search.stemmer import stem

# Longest query text looked at, and most distinct terms sent to the index: a pasted essay still searches.
MAX_QUERY_CHARS = 4000
MAX_TERMS = 24
MAX_TERM_CHARS = 40

_WORD = re.compile(r"[^\W_]+")
# The same tokens for folded ASCII text, found about twice as fast: every other character becomes a space.
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not ("a" <= chr(c) <= "z" or "0" <= chr(c) <= "9")})
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# Clitics split off by the tokenizer ("don't" -> "don", "t"); never content.
_CLITICS = frozenset({"s", "t", "d", "ll", "re", "ve", "m"})

def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS = _word_set("""
a about above across after afterwards again against all almost alone along already also although always am
among amongst an and another any anyhow anyone anything anyway anywhere are around as at back be became because
become becomes becoming been before beforehand behind being below beside besides between beyond both but by can
cannot could did do does doing done down due during each eg either else elsewhere enough etc even ever every
everyone everything everywhere except few for former formerly from further had has have having he hence her here
hereafter hereby herein hers herself him himself his how however i ie if in indeed into is it its itself just
last latter least less let lets like ltd made many may me meanwhile might mine more moreover most mostly much
must my myself namely neither never nevertheless next no nobody none noone nor not nothing now nowhere of off
often on once one only onto or other others otherwise our ours ourselves out over own per perhaps please put
quite rather re really same seem seemed seeming seems several she should since so some somehow someone something
sometime sometimes somewhere still such than that the their theirs them themselves then thence there thereafter
thereby therefore therein thereupon these they this those though through throughout thru thus to together too
toward towards under until up upon us very via was we well were what whatever when whence whenever where
whereafter whereas whereby wherein whereupon wherever whether which while whither who whoever whole whom whose
why will with within without would yet you your yours yourself yourselves
""")

# Words that frame a question to the executive rather than say what it is about
# ("what do you think about…", "how do you see…", "tell me about…"); dropped unless nothing else is left.
QUESTION_FRAME = _word_set("""
think thinks thought thoughts say says said saying tell told telling explain explained describe described
view views feel feels felt believe believed opinion opinions stance position see saw mean meant consider
considered comment comments mention mentioned talk talked talking discuss discussed discussion discussions
summarize summarise summarized summary ask asked asking answer question questions know knew regard regarding
respect approach approached happen happened going get got want wanted share shared give gave kind sort thing
things way ways regard reason reasons
""")
QUESTION_FRAME_STEMS = frozenset(stem(w) for w in QUESTION_FRAME)


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


def fold(text: str) -> str:
    """Lower-case text without diacritics, curly apostrophes made straight."""
    text = text.translate(_APOSTROPHES).lower()
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def words_of(text: str) -> list[str]:
    """The folded words of a text, as the index's tokenizer splits them."""
    folded = fold(text)
    if folded.isascii():
        return folded.translate(_ASCII_SEPARATORS).split()
    return _WORD.findall(folded)


_STEMS: dict[str, str] = {}


def stems_of(text: str) -> list[str]:
    """The Porter stems of a text's words, in order."""
    cache = _STEMS
    words = words_of(text)
    try:
        return [cache[w] for w in words]
    except KeyError:
        pass
    out = []
    for w in words:
        s = cache.get(w)
        if s is None:
            s = stem(w)
            if len(cache) < 500_000:
                cache[w] = s
        out.append(s)
    return out


def parse_query(query: str) -> ParsedQuery:
    """Content terms of a question: stop words and question framing dropped, second person not required."""
    words = tuple(w for w in words_of(query[:MAX_QUERY_CHARS]) if len(w) <= MAX_TERM_CHARS)
    content = [w for w in words if w not in STOP_WORDS and w not in _CLITICS]
    terms = [w for w in content if stem(w) not in QUESTION_FRAME_STEMS]
    if not terms:
        terms = content or [w for w in words if w not in _CLITICS] or list(words)
    ordered_stems: list[str] = []
    bigrams: list[tuple[str, str]] = []
    previous: str | None = None
    for term in terms:
        s = stem(term)
        if s not in ordered_stems:
            ordered_stems.append(s)
        if previous is not None and previous != s and (previous, s) not in bigrams:
            bigrams.append((previous, s))
        previous = s
    kept_stems = ordered_stems[:MAX_TERMS]
    kept_terms: list[str] = []
    seen: set[str] = set()
    for term in terms:
        s = stem(term)
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
