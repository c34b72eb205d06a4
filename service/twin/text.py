"""Words, stems and sentences: the small text toolkit the composers and checks share."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
STOPWORDS = frozenset("""
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
""".split())
# Words a question is phrased with that say nothing about its subject.
QUESTION_FILLER = frozenset("""
think thinks thought thoughts view views feel feels felt opinion opinions explain describe share talk talked
speak spoke spoken believe believes approach stance position perspective take takes kind sort please consider
regard regarding mean means meant matter matters important importance role respond response answer question
questions prefer hope hoped expect expected see seen look looking
""".split())
ABBREVIATIONS = frozenset("""
mr mrs ms dr st jr sr vs etc gen gov sen rep inc co ltd lt col capt sgt messrs hon rev prof fig vol pp
jan feb mar apr jun jul aug sep sept oct nov dec u.s u.s.a a.m p.m e.g i.e
""".split())
_BOUNDARY_RE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n\s*\n")
_TOKEN_BEFORE_RE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_VOWEL_RE = re.compile(r"[aeiouy]")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix-stripping stem, enough to match inflections and common derivations."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3 or not w.isalpha():
        return w
    w = w.replace("isation", "ization").replace("ising", "izing").replace("ised", "ized")
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "xes", "ches", "shes", "zzes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for suffix, replacement, keep in (("ational", "ate", 3), ("ization", "ize", 3), ("fulness", "ful", 3),
                                      ("iveness", "ive", 3), ("ation", "ate", 3), ("ments", "", 4),
                                      ("ment", "", 4), ("ness", "", 5), ("ities", "", 4), ("ity", "", 4),
                                      ("ically", "ic", 3), ("ical", "ic", 3), ("ally", "al", 3), ("ly", "", 4),
                                      ("ings", "", 3), ("ing", "", 3), ("edly", "", 3), ("ed", "", 3)):
        if w.endswith(suffix) and len(w) - len(suffix) >= keep:
            base = w[: len(w) - len(suffix)]
            if suffix in ("ing", "ings", "ed", "edly") and not _VOWEL_RE.search(base):
                break
            w = base + replacement
            if suffix in ("ing", "ings", "ed", "edly") and len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]
            break
    for suffix in ("ional", "al", "ive", "ic", "ize"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: len(w) - len(suffix)] + ("ion" if suffix == "ional" else "")
            break
    for suffix in ("ate", "ant", "ent"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 5:
            w = w[: len(w) - len(suffix)]
            break
    if len(w) > 4 and w.endswith(("e", "y")):
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """Lower-case words of a text, possessives folded."""
    out = []
    for match in WORD_RE.finditer(text):
        token = match.group(0).lower().replace("’", "'")
        if token.endswith("'s"):
            token = token[:-2]
        out.append(token)
    return out


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
            before = _TOKEN_BEFORE_RE.search(text, 0, match.start())
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


def jaccard(a: set[str], b: set[str]) -> float:
    """Overlap of two sets, 0 to 1."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
