"""Push-back: the executive's stated positions a pitch runs against, and the recurring priorities it leaves out,
each quoted with where they said it and labelled as a person would (the memo's heading or title)."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from service.corpus.access import Viewer
from service.corpus.models import Twin
from service.rehearsal.bank import BankItem, VisibleBank, stem_counts
from service.rehearsal.claims import Claim, claim_sentences, pitch_claims
from service.rehearsal.labels import stance_label, stance_phrase
from service.rehearsal.meaning import cached_vectors
from service.rehearsal.pitch import PitchAnalysis
from service.rehearsal.ranking import source_similarity
from service.rehearsal.readings import polarity, reading
from service.rehearsal.rubric import quote
from service.rehearsal.stances import (
    NOT_A_STANCE_RE,
    SAME_POSITION,
    Embed,
    Stance,
    StanceVectors,
    actions_of,
    corpus_vectors,
    crossed_actions,
    crossed_by_leaning,
    is_state_of_affairs,
    pitch_vectors,
    subject_stems,
)
from service.rehearsal.stances import (
    contradictions as stance_contradictions,
)
from service.search import PassageHit
from service.twin.background import stem_frequency
from service.twin.persona import PersonaSettings
from textkit.sentences import sentence_spans
from textkit.stems import stem
from textkit.words import words

log = logging.getLogger(__name__)

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
# Words quoted within a sentence ("…two honest pages that say “we don't know yet”…").
QUOTED_RE = re.compile(r"\"[^\"]*\"|“[^”]*”")
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


def _a_priority(concern: str) -> bool:
    """Whether a concern of hers is a priority to push on, held to the test a stance is: not a fact ("We run three
    dispatch systems today…"), nor a sentence that holds no position, such as what something is worth with a "we do
    not" only in its relative clause ("Each point of retention is worth … freight we do not have to win again") or
    what she is asked or does not yet know; words she quotes ("…that say \"we don't know yet\"…") are not hers."""
    own = QUOTED_RE.sub(" ", concern)
    return not is_state_of_affairs(concern) and not NOT_A_STANCE_RE.search(own)


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
        count = len(stems & set(stem_counts(sentence)))
        if count > best_count and 5 <= len(words(sentence)) <= 60:
            best, best_count = sentence, count
    return best


def line_crossings(analysis: PitchAnalysis, bank: VisibleBank) -> list[tuple[int, str, BankItem]]:
    """Lines the executive has drawn ('we won't…', 'we never…') whose distinctive words a sentence of the pitch
    repeats without negating them: (words shared, the pitch's sentence, the line), most shared first."""
    found: list[tuple[int, str, BankItem]] = []
    document_share = Counter(s for i in bank.items for s in i.stems)
    total = max(1, len(bank.items))
    for item in bank.concerns:
        line = LINE_RE.search(item.text)
        if line is None:
            continue
        after = stem_counts(item.text[line.end():])
        shared = {s for s in after if s in analysis.stems and _distinctive(s) and document_share[s] / total < 0.2}
        if len(shared) < 2:
            continue
        sentence = _pitch_sentence(analysis, shared)
        if sentence is None or PITCH_NEGATION_RE.search(sentence):
            continue
        found.append((len(shared), sentence, item))
    found.sort(key=lambda f: -f[0])
    return found


def contradictions(analysis: PitchAnalysis, bank: VisibleBank, limit: int = MAX_CONTRADICTIONS) -> list[PushBack]:
    """Without a sentence model: lines the executive has drawn that the pitch proposes to cross, in her words."""
    return [PushBack(priority=item.label or stance_label(item.hit, item.text), why=f"Your pitch says {_says(sentence, 16)} That runs against a "
                     "line they have drawn.", evidence=Evidence(item.hit, item.text), contradicts=True)
            for _, sentence, item in line_crossings(analysis, bank)[:limit]]


def _pitch_sentence(analysis: PitchAnalysis, stems: set[str]) -> str | None:
    best, best_count = None, 0
    for sentence in analysis.sentences:
        count = len(stems & set(stem_counts(sentence)))
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
        term_label = term if " " in term or term not in stems else _surface(term, evidence.quote)
        label = _label_of(evidence, bank)
        why = (f"Your pitch never mentions {term_label}, and {persona.name} keeps coming back to it "
               f"(it comes up in {len(holding)} of {persona.possessive} sources).")
        out.append(PushBack(priority=label, why=why, evidence=evidence))
        used.add(evidence.quote)
        covered_stems |= stems
        if len(out) >= limit:
            break
    return out


def _label_of(evidence: Evidence, bank: VisibleBank) -> str:
    """The label of the stance or concern an evidence sentence is, else a plain phrase of the sentence."""
    items: list[Stance | BankItem] = [*bank.stances, *bank.concerns]
    for item in items:
        if item.text == evidence.quote and item.hit.passage_id == evidence.hit.passage_id and item.label:
            return item.label
    return stance_label(evidence.hit, evidence.quote)


def _evidence(session: Session | None, twin: Twin | None, viewer: Viewer | None, bank: VisibleBank,
              stems: set[str], term: str, used: set[str], similarity: dict[int, float]) -> Evidence | None:
    """Where the executive said it: a concern of theirs first (from the source nearest the pitch), else their own
    passage found by search."""
    concerns: list[BankItem] = [i for i in bank.concerns if stems <= i.stems.keys() and i.text not in used
                                and _a_priority(i.text)]
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


# A position recurs when sentences close in meaning to it (SAME_POSITION) are said in at least RECURS_IN sources.
RECURS_IN = 2
# What the rehearsal says when it has no push-back (the web page, the CLI and Slack).
NO_PUSH_BACK = "Nothing: the pitch neither ignores nor crosses a priority the sources show."
# The pitch addresses a priority when one of its sentences comes this close to it in meaning.
ADDRESSED = 0.5
# A priority left out must bear on the pitch's subject at least this much: below it, her recurring lines about other
# things (the 24-hour incident rule for an agency-hiring pitch) were listed because nothing nearer was left. Chosen
# by reading 58 left-out items of 23 bench pitches: about one in six was on the pitch's subject; above 0.4, seven of
# eleven.
LEFT_OUT_BEARING = 0.4


def point_bearing(priorities: Sequence[Stance], sentence_bearing: np.ndarray, pitch_vector: np.ndarray,
                  embed: Embed | None) -> np.ndarray:
    """How near each priority's point is to the pitch: for a line drawn, what it rules out ("Most of that overrun is
    the price of our own rule: we do not switch off an old system…" is about switching systems off, not about
    price), else the sentence; never nearer than the sentence."""
    if embed is None:
        return sentence_bearing
    ruled = [reading(p.text, reasons=True).ruled_out for p in priorities]
    texts = [t for parts in ruled for t in parts]
    if not texts:
        return sentence_bearing
    nearness = cached_vectors(embed, texts) @ pitch_vector
    out = sentence_bearing.copy()
    start = 0
    for k, parts in enumerate(ruled):
        if parts:
            out[k] = min(float(out[k]), float(nearness[start:start + len(parts)].max()))
            start += len(parts)
    return out


def _said_in(stance: Stance) -> str:
    """Where she said it, as the why names it: the document's own title, never one made from a file name."""
    return f" ({stance.hit.title})" if stance.own_title and stance.hit.title else ""


def _clash_push_back(clash_claim: str, stance: Stance, persona: PersonaSettings) -> PushBack:
    why = (f"Your pitch says {_says(clash_claim, 20)} {persona.name} has said otherwise, in so many words"
           f"{_said_in(stance)}.")
    return PushBack(priority=stance.label, why=why, evidence=Evidence(stance.hit, stance.text), contradicts=True)


def recurring_priorities_left_out(stances: list[Stance], corpus: StanceVectors, pitch_vector: np.ndarray,
                                  claim_vectors: np.ndarray, persona: PersonaSettings, *, exclude: set[str],
                                  limit: int, pushed: Sequence[Stance] = (), embed: Embed | None = None,
                                  pitch_subjects: frozenset[str] | None = None) -> list[PushBack]:
    """Positions and concerns the executive states in several sources that no sentence of the pitch addresses;
    those whose point is nearest the pitch's subject first, one per memo section. A position already pushed on (the
    pitch runs against it), said again elsewhere or in other words in its section, is not also one the pitch leaves
    out."""
    if not stances or corpus.sentences.size == 0:
        return []
    close = corpus.same
    recurs = corpus.recurrence
    bears = point_bearing(stances, corpus.sentences @ pitch_vector, pitch_vector, embed)
    addressed = (claim_vectors @ corpus.sentences.T).max(axis=0) if claim_vectors.size else np.zeros(len(stances))
    order = np.argsort(-bears)
    out: list[PushBack] = []
    already = {(p.text, p.hit.passage_id) for p in pushed}
    taken = [k for k, s in enumerate(stances) if (s.text, s.hit.passage_id) in already]
    sections = {_section(s) for s in pushed}
    for k in order:
        if bears[k] < LEFT_OUT_BEARING:
            break
        stance = stances[int(k)]
        if (recurs[k] < RECURS_IN or addressed[k] >= ADDRESSED or stance.text in exclude
                or _section(stance) in sections):
            continue
        if any(close[k, t] for t in taken) or _restates(embed, stance, pushed):
            continue
        # a reminder shares a word of substance with the pitch (its sentence, its section heading or its memo's
        # title, as a clash must): "We promote from the dock" is near a podcast about where the company comes from
        # only in the model's reading
        if pitch_subjects is not None and not pitch_subjects & (
                subject_stems(stance.text) | subject_stems((stance.hit.heading or "").lower())
                | subject_stems((stance.hit.title or "").lower())):
            continue
        why = (f"Your pitch doesn't say where it stands on {_point(stance)}, and {persona.name} comes back to it "
               f"(in {int(recurs[k])} of {persona.possessive} sources).")
        out.append(PushBack(priority=stance.label, why=why, evidence=Evidence(stance.hit, stance.text)))
        sections.add(_section(stance))
        taken.append(int(k))
        if len(out) >= limit:
            break
    return out


def _says(sentence: str, limit: int) -> str:
    """A pitch's sentence quoted, then a full stop when the quote stops short of its own (“We want it above 98% …”.)."""
    quoted = quote(sentence, limit)
    return quoted if quoted.rstrip("”").rstrip().endswith((".", "?", "!")) else quoted + "."


def _restates(embed: Embed | None, stance: Stance, pushed: Sequence[Stance]) -> bool:
    """Whether a stance says again, in its own words, a position already pushed on: the sentences alone are
    compared, since the headings they are read with elsewhere ("Power", "The fleet") can set them apart."""
    if embed is None or not pushed:
        return False
    vectors = cached_vectors(embed, [stance.text, *(p.text for p in pushed)])
    return bool((vectors[1:] @ vectors[0] >= SAME_POSITION).any())


# The point named in a why may run longer than a label.
POINT_WORDS = 18


def _section(stance: Stance) -> tuple[int, str]:
    """The memo section a stance sits in (its source and heading)."""
    return stance.source_id, stance.hit.heading or ""


def _point(stance: Stance) -> str:
    """The point a stance makes, named plainly for the why (not a vague "this")."""
    return f"“{stance_phrase(stance.text, POINT_WORDS)}”"


def find_push_back(session: Session | None, twin: Twin | None, viewer: Viewer | None, persona: PersonaSettings,
                   analysis: PitchAnalysis, bank: VisibleBank, limit: int = MAX_PUSH_BACK,
                   embed: Embed | None = None) -> list[PushBack]:
    """Contradictions first (stated positions the pitch runs against, by meaning and polarity), then the recurring
    priorities it leaves out, at most `limit` in all. Without a sentence model: lines drawn in the same words and
    priorities by their terms."""
    if embed is not None and bank.stances:
        try:
            return _push_back_by_meaning(persona, analysis, bank, embed, limit)
        except Exception as exc:  # a model failure must not stop a rehearsal: fall back to the words
            log.warning("push-back by meaning unavailable, using words: %s", exc)
    found = contradictions(analysis, bank)
    seen = {p.evidence.quote for p in found}
    for item in ignored_priorities(session, twin, viewer, persona, analysis, bank, limit):
        if len(found) >= limit:
            break
        if item.evidence.quote not in seen:
            found.append(item)
            seen.add(item.evidence.quote)
    return found


# How close in meaning a pitch sentence that repeats a line in her words must also be to it, and how many of the
# line's content words, one after another, it must repeat in the same order ("price below the cost to serve").
CROSSING_FLOOR = 0.4
CROSSING_RUN = 3


def _stem_sequence(text: str) -> list[str]:
    return [stem(w) for w in words(text) if stem_counts(w)]


def longest_shared_run(a: str, b: str) -> int:
    """The most content words, one after another in the same order, that two sentences share."""
    x, y = _stem_sequence(a), _stem_sequence(b)
    best = 0
    previous = [0] * (len(y) + 1)
    for i in range(1, len(x) + 1):
        current = [0] * (len(y) + 1)
        for j in range(1, len(y) + 1):
            if x[i - 1] == y[j - 1]:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def _crossed_in_her_words(analysis: PitchAnalysis, bank: VisibleBank, embed: Embed,
                          persona: PersonaSettings) -> list[PushBack]:
    """A line she drew ("we do not price below the cost to serve") that a sentence of the pitch proposes in her own
    words, one after another, without the negation; kept when it is also close in meaning and of the opposite
    polarity (a direct clash that the memo's wider topic can hide). Sharing her words in another order ("every
    route is accepted… we will measure it" against "we will not measure dispatchers by how often they accept")
    is not enough, nor is a sentence that only sets the scene (not a proposal), nor repeating what the line holds
    rather than what it rules out."""
    proposals = {c.text for c in pitch_claims(claim_sentences(analysis.text)) if c.proposal}
    for _, sentence, item in line_crossings(analysis, bank):
        line = LINE_RE.search(item.text)
        if line is None or sentence not in proposals:
            continue
        # the words repeated must be what the line rules out ("buy vans that we cannot charge"), not what it holds
        # or the condition it is drawn under ("…we will only electrify routes that work in the worst week of winter")
        ruled = reading(item.text, reasons=True).ruled_out
        if max((longest_shared_run(sentence, part) for part in ruled), default=0) < CROSSING_RUN:
            continue
        vectors = np.asarray(embed([sentence, item.text]), dtype=np.float32)
        if float(vectors[0] @ vectors[1]) >= CROSSING_FLOOR and polarity(sentence) != polarity(item.text):
            stance = next((s for s in bank.stances if s.text == item.text and s.hit.passage_id == item.hit.passage_id),
                          None)
            label = stance.label if stance is not None else (item.label or stance_label(item.hit, item.text))
            where = _said_in(stance) if stance is not None else ""
            why = (f"Your pitch says {_says(sentence, 20)} {persona.name} has said otherwise, in so many words"
                   f"{where}.")
            return [PushBack(priority=label, why=why, evidence=Evidence(item.hit, item.text), contradicts=True)]
    return []


def _verb_stem(action: str) -> str:
    """The stem of an action's first word, its verb ("matching a competitor's price" -> "match")."""
    found = words(action)
    return stem(found[0]) if found else ""


def quoted_claim(clash: Claim, claims: Sequence[Claim], stance: Stance) -> Claim:
    """The pitch's sentence to quote for a clash: the clashing claim, unless it never names the action the stance
    rules out and another proposal of the pitch does ("I propose we match it: a 15 % discount", not "If volumes
    drop…, we would reopen the price", against "We will stop matching a competitor's price…")."""
    verbs = {_verb_stem(a) for a in actions_of(reading(stance.text, reasons=True).ruled_out)} - {""}
    if not verbs or verbs & set(stem_counts(clash.text)):
        return clash
    naming = [c for c in claims if c.proposal and verbs & set(stem_counts(c.text))
              and not PITCH_NEGATION_RE.search(c.text)]
    return naming[0] if naming else clash


def _push_back_by_meaning(persona: PersonaSettings, analysis: PitchAnalysis, bank: VisibleBank, embed: Embed,
                          limit: int) -> list[PushBack]:
    claims = pitch_claims(claim_sentences(analysis.text))
    corpus = corpus_vectors(embed, bank.stances)
    pitch = pitch_vectors(embed, claims, analysis.text)
    found = [_clash_push_back(quoted_claim(c.claim, claims, c.stance).wording, c.stance, persona)
             for c in stance_contradictions(claims, bank.stances, pitch, corpus, limit=MAX_CONTRADICTIONS)]
    if not found:
        found = [_clash_push_back(quoted_claim(c.claim, claims, c.stance).wording, c.stance, persona)
                 for c in crossed_actions(claims, bank.stances, pitch, corpus, limit=MAX_CONTRADICTIONS)]
    if not found:
        found = _crossed_in_her_words(analysis, bank, embed, persona)
    # Her priorities: the positions she states and the concerns she voices ("what worries me…").
    known = {(st.text, st.hit.passage_id) for st in bank.stances}
    priorities = list(bank.stances) + [
        Stance(text=i.text, hit=i.hit, audience=i.audience, label=i.label or stance_label(i.hit, i.text),
               polarity=polarity(i.text))
        for i in bank.concerns if (i.text, i.hit.passage_id) not in known and _a_priority(i.text)]
    pushed = [p for p in priorities if any(p.text == f.evidence.quote and p.hit.passage_id == f.evidence.hit.passage_id
                                           for f in found)]
    priority_vectors = corpus_vectors(embed, priorities)
    # a position the pitch takes a side against (it leans the other way on the choice the sentence itself makes: "go
    # out to the drivers without a dispatcher approving it" against "A human dispatcher owns every call") is not one
    # it "doesn't say where it stands on"
    taken_against = {priorities[int(j)].text for j in np.nonzero(crossed_by_leaning(pitch, priority_vectors))[0]}
    found += recurring_priorities_left_out(priorities, priority_vectors, pitch.pitch, pitch.claims,
                                           persona, exclude={p.evidence.quote for p in found} | taken_against,
                                           limit=limit - len(found), pushed=pushed, embed=embed,
                                           pitch_subjects=distinctive_subjects(analysis.text, bank))
    return found[:limit]


# A word in more than this share of her sources is her everyday vocabulary ("driver", "move" at a freight company).
EVERYDAY_SHARE = 0.5


def distinctive_subjects(text: str, bank: VisibleBank) -> frozenset[str]:
    """The words of substance of a text less her everyday vocabulary: a word in most of her sources ties a reminder
    to a pitch no more than her name does ("The schedule absorbs the delay, not the driver" is not about a pitch on
    training dock workers as dispatchers because both say "driver", nor "…a promise to move someone's freight" because
    the pitch says "the move")."""
    said = subject_stems(text)
    sources = len(bank.source_stems)
    if sources < 4:
        return said
    holding = Counter(s for vocabulary in bank.source_stems.values() for s in said & vocabulary.keys())
    return frozenset(s for s in said if holding[s] / sources <= EVERYDAY_SHARE)
