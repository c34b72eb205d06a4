"""Words, stems and sentences: the small text toolkit the composers and checks share."""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from functools import lru_cache

from service.search.stemmer import stem as porter_stem


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set."""
    return frozenset(text.split())


WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
STOPWORDS = word_set("""
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
else ever every few for from further get gets got had hadn't has hasn't have haven't having he he'd he'll he's
her here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's
its itself just let's like made make many may me might more most much must mustn't my myself no nor not now of
off on once one only or other ought our ours ourselves out over own per quite rather really same shall shan't
she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then
there there's these they they'd they'll they're they've this those through thus to too under until up upon us
very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's whether which while
who who's whom whose why why's will with within without won't would wouldn't yes yet you you'd you'll you're
you've your yours yourself yourselves also even still well way ways thing things lot lots let going go goes
went gone come came say says said tell told know knew known want wanted need needs able across along among around
towards toward since ago already always never often sometimes just something anything nothing everything
someone anyone everyone today mr mrs ms dr
""")
# Words a question is phrased with that say nothing about its subject.
QUESTION_FILLER = word_set("""
think thinks thought thoughts view views feel feels felt opinion opinions explain describe share talk talked
speak spoke spoken believe believes approach stance position perspective take takes kind sort please consider
regard regarding mean means meant matter matters important importance role respond response answer question
questions prefer hope hoped expect expected see seen look looking
""")
ABBREVIATIONS = word_set("""
mr mrs ms dr st jr sr vs etc gen gov sen rep inc co ltd lt col capt sgt messrs hon rev prof fig vol pp
jan feb mar apr jun jul aug sep sept oct nov dec u.s u.s.a a.m p.m e.g i.e
""")
_SPELLING_RULES = (
    (re.compile(r"(?<=[a-z]{3})our(s|ed|ing|able|ite|ites|ful|er|ers)?$"), r"or\1"),
    (re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{3})tre(s)?$"), r"ter\1"),
)
_SPELLING_KEEP = word_set("""
your yours hour hours four flour pour tour tours contour detour devour glamour amour paramour
advise advised advises advising compromise compromised exercise exercised exercising franchise enterprise
enterprises expertise premise premises promise promised promises promising surprise surprised surprising
televise televised revise revised supervise supervised improvise despise despised merchandise disguise
disguised excise chastise comprise comprised raise raised raising praise praised arise arising rise rising
wise otherwise noise poise cruise cruised concise precise demise reprise incise mise treatise
""")
# Passages keep paragraphs (and table rows) on lines of their own: a line break always ends a sentence.
_BOUNDARY_RE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n\s*")
_TOKEN_BEFORE_RE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Porter stem of a word (the algorithm of the search index), possessive and British spelling folded."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    return porter_stem(american_spelling(w))


def american_spelling(word: str) -> str:
    """honour → honor, organise → organize, centre → center: the spelling most corpora index."""
    if word in _SPELLING_KEEP:
        return word
    for british, american in _SPELLING_RULES:
        if british.search(word):
            return british.sub(american, word, count=1)
    return word


def words(text: str) -> list[str]:
    """Lower-case words of a text, possessives folded."""
    return [t[:-2] if t.endswith("'s") else t for t in WORD_RE.findall(text.lower().replace("’", "'"))]


def content_words(text: str, extra_stop: Iterable[str] = ()) -> list[str]:
    """Words that carry meaning: no stopwords, no bare numbers of one digit."""
    stop = STOPWORDS | frozenset(extra_stop) if extra_stop else STOPWORDS
    return [w for w in words(text) if w not in stop and len(w) > 1]


def content_stems(text: str, extra_stop: Iterable[str] = ()) -> list[str]:
    """Stems of the content words of a text, in order."""
    return [stem(w) for w in content_words(text, extra_stop)]


def stem_set_with_compounds(text: str) -> set[str]:
    """Content stems plus joined neighbours, so 'health care' also matches 'healthcare'."""
    toks = content_words(text)
    stems = {stem(w) for w in toks}
    for a, b in zip(toks, toks[1:], strict=False):
        stems.add(stem(a + b))
    return stems


def query_terms(question: str) -> list[str]:
    """Distinct content stems of a question, without the words questions are phrased with."""
    seen: dict[str, None] = {}
    for w in content_words(question, QUESTION_FILLER):
        seen.setdefault(stem(w), None)
    return list(seen)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in a text, trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY_RE.finditer(text):
        end = match.end()
        if match.group(0).strip() and match.group(0)[0] == ".":
            before = _TOKEN_BEFORE_RE.search(text, max(0, match.start() - 40), match.start())
            token = before.group(1).lower() if before else ""
            numbered = token == "no" and text[match.end():match.end() + 2].strip()[:1].isdigit()
            if (token in ABBREVIATIONS or numbered or (len(token) == 1 and token.isalpha())
                    or re.fullmatch(r"(?:[a-z]\.)+[a-z]", token)):
                continue
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def sentences(text: str) -> list[str]:
    """The sentences of a text, each an exact substring of it."""
    return [text[a:b] for a, b in sentence_spans(text)]


def jaccard(a: Set[str], b: Set[str]) -> float:
    """Overlap of two sets, 0 to 1."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def containment(a: Set[str], b: Set[str]) -> float:
    """Share of the smaller set found in the larger, 0 to 1 (1 when one says all the other says)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
