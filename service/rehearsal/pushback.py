"""Push-back: the executive's recurring priorities that a pitch ignores or runs against, each with where they said it."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.corpus.access import Viewer
from service.corpus.models import Twin
from service.rehearsal.bank import BankItem, VisibleBank, content_stems
from service.rehearsal.pitch import PitchAnalysis
from service.rehearsal.ranking import source_similarity
from service.rehearsal.rubric import quote
from service.search.engine import PassageHit
from service.twin.background import stem_frequency
from service.twin.persona import PersonaSettings
from service.twin.text import sentence_spans, stem, words

MAX_PUSH_BACK = 3
MAX_CONTRADICTIONS = 1
# Words too common to be anyone's priority.
COMMON_STEM_FREQUENCY = 1.5e-4
# A word in more than this share of the executive's sources is their vocabulary (the company's name), not a priority.
UBIQUITOUS_SHARE = 0.85
_GENERIC_WORDS = """
people person time year years day week month thing work team make made good great lot way ways number point
question questions idea ideas sure right really need want think know going look see talk said say told start
million billion thousand hundred dollars dollar percent euros pounds first second third last next
worry worries worried concern concerns concerned risk risks show need see sign approve plan
"""
GENERIC = frozenset(stem(w) for w in _GENERIC_WORDS.split())
# A line the executive has drawn: "we won't…", "we never…", "we do not…".
LINE_RE = re.compile(r"\b(?:we|i)\s+(?:can't|cannot|can not|won't|will not|must not|mustn't|don't|do not|never|"
                     r"will never|refuse to|are not going to|aren't going to)\b", re.IGNORECASE)
PITCH_NEGATION_RE = re.compile(r"\b(?:not|never|no|without|avoid|won't|don't|can't|cannot)\b|n't\b", re.IGNORECASE)


@dataclass(frozen=True)
class Evidence:
    """A sentence of the executive's, exactly as in its passage."""

    hit: PassageHit
    quote: str


@dataclass(frozen=True)
class PushBack:
    """A priority the pitch ignores or contradicts, why it matters, and where the executive said it."""

    priority: str
    why: str
    evidence: Evidence
    contradicts: bool = False


def _distinctive(s: str) -> bool:
    return s not in GENERIC and stem_frequency(s) < COMMON_STEM_FREQUENCY and len(s) > 2 and not s.isdigit()


def _surface(stem_: str, text: str) -> str:
    """A word of `text` with this stem, as written there."""
    for w in words(text):
        if stem(w) == stem_:
            return w
    return stem_


def _proper_noun(term: str, text: str) -> bool:
    """Whether a term is written as a name in the text (capitalised where no sentence starts)."""
    first = words(term)[0] if words(term) else ""
    for match in re.finditer(r"[A-Za-z][\w'’-]*", text):
        token = match.group(0)
        if token.lower() != first and stem(token.lower()) != stem(first):
            continue
        before = text[:match.start()].rstrip()
        if not before or before[-1] in ".!?:\"“'‘(|":
            continue
        return token[0].isupper()
    return False


def _covered(stems: set[str], pitch: Counter[str]) -> bool:
    return bool(stems) and stems <= pitch.keys()


def _sentence_with(hit: PassageHit, stems: set[str]) -> str | None:
    """The sentence of a passage holding most of the given stems (None if none holds any)."""
    best, best_count = None, 0
    for a, b in sentence_spans(hit.text):
        sentence = hit.text[a:b]
        count = len(stems & set(content_stems(sentence)))
        if count > best_count and 5 <= len(words(sentence)) <= 60:
            best, best_count = sentence, count
    return best


def contradictions(analysis: PitchAnalysis, bank: VisibleBank, limit: int = MAX_CONTRADICTIONS) -> list[PushBack]:
    """Lines the executive has drawn ('we won't…', 'we never…') that the pitch proposes to cross."""
    found: list[tuple[int, PushBack]] = []
    document_share = Counter(s for i in bank.items for s in i.stems)
    total = max(1, len(bank.items))
    for item in bank.concerns:
        line = LINE_RE.search(item.text)
        if line is None:
            continue
        after = content_stems(item.text[line.end():])
        shared = {s for s in after if s in analysis.stems and _distinctive(s) and document_share[s] / total < 0.2}
        if len(shared) < 2:
            continue
        sentence = _pitch_sentence(analysis, shared)
        if sentence is None or PITCH_NEGATION_RE.search(sentence):
            continue
        label = " ".join(_surface(s, item.text) for s in sorted(shared, key=lambda s: item.text.lower().find(s))[:3])
        why = f"Your pitch says {quote(sentence, 16)} That runs against a line they have drawn."
        found.append((len(shared), PushBack(priority=label, why=why, evidence=Evidence(item.hit, item.text),
                                            contradicts=True)))
    found.sort(key=lambda pair: -pair[0])
    return [p for _, p in found[:limit]]


def _pitch_sentence(analysis: PitchAnalysis, stems: set[str]) -> str | None:
    best, best_count = None, 0
    for sentence in analysis.sentences:
        count = len(stems & set(content_stems(sentence)))
        if count > best_count:
            best, best_count = sentence, count
    return best if best_count >= 2 else None


def _candidate_terms(persona: PersonaSettings, bank: VisibleBank) -> dict[str, set[str]]:
    """Recurring priorities as {term: its stems}: the style profile's theme terms, then concerns said in several
    sources."""
    terms: dict[str, set[str]] = {}
    for theme in persona.style.themes:
        for term in theme.get("terms", []):
            if isinstance(term, str) and words(term):
                stems = {stem(w) for w in words(term) if w}
                if any(_distinctive(s) for s in stems):
                    terms.setdefault(term, stems)
    in_sources: dict[str, set[int]] = {}
    for item in bank.concerns:
        for s in item.stems:
            if _distinctive(s):
                in_sources.setdefault(s, set()).add(item.source_id)
    for s, sources in in_sources.items():
        if len(sources) >= 2 and not any(s in stems for stems in terms.values()):
            terms[s] = {s}
    return terms


def ignored_priorities(session: Session | None, twin: Twin | None, viewer: Viewer | None,
                       persona: PersonaSettings, analysis: PitchAnalysis, bank: VisibleBank,
                       limit: int = MAX_PUSH_BACK) -> list[PushBack]:
    """The executive's recurring priorities the pitch never mentions, those nearest the pitch's subject first,
    each with a sentence (the viewer may see) where they said it."""
    similarity = source_similarity(analysis.stems, bank)
    sources = len(bank.source_stems) or 1
    name_stems = {stem(w) for w in words(persona.name)}
    scored: list[tuple[float, str, set[str], list[int]]] = []
    for term, stems in _candidate_terms(persona, bank).items():
        if _covered(stems, analysis.stems) or stems & name_stems:
            continue
        holding = [sid for sid, vocab in bank.source_stems.items() if stems <= vocab.keys()]
        if len(holding) < 2 or len(holding) / sources > UBIQUITOUS_SHARE and sources >= 4:
            continue
        nearest = sorted((similarity.get(sid, 0.0) for sid in holding), reverse=True)[:3]
        relevance = sum(nearest) / len(nearest)
        scored.append((math.log1p(len(holding)) * (0.1 + relevance), term, stems, holding))
    scored.sort(key=lambda c: (-c[0], c[1]))
    out: list[PushBack] = []
    used: set[str] = set()
    covered_stems: set[str] = set()
    for _, term, stems, holding in scored:
        if stems & covered_stems:
            continue
        evidence = _evidence(session, twin, viewer, bank, stems, term, used, similarity)
        if evidence is None or _proper_noun(term, evidence.quote):
            continue
        label = term if " " in term or term not in stems else _surface(term, evidence.quote)
        why = (f"Your pitch never mentions {label}, and {persona.name} keeps coming back to it "
               f"(it comes up in {len(holding)} of their sources).")
        out.append(PushBack(priority=label, why=why, evidence=evidence))
        used.add(evidence.quote)
        covered_stems |= stems
        if len(out) >= limit:
            break
    return out


def _evidence(session: Session | None, twin: Twin | None, viewer: Viewer | None, bank: VisibleBank,
              stems: set[str], term: str, used: set[str], similarity: dict[int, float]) -> Evidence | None:
    """Where the executive said it: a concern of theirs first (from the source nearest the pitch), else their own
    passage found by search."""
    concerns: list[BankItem] = [i for i in bank.concerns if stems <= i.stems.keys() and i.text not in used]
    if concerns:
        best = max(concerns, key=lambda i: (similarity.get(i.source_id, 0.0), -len(i.text), -i.hit.passage_id))
        return Evidence(best.hit, best.text)
    if session is None or twin is None or viewer is None:
        return None
    from service.search import search_passages

    for hit in search_passages(session, twin, term, viewer, k=5, executive_only=True):
        sentence = _sentence_with(hit, stems)
        if sentence is not None and sentence not in used:
            return Evidence(hit, sentence)
    return None


def find_push_back(session: Session | None, twin: Twin | None, viewer: Viewer | None, persona: PersonaSettings,
                   analysis: PitchAnalysis, bank: VisibleBank, limit: int = MAX_PUSH_BACK) -> list[PushBack]:
    """Contradictions first, then the ignored priorities, at most `limit` in all."""
    found = contradictions(analysis, bank)
    seen = {p.evidence.quote for p in found}
    for item in ignored_priorities(session, twin, viewer, persona, analysis, bank, limit):
        if len(found) >= limit:
            break
        if item.evidence.quote not in seen:
            found.append(item)
            seen.add(item.evidence.quote)
    return found
