"""The default composer: the executive's own sentences that answer the question, each cited; no model, no network."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Protocol

import numpy as np
from sqlalchemy.orm import Session

from service.search import PassageHit
from service.search.memory import VectorMemory, model_key
from service.search.terms import TermStats
from service.search.vectors import load_sentence_vectors, sentence_text, sentence_texts
from service.twin.background import floor_frequency, stem_frequency
from service.twin.citations import Citation, citation_for
from service.twin.guardrails import injection_flags
from service.twin.persona import ASIDE_RE, PersonaSettings
from textkit.sentences import TABLE_ROW_RE, is_table_passage, is_table_row, quote_spans
from textkit.words import (
    containment,
    content_stems,
    holds_phrase,
    is_heading_run,
    jaccard,
    query_terms,
    stem_set_with_compounds,
    words,
)

MAX_SENTENCES = 4
MAX_WORDS = 130
MIN_SENTENCE_WORDS = 5
MAX_SENTENCE_WORDS = 90
# Redundancy: a candidate whose content words are mostly in a chosen sentence (or the reverse) is skipped.
DUPLICATE_CONTAINMENT = 0.7
MMR_LAMBDA = 0.5
# A sentence is only worth adding if it scores at least this share of the best one.
RELATIVE_FLOOR = 0.55
# A memo's header fields (To:, From:, Date:…) anywhere on a line: metadata, never speech.
HEADER_LINE_RE = re.compile(r"(?:^|\n)\s*(?:To|From|Date|Subject|Cc|Bcc|Re|Sent)\s*:\s", re.IGNORECASE)
# A sentence a speaker broke off ("So, those are the issues around religious education—"): not a thing they said.
BROKEN_OFF_RE = re.compile(r"(?:\u2014|--)[\s.?!\"'\u201d\u2019)]*$")
# A short sentence that only points at the document it is in ("This memo explains the pace."): says nothing asked.
DOCUMENT_POINTER_RE = re.compile(r"^(?:This|The following|Below,? this) (?:memo|note|letter|e-?mail|message|post|update|"
                                 r"document|paper)\s+(?:(?:will|briefly|also)\s+)?(?:explains?|sets? out|describes?|covers?|"
                                 r"lays? out|walks? (?:you )?through|summari[sz]es|outlines?)\b", re.IGNORECASE)
POINTER_MAX_WORDS = 12
ANAPHORA_RE = re.compile(r"^(?:It|This|That|These|Those|They|He|She|Such|Which)\b")
# Corpus size at which corpus IDF and ordinary-English rarity count equally in term weights.
SMALL_CORPUS_PASSAGES = 200
# Rare terms decide what a question is about: weights grow faster than IDF itself.
IDF_POWER = 2.0
# Words in a passage (the default passage_words setting), for how many passages of general English would hold a word.
PASSAGE_WORDS = 90
ORDERS = ("discourse", "relevance")
# How chosen sentences are put in order (bench/answers.py compares both).
DEFAULT_ORDER = "discourse"


@dataclass
class Candidate:
    """A sentence of an executive passage that may go into an answer."""

    hit: PassageHit
    rank: int
    start: int
    end: int
    text: str
    stems: frozenset[str]
    coverage: float
    passage_coverage: float
    score: float


@dataclass
class Composed:
    """An answer made by a composer, before the engine records it."""

    answer: str
    citations: list[Citation]
    grounded: bool
    grounding: float
    segments: list[str] = field(default_factory=list)
    used: list[PassageHit] = field(default_factory=list)
    evidence: Evidence | None = None


def term_weights(terms: Sequence[str], stats: TermStats | None = None) -> dict[str, float]:
    """Each query term's share of the question: rarity in the corpus, shrunk towards rarity in ordinary English
    while the corpus is small (a dozen passages say little about which words are rare)."""
    if not terms:
        return {}
    floor = floor_frequency()
    background = _normalised({t: math.log(1.0 + 0.07 / max(stem_frequency(t), floor)) ** IDF_POWER
                              for t in terms})
    if stats is None or stats.passages <= 0 or not stats.idf:
        return background
    # A stem no passage holds is as rare as general English makes it in a corpus of this size, not the rarest of all.
    corpus = _normalised({t: max(_absent_idf(t, stats.passages, floor) if t in stats.absent else stats.idf[t], 0.05)
                          ** IDF_POWER if t in stats.idf else background[t] for t in terms})
    trust = stats.passages / (stats.passages + SMALL_CORPUS_PASSAGES)
    return _normalised({t: trust * corpus[t] + (1 - trust) * background[t] for t in terms})


def _absent_idf(term: str, passages: int, floor: float) -> float:
    """The rarity of a stem no passage holds, as if the corpus were general English of its size: a passage of
    PASSAGE_WORDS words holds a word of frequency f with chance 1 - e^(-f x PASSAGE_WORDS). An everyday word the
    speaker happens never to use ("badly", "invasion") is then about as rare as the corpus's words of its
    frequency, not as rare as a product name no passage could hold."""
    frequency = max(stem_frequency(term), floor)
    expected = passages * (1.0 - math.exp(-frequency * PASSAGE_WORDS))
    return math.log(1.0 + (passages - expected + 0.5) / (expected + 0.5))


def _normalised(raw: dict[str, float]) -> dict[str, float]:
    total = sum(raw.values()) or 1.0
    return {t: v / total for t, v in raw.items()}


@dataclass(frozen=True)
class SentenceInfo:
    """One sentence of a passage, analysed once: where it is, how long, its stems, whether it can be quoted."""

    start: int
    end: int
    words: int
    speakable: bool
    stems: frozenset[str]
    content: frozenset[str]
    anaphoric: bool


@dataclass(frozen=True)
class PassageInfo:
    """A passage analysed once: its stems and its sentences."""

    stems: frozenset[str]
    sentences: tuple[SentenceInfo, ...]


@lru_cache(maxsize=50_000)
def analyse(text: str) -> PassageInfo:
    """Stems and sentences of a passage text (cached: the same passages answer many questions)."""
    infos = []
    for start, end in quote_spans(text):  # a quote opens on its first word ("\\--A check of 45 counties…")
        sentence = text[start:end]
        infos.append(SentenceInfo(start, end, len(words(sentence)), _speakable(sentence),
                                  frozenset(stem_set_with_compounds(sentence)), frozenset(content_stems(sentence)),
                                  bool(ANAPHORA_RE.match(sentence))))
    return PassageInfo(frozenset(stem_set_with_compounds(text)), tuple(infos))


@lru_cache(maxsize=50_000)
def _field_stems(title: str, heading: str | None) -> frozenset[str]:
    return frozenset(stem_set_with_compounds(f"{title} {heading or ''}"))


def candidates(question: str, hits: Sequence[PassageHit], *,
               stats: TermStats | None = None) -> list[Candidate]:
    """Scored sentences of the executive's passages that share at least one term with the question."""
    weights = term_weights(query_terms(question), stats)
    if not weights:
        return []
    found: list[Candidate] = []
    rank = 0
    for hit in hits:
        if not hit.executive:
            continue
        info = analyse(hit.text)
        passage_stems = info.stems | _field_stems(hit.title, hit.heading)
        passage_cov = sum(w for t, w in weights.items() if t in passage_stems)
        if passage_cov <= 0:
            rank += 1
            continue
        for sentence in info.sentences:
            if not sentence.speakable or not MIN_SENTENCE_WORDS <= sentence.words <= MAX_SENTENCE_WORDS:
                continue
            coverage = sum(w for t, w in weights.items() if t in sentence.stems)
            if coverage <= 0:
                continue
            score = (coverage + 0.35 * passage_cov + 0.15 / (1 + rank) + 0.05 * min(1.0, sentence.words / 12)
                     - (0.05 if sentence.anaphoric else 0.0))
            found.append(Candidate(hit, rank, sentence.start, sentence.end, hit.text[sentence.start:sentence.end],
                                   sentence.content, coverage, passage_cov, score))
        rank += 1
    return found


def _speakable(sentence: str) -> bool:
    """Whether a sentence can stand as the executive's words: not a stage direction, a memo header line, a table
    row, a heading, a sentence broken off mid-way, a pointer to the memo itself or an injection."""
    if not ASIDE_RE.sub("", sentence).strip(" .") or sentence.rstrip().endswith(":") or BROKEN_OFF_RE.search(sentence):
        return False
    if HEADER_LINE_RE.search(sentence) or TABLE_ROW_RE.search(sentence) or is_heading_run(sentence):
        return False
    if DOCUMENT_POINTER_RE.match(sentence.strip()) and len(words(sentence)) <= POINTER_MAX_WORDS:
        return False
    return not injection_flags(sentence)


def grounding(chosen: Sequence[Candidate]) -> float:
    """How well the chosen sentences answer the question, 0 to 1: the best sentence's and passage's coverage."""
    if not chosen:
        return 0.0
    best = max(chosen, key=lambda c: c.coverage + c.passage_coverage)
    return 0.5 * best.coverage + 0.5 * best.passage_coverage


def select(found: Sequence[Candidate], *, max_sentences: int = MAX_SENTENCES,
           max_words: int = MAX_WORDS) -> list[Candidate]:
    """The best sentences that do not repeat each other (maximal marginal relevance)."""
    pool = sorted(found, key=lambda c: -c.score)
    chosen: list[Candidate] = []
    total_words = 0
    if not pool:
        return chosen
    floor = RELATIVE_FLOOR * pool[0].score
    seen_text: set[str] = set()
    while pool and len(chosen) < max_sentences:
        best, best_value = None, -math.inf
        for c in pool:
            if any(containment(c.stems, x.stems) >= DUPLICATE_CONTAINMENT for x in chosen):
                continue
            similarity = max((jaccard(c.stems, x.stems) for x in chosen), default=0.0)
            value = c.score - MMR_LAMBDA * similarity
            if value > best_value:
                best, best_value = c, value
        if best is None or best.score < floor:
            break
        pool.remove(best)
        key = " ".join(words(best.text))
        n_words = len(key.split())
        if key in seen_text:
            continue
        if chosen and total_words + n_words > max_words:
            continue
        seen_text.add(key)
        chosen.append(best)
        total_words += n_words
    return chosen


def arrange(chosen: Sequence[Candidate], order: str = DEFAULT_ORDER) -> list[Candidate]:
    """Chosen sentences in a natural order: sources by relevance, each in its own reading order."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}")
    if order == "relevance":
        return sorted(chosen, key=lambda c: -c.score)
    best_by_source: dict[int, float] = {}
    for c in chosen:
        best_by_source[c.hit.source_id] = max(best_by_source.get(c.hit.source_id, -math.inf), c.score)
    return sorted(chosen, key=lambda c: (-best_by_source[c.hit.source_id], c.hit.source_id, c.hit.ordinal, c.start))


def compose_extractive(question: str, hits: Sequence[PassageHit], persona: PersonaSettings, *,
                       threshold: float, stats: TermStats | None = None, order: str | None = None,
                       max_sentences: int = MAX_SENTENCES, max_words: int = MAX_WORDS) -> Composed:
    """The executive's own sentences that answer, each followed by [n]; the no-answer message below threshold."""
    chosen = select(candidates(question, hits, stats=stats), max_sentences=max_sentences, max_words=max_words)
    score = grounding(chosen)
    if not chosen or score < threshold:
        return no_answer(persona, score)
    return cited_answer(question, arrange(chosen, order or DEFAULT_ORDER), persona, score)


class Quoted(Protocol):
    """A sentence chosen for an answer: where it is in which passage."""

    @property
    def hit(self) -> PassageHit: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def text(self) -> str: ...


def cited_answer(question: str, ordered: Sequence[Quoted], persona: PersonaSettings, score: float,
                 evidence: Evidence | None = None) -> Composed:
    """Sentences in their order, each followed by its passage's [n], after a framing line from the persona."""
    numbers: dict[int, int] = {}
    spans: dict[int, list[Quoted]] = {}
    for c in ordered:
        numbers.setdefault(c.hit.passage_id, len(numbers) + 1)
        spans.setdefault(c.hit.passage_id, []).append(c)
    citations = []
    used = []
    for passage_id, n in numbers.items():
        group = spans[passage_id]
        hit = group[0].hit
        start, end = min(c.start for c in group), max(c.end for c in group)
        citations.append(citation_for(n, hit, hit.text[start:end]))
        used.append(hit)
    segments = [f"{c.text} [{numbers[c.hit.passage_id]}]" for c in ordered]
    opener = persona.opener_for(question)
    # Said twice, it reads as a stammer; before a question, a line that leans on one before it ("And…") or another
    # framing line ("Here's one thing it changed."), it frames nothing.
    if opener and ordered and _takes_opener(ordered[0].text) and not holds_phrase([c.text for c in ordered], opener):
        segments.insert(0, opener)
    return Composed(answer=" ".join(segments), citations=citations, grounded=True, grounding=score,
                    segments=segments, used=used, evidence=evidence)


# A line that announces what follows rather than says it ("Here's one thing it changed.", "Let me be clear.").
FRAMING_RE = re.compile(r"^(?:Here's|Here is|Here are|Let me|Let's)\b", re.IGNORECASE)
# A reply's "No, …" or "Yes, …" answers what was put to her then; a line announcing where she lands does not frame it.
YES_NO_RE = re.compile(r"^(?:No|Yes|Nope|Yeah|Absolutely|Not at all)\b[,.;:!]", re.IGNORECASE)


# A sentence that tells what happened ("I heard about the collision six days after…", "In 1996 I was a student…",
# "Three weeks ago I promised…"): a story, which a line announcing where she lands does not introduce.
NARRATIVE_RE = re.compile(
    r"^(?:(?:On|In|At|By|During|Last|That|One)\b[^,.;:]{0,40}?,?\s+|(?:\w+\s+){1,3}ago,?\s+|(?:Yesterday|Then|When)\b"
    r"[^,.;:]{0,60}?,?\s+)?(?:I|We|my|our)\s+(?:\w+ly\s+)?(?:was|were|had|heard|saw|went|told|said|met|took|got|came|"
    r"found|made|spent|asked|learned|learnt|knew|thought|stood|sat|drove|watched|walked|promised|started|visited|"
    r"remember|[a-z]{2,}(?<!e)ed)\b", re.IGNORECASE)


def _takes_opener(first: str) -> bool:
    """Whether an answer opening on this sentence may have the persona's framing line before it: a statement that
    stands on its own, not a question, a fragment that leans on a line before it, a story, or a framing line."""
    text = first.strip()
    return bool(text) and text[0].isupper() and not text.endswith("?") and not leans_back(text) \
        and not FRAMING_RE.match(text) and not SETUP_RE.search(text) and not NARRATIVE_RE.match(text) \
        and not YES_NO_RE.match(text)


def no_answer(persona: PersonaSettings, score: float = 0.0) -> Composed:
    """The persona's no-answer message: not grounded, nothing cited."""
    return Composed(answer=persona.no_answer_message, citations=[], grounded=False, grounding=score,
                    segments=[persona.no_answer_message])


def stream_segments(composed: Composed) -> Iterator[str]:
    """An extractive answer piece by piece (sentence by sentence), joined by single spaces; a piece that starts on
    a line of its own (a table's rows) needs none."""
    return _pieces(composed.segments)


def _pieces(segments: Sequence[str]) -> Iterator[str]:
    for i, segment in enumerate(segments):
        yield segment if i == 0 or segment.startswith("\n") else " " + segment


def joined(segments: Sequence[str]) -> str:
    """The answer text its segments stream as."""
    return "".join(_pieces(segments))


# --- by meaning ---------------------------------------------------------------------------------------------

class SentenceScorer(Protocol):
    """What choosing sentences by meaning needs: the question's vector and vectors for sentences."""

    def query_vector(self, query: str) -> np.ndarray: ...
    def embed(self, texts: list[str]) -> np.ndarray: ...


# Passages whose sentences are weighed by meaning, best first.
MEANING_PASSAGES = 3
# A neighbouring sentence joins the run when it scores at least this share of the best sentence.
RUN_SHARE = 0.7
# A second source is quoted only when its best sentence is nearly as good as the first source's.
SECOND_SOURCE_SHARE = 0.9
MAX_RUN = 3
# Weight of the question's rare terms in a sentence, and of its passage's similarity, beside its own similarity.
LEXICAL_SHARE = 0.25
PASSAGE_SHARE = 0.5
# A sentence that leans on the one before it ("And…", "That is why…") is quoted with it.
CONTINUATION_RE = re.compile(r"^(?:And|But|So|Or|Yet|Also|Still|Instead|It|This|That|These|Those|They|He|She|"
                             r"Such|Which|Because|Then)\b")
# "Those"/"these" standing for things named before ("If any of those gets worse…", "…pressure to hide those."): the
# sentence leans on the one before it wherever the word sits.
POINTS_BACK_RE = re.compile(r"\b(?:those|these)\b(?=\s*(?:[.,;:!?)]|$|(?:is|are|was|were|will|would|can|could|"
                            r"should|must|may|might|gets?|got|have|has|had|do|does|did|matters?)\b))", re.IGNORECASE)


def leans_back(text: str) -> bool:
    """Whether a sentence leans on the one before it: it opens as a continuation, or points back to what it named."""
    return bool(CONTINUATION_RE.match(text) or POINTS_BACK_RE.search(text))
# A sentence that restates what people ask; the answer is in what follows.
SETUP_RE = re.compile(r"\b(?:(?:have|has|had|often|always|keep|people|you|some|many|several)\s+(?:\w+\s+)?"
                      r"ask(?:ed|s|ing)?|the question (?:is|was|I get)|wonder(?:ed|ing)? (?:whether|if|why)|"
                      r"(?:to|me|I'll|I will|let me) explain|here is why|here's why|the reason is this|"
                      r"(?:people|some|many|several|others|you) (?:\w+ )?(?:worry|worried|fear|feared|argue|argued|"
                      r"claim|claimed|suggest|suggested) (?:that|whether|if)|let me answer)\b",
                      re.IGNORECASE)
# A sentence that opens a later item of her list ("Third, …"): the item before it is another point, not its lead-in.
LATER_ITEM_RE = re.compile(r"^(?:Second(?:ly)?|Third(?:ly)?|Fourth(?:ly)?|Fifth(?:ly)?|Lastly|Finally),\s")
EXPLANATION_RE = re.compile(r"\b(?:why|how come|how so|what for|reasons?|explain)\b", re.IGNORECASE)  # not a fact
# How many lines back a run opening on "It…"/"That…" reaches for what it refers to.
LEAD_IN_STEPS = 2
# A sentence that only sets up the answer scores a little lower than one that gives it.
SETUP_PENALTY = 0.08
# A line that announces what she says next ("Here's where I land, and how we got there.", "Three reasons."): quoted
# last, it promises an answer the run does not hold.
ANNOUNCES_RE = re.compile(r"(?::\s*$|^(?:here's|here is|this is) (?:where|how|what|why)\b|^let me (?:explain|tell you|"
                          r"be (?:clear|direct|honest))\b|\bhow we got there\W*$|^(?:two|three|four|five|several|a few) "
                          r"(?:reasons|things|points|questions)\W*$)", re.IGNORECASE)
# Answers read better as a short run: the best sentence brings at least one neighbour when there is one.
MIN_RUN = 2
# Other passages' sentences at least this close (a share of the best) may open the answer instead, up to this many.
RIVAL_SHARE = 0.9
RUN_RIVALS = 3


@dataclass(frozen=True)
class Evidence:
    """What the answer decision weighs: closeness in meaning of the best passage and sentence, and shared terms."""

    passage: float
    sentence: float
    lexical: float
    unmatched: float = 0.0

    def features(self) -> tuple[float, float, float, float]:
        return (self.passage, self.sentence, self.lexical, self.unmatched)

    def score(self) -> float:
        """The calibrated chance (0 to 1) that the corpus answers the question (fitted by bench/answers.py)."""
        z = EVIDENCE_BIAS + sum(w * f for w, f in zip(EVIDENCE_WEIGHTS, self.features(), strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    def to_dict(self) -> dict[str, float]:
        return {"passage": round(self.passage, 4), "sentence": round(self.sentence, 4),
                "lexical": round(self.lexical, 4), "unmatched": round(self.unmatched, 4),
                "score": round(self.score(), 4)}


# Logistic weights of (passage similarity, sentence similarity, lexical grounding, share of the question's weight
# on terms the corpus never uses), and the bias: fitted on reworded questions by bench/answers.py --fit.
EVIDENCE_WEIGHTS = (4.9, 4.17, 1.78, -2.2)
EVIDENCE_BIAS = -4.34


@dataclass
class _Sentence:
    hit: PassageHit
    rank: int
    index: int
    start: int
    end: int
    text: str
    words: int
    stems: frozenset[str]
    anaphoric: bool
    similarity: float = 0.0
    lexical: float = 0.0

    passage_similarity: float = 0.0

    @property
    def score(self) -> float:
        return (self.similarity + LEXICAL_SHARE * self.lexical + PASSAGE_SHARE * self.passage_similarity
                - 0.01 * self.rank - (SETUP_PENALTY if self.sets_up else 0.0))

    @property
    def opens_later_item(self) -> bool:
        """Whether the sentence starts a later item of a list ("Third, for some customers…")."""
        return bool(LATER_ITEM_RE.match(self.text))

    @property
    def asks(self) -> bool:
        """Whether the sentence is a question she puts (to herself, the room, or someone in it)."""
        return self.text.rstrip().endswith("?")

    @property
    def sets_up(self) -> bool:
        """Whether the sentence poses the question rather than answers it ("Several of you have asked…")."""
        return self.asks or bool(SETUP_RE.search(self.text))


# Sentences' vectors, remembered across questions (the same passages answer many questions).
SENTENCE_VECTORS = VectorMemory(50_000)


def sentence_vectors(scorer: SentenceScorer, sentences: Sequence[_Sentence]) -> np.ndarray:
    """Vectors of quotable sentences, remembered across questions. A memo's section heading says what its sentences
    are about ("On jobs"): it is embedded with them, not quoted."""
    return SENTENCE_VECTORS.vectors(scorer.embed, [sentence_text(s.hit.heading, s.text) for s in sentences])


def remember_stored_sentences(session: Session, scorer: SentenceScorer, hits: Sequence[PassageHit]) -> None:
    """Sentence vectors stored at ingestion for these passages, kept in memory unless they are already there: a
    first question then embeds only itself."""
    model = model_key(scorer.embed)
    todo = [(h.passage_id, h.title, h.heading, h.text) for h in hits
            if h.executive and SENTENCE_VECTORS.missing(model, sentence_texts(h.heading, h.text))]
    if todo:
        SENTENCE_VECTORS.remember(model, load_sentence_vectors(session, model, todo))


def quotable_sentences(hits: Sequence[PassageHit], limit: int = MEANING_PASSAGES) -> list[_Sentence]:
    """The sentences of the best `limit` executive passages that can stand as the executive's words."""
    found: list[_Sentence] = []
    # A table's rows are never quoted: a passage of them leaves its place to the next.
    quotable = (h for h in hits if h.executive and not is_table_passage(h.text))
    for rank, hit in enumerate(islice(quotable, limit)):
        infos = analyse(hit.text).sentences
        for index, info in enumerate(infos):
            if not info.speakable or not MIN_SENTENCE_WORDS <= info.words <= MAX_SENTENCE_WORDS:
                continue
            if index == 0 and hit.text[info.start:info.start + 1].islower():
                continue  # the tail of a sentence a page break cut (a PDF page opening "departures back under…")
            start, n_words, stems = info.start, info.words, info.content
            lead = infos[index - 1] if index else None
            # The first item of her list ("to commit the nations…;") comes with the line that introduces it ("The
            # treaty's purposes are very simple:"), which cannot be quoted alone.
            if (lead is not None and hit.text[info.start:info.start + 1].islower()
                    and hit.text[lead.start:lead.end].rstrip().endswith(":")
                    and lead.words + info.words <= MAX_SENTENCE_WORDS):
                start, n_words, stems = lead.start, lead.words + info.words, lead.content | info.content
            text = hit.text[start:info.end] if start == info.start else " ".join(hit.text[start:info.end].split())
            found.append(_Sentence(hit, rank, index, start, info.end, text, n_words, stems,
                                   leans_back(text),
                                   passage_similarity=float(hit.similarity or 0.0)))
    return found


def evidence_for(question: str, hits: Sequence[PassageHit], scorer: SentenceScorer, *,
                 stats: TermStats | None = None) -> tuple[Evidence, list[_Sentence]]:
    """How well the passages answer the question by meaning and by terms, and their sentences scored."""
    pool = quotable_sentences(hits)
    weights = term_weights(query_terms(question), stats)
    lexical = grounding(select(candidates(question, hits, stats=stats)))
    unmatched = sum(w for t, w in weights.items() if stats is not None and t in stats.absent)
    passage = max((float(h.similarity) for h in hits if h.executive and h.similarity is not None), default=0.0)
    if not pool:
        return Evidence(float(passage or 0.0), 0.0, lexical, unmatched), pool
    vectors = sentence_vectors(scorer, pool)
    similarities = vectors @ scorer.query_vector(question)
    for sentence, sim in zip(pool, similarities, strict=True):
        sentence.similarity = float(sim)
        sentence.lexical = sum(w for t, w in weights.items() if t in sentence.stems)
    best = max(s.similarity for s in pool)
    return Evidence(float(passage or 0.0), best, lexical, unmatched), pool


# A run reads on over at most this many sentences it cannot quote (a line aimed at a model, a fragment), so that
# such a sentence does not cut an answer short; further apart, the sentences are no longer one run.
RUN_GAP = 1


def _next_quotable(same: dict[int, _Sentence], index: int, step: int) -> _Sentence | None:
    """The quotable sentence next to `index` in the passage (before it for step -1), over at most RUN_GAP others."""
    for distance in range(1, RUN_GAP + 2):
        found = same.get(index + step * distance)
        if found is not None:
            return found
    return None


def _answer_after_setup(pool: Sequence[_Sentence]) -> _Sentence | None:
    """When the sentence closest to the question restates it ("Several of you have asked whether we should buy…"),
    the best sentence that follows it in her own reading order (its passage, or the next one of the same source),
    if nearly as close as any other: that is where she answers it, not a sentence elsewhere that only shares the
    subject. A framing line after a promise ("Here's where I land.") is far less close, and does not count."""
    top = max(pool, key=lambda s: s.score)
    if not top.sets_up:
        return None
    after = [s for s in pool if s.hit.source_id == top.hit.source_id and not s.sets_up
             and ((s.hit.ordinal == top.hit.ordinal and s.index > top.index) or s.hit.ordinal == top.hit.ordinal + 1)]
    answer = max(after, key=lambda s: s.score, default=None)
    elsewhere = max((s.score for s in pool if not s.sets_up), default=0.0)
    return answer if answer is not None and answer.score >= RUN_SHARE * elsewhere else None


def _lead_in(pool: Sequence[_Sentence], sentence: _Sentence) -> _Sentence | None:
    """The quotable sentence just before `sentence` in its passage, which it leans on ("And…", "That is why…")."""
    return next((s for s in pool if s.hit.passage_id == sentence.hit.passage_id and s.index == sentence.index - 1),
                None)


def _reading_order(best: _Sentence, pool: Sequence[_Sentence]) -> dict[int, _Sentence]:
    """The quotable sentences read with `best`, by place in reading order (its passage's first sentence at 0): its
    passage's, and those of the passages of its source that adjoin it in the pool. A passage is a cut the index makes,
    not one she made: her reasoning goes on over it."""
    passages: dict[int, PassageHit] = {}
    sentences: dict[int, list[_Sentence]] = {}
    for s in pool:
        if s.hit.source_id == best.hit.source_id and passages.setdefault(s.hit.ordinal, s.hit) is s.hit:
            sentences.setdefault(s.hit.ordinal, []).append(s)
    placed: dict[int, _Sentence] = {}
    offset, ordinal = 0, best.hit.ordinal
    while ordinal in passages:
        placed.update((offset + s.index, s) for s in sentences[ordinal])
        offset += len(analyse(passages[ordinal].text).sentences)
        ordinal += 1
    offset, ordinal = 0, best.hit.ordinal - 1
    while ordinal in passages:
        offset -= len(analyse(passages[ordinal].text).sentences)
        placed.update((offset + s.index, s) for s in sentences[ordinal])
        ordinal -= 1
    return placed


def _first_run(best: _Sentence, pool: Sequence[_Sentence], max_words: int, *,
               forward: bool = False) -> list[_Sentence]:
    """`best` with its strongest neighbours in her reading order (over into the adjoining passage of its source when
    the pool holds it), and the line it leans on; with `forward` (`best` answers a question she restated before it),
    only the sentences after it, or before it in its own passage when that passage is not the restatement's: a
    new paragraph after the restated question is where her answer starts."""
    same = _reading_order(best, pool)
    place = {id(s): at for at, s in same.items()}
    run = [best]
    total = best.words
    start = place[id(best)]
    if best.anaphoric and start - 1 in same and total + same[start - 1].words <= max_words:
        run.insert(0, same[start - 1])  # "It…", "That…": the sentence before says what it is
        total += run[0].words
    share = RUN_SHARE
    if best.sets_up:  # the answer follows the question it restates
        share = 0.0
        while len(run) < MAX_RUN and (after := _next_quotable(same, place[id(run[-1])], 1)) is not None \
                and total + after.words <= max_words:
            run.append(after)
            total += after.words
    while len(run) < MAX_RUN:
        before, after = _next_quotable(same, place[id(run[0])], -1), _next_quotable(same, place[id(run[-1])], 1)
        floor = 0.0 if len(run) < MIN_RUN else share * best.score
        # Her own question after what she said leaves the answer hanging on it ("…what kinda battery is that?"), and
        # a run that crosses into her next point ("…going faster. Third, for some…") reads as a list missing items.
        if forward and before is not None and (before.hit.passage_id != best.hit.passage_id
                                               or any(s.sets_up for s in pool if s.hit.passage_id == best.hit.passage_id)):
            before = None
        # Nor does a question she put before it ("And what's the number, and what was it last quarter?"): it asks
        # the room, and quoted first it plays the question back as her answer. One she answers herself comes with
        # the line that leans on it ("Because…", "So…"), below.
        options = [s for s in (before, after) if s is not None and s.score >= floor and not s.asks
                   and total + s.words <= max_words and not (s is after and s.opens_later_item)
                   and not (s is before and run[0].opens_later_item)]
        if not options:
            break
        pick = max(options, key=lambda s: s.score)
        run = [pick, *run] if pick is before else [*run, pick]
        total += pick.words
    # "But across the whole company…" leans on what she said just before; that line opens the answer if it fits.
    # Its lead-in may lean on the line before it in turn ("That is not acceptable…" after "I heard about the
    # collision six days after it happened…"): an answer does not open on a "That" whose subject is left out.
    for _ in range(LEAD_IN_STEPS):
        lead_in = same.get(place[id(run[0])] - 1)
        if not run[0].anaphoric or lead_in is None or total + lead_in.words > max_words:
            break
        run.insert(0, lead_in)
        total += lead_in.words
    return without_trailing_setup(run, best)


def without_trailing_setup(run: list[_Sentence], best: _Sentence) -> list[_Sentence]:
    """The run without the lines at its end that only lead up to what she says next ("Since then I have been asked
    about it… Here's where I land, and how we got there."): what they promise is not in the run."""
    while len(run) > 1 and run[-1] is not best and (run[-1].sets_up or ANNOUNCES_RE.search(run[-1].text.strip())):
        run = run[:-1]
    return run


def with_short_lines(run: Sequence[_Sentence]) -> list[_Sentence]:
    """The run with the short lines it reads over put back ("…gone within a year. Internal promotions stay. They
    stay because…"): too short to be chosen alone, left out they change what the next line means."""
    filled: list[_Sentence] = []
    for i, s in enumerate(run):
        before = run[i - 1] if i else None
        gap = s.index - 1
        if gap >= 0 and ((before is not None and before.hit.passage_id == s.hit.passage_id and before.index == gap - 1)
                         or (before is None and s.anaphoric)):
            info = analyse(s.hit.text).sentences[gap]
            line = s.hit.text[info.start:info.end]
            if info.speakable and info.words < MIN_SENTENCE_WORDS and line[:1].isupper() and not is_table_row(line):
                filled.append(_Sentence(s.hit, s.rank, gap, info.start, info.end, line, info.words, info.content,
                                        leans_back(line)))
        filled.append(s)
    return filled


def choose_run(pool: Sequence[_Sentence], *, max_words: int = MAX_WORDS, explain: bool = False,
               opening: Sequence[_Sentence] = ()) -> list[_Sentence]:
    """The best sentence (of `opening` when given) with its strongest neighbours in the same passage, in reading
    order, and a second source's best sentence when it is nearly as good."""
    if not pool:
        return []
    # Asked why or how, an answer opens on a sentence that explains, not on one that only promises to ("I promised to
    # explain why our target is 97%"), unless nothing else can; asked what, that sentence may well say it. A question
    # she put to a meeting ("What would have to be true for the second quarter to work?") answers nothing.
    def preference(s: _Sentence) -> tuple[bool, bool]:
        return not (explain and s.sets_up), not s.asks

    best = max(opening or pool, key=lambda s: (*preference(s), s.score))
    after_setup = _answer_after_setup(pool) if explain and not opening else None
    # Sentences nearly as close in other passages may open a better answer: the run whose sentences are closer on
    # the whole is quoted, not the one built on a single close line among weak ones ("And we will stop describing
    # any of this as 'AI dispatch'" after an unrelated lead-in, against the town hall's "No, that isn't the plan…").
    rivals = [after_setup or best]
    for s in sorted(opening or pool, key=lambda s: s.score, reverse=True) if after_setup is None else ():
        if len(rivals) >= RUN_RIVALS or s.score < RIVAL_SHARE * best.score:
            break
        if preference(s) == preference(best) and all(s.hit.passage_id != r.hit.passage_id for r in rivals):
            rivals.append(s)
    # Her answer to a question she restates reads on from it, not back over the asides between the two ("I will not
    # comment on any particular company…"), which a small change of term weights could otherwise tip the run into.
    runs = [_first_run(r, pool, max_words, forward=r is after_setup) for r in rivals]
    run = max(runs, key=lambda run: statistics.fmean(s.score for s in run))
    best = rivals[runs.index(run)]
    total = sum(s.words for s in run)
    # A second source's line that only restates the question ("I promised to explain why…") answers nothing, and
    # one that leans on the line before it ("And we will stop describing any of this…") comes with that line.
    others = [s for s in opening or pool if s.hit.source_id != best.hit.source_id and not s.asks and not s.sets_up
              and s.score >= SECOND_SOURCE_SHARE * best.score
              and all(containment(s.stems, r.stems) < DUPLICATE_CONTAINMENT for r in run)]
    for other in sorted(others, key=lambda s: s.score, reverse=True):
        lead = _lead_in(pool, other) if other.anaphoric else None
        if other.anaphoric and (lead is None or lead.score < RUN_SHARE * best.score):
            continue  # its lead-in is about something else ("We will stop the midnight spreadsheet…")
        added = [lead, other] if lead is not None else [other]
        if total + sum(s.words for s in added) <= max_words:
            run.extend(added)
            break
    return run


def compose_by_meaning(question: str, hits: Sequence[PassageHit], persona: PersonaSettings,
                       scorer: SentenceScorer, *, threshold: float, stats: TermStats | None = None,
                       max_words: int = MAX_WORDS, focus: Sequence[str] = (), said: Sequence[str] = ()) -> Composed:
    """The executive's own sentences that answer the question by meaning, one run from one or two sources in
    their order, each followed by [n]; the no-answer message when the evidence is below `threshold`. With `focus`
    (a follow-up's new terms), the run opens on a sentence holding all of them when one does; sentences in `said`
    (the conversation's answers, the last one last, to "can you say more?") are left out while others can answer, and
    the run goes on in the sources the last answer quoted when those have more to say."""
    evidence, pool = evidence_for(question, hits, scorer, stats=stats)
    score = evidence.score()
    quoted = {s.hit.source_id for s in pool if said and s.text in said[-1]}
    unsaid = [s for s in pool if not any(s.text in answer for answer in said)]
    # A follow-up's new words open the answer where they are said; else it goes on where the last answer was. When
    # neither has anything more ("And what else did it achieve?" of a two-line memo), the answer before stands.
    opening = ([s for s in unsaid if set(focus) <= s.stems] if focus else []) or [s for s in unsaid
                                                                                 if s.hit.source_id in quoted]
    if unsaid and (opening or not focus):
        pool = unsaid
    else:
        opening = [s for s in pool if set(focus) <= s.stems] if focus else []
    run = choose_run(pool, max_words=max_words, explain=bool(EXPLANATION_RE.search(question)),
                     opening=opening) if score >= threshold else []
    run = with_short_lines(run)
    if not run:
        composed = no_answer(persona, score)
        composed.evidence = evidence
        return composed
    return cited_answer(question, run, persona, score, evidence)
