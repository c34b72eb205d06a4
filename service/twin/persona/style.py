"""The persona's style profile: how the executive writes and speaks, derived from the approved corpus."""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.models import Passage, Source, Twin
from service.twin.background import floor_frequency, word_frequency
from textkit.sentences import sentences
from textkit.stopwords import CONTENT_STOP_WORDS, word_set
from textkit.words import words

PHRASE_BAD_STARTS = word_set("the and of to in at on for by with from that a an or as")
PHRASE_BAD_ENDS = word_set("""
the a an of to in and or but for with on at by from that is are was were be been have has had will would can
could should our my your their his her its this these those as if than which who whom i we they he she it
""")
# Rarer than this in general English: not among its thousand commonest words, so a theme of the speaker's own.
COMMON_WORD_FREQUENCY = 1e-4
ASIDE_RE = re.compile(r"\((?:[A-Z][a-z]*\.?\s?){1,3}\)|\[(?:[A-Z][a-z]*\.?\s?){1,3}\]")


@dataclass
class StyleProfile:
    """How the executive writes and speaks, derived from the approved corpus."""

    documents: int = 0
    sentences: int = 0
    words: int = 0
    sentence_length: dict[str, float] = field(default_factory=dict)
    openings: list[dict[str, Any]] = field(default_factory=list)
    closings: list[dict[str, Any]] = field(default_factory=list)
    signature_phrases: list[dict[str, Any]] = field(default_factory=list)
    favoured_words: list[dict[str, Any]] = field(default_factory=list)
    themes: list[dict[str, Any]] = field(default_factory=list)
    voice: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> StyleProfile:
        data = data or {}
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})



def build_style_profile(documents: Iterable[Sequence[str] | str]) -> StyleProfile:
    """Derive the executive's style from their own words: one item per document or turn (passages in order)."""
    docs = [[d] if isinstance(d, str) else [p for p in d if p.strip()] for d in documents]
    docs = [d for d in docs if d]
    profile = StyleProfile(documents=len(docs))
    if not docs:
        return profile
    doc_sentences = [[s for text in doc for s in sentences(_without_asides(text)) if words(s)] for doc in docs]
    lengths = [len(words(s)) for sents in doc_sentences for s in sents if words(s)]
    profile.sentences = len(lengths)
    profile.words = sum(lengths)
    if lengths:
        ordered = sorted(lengths)
        profile.sentence_length = {"mean": round(statistics.fmean(lengths), 1),
                                   "median": float(statistics.median(lengths)),
                                   "p90": float(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))])}
    profile.openings = _common_sentences([s[0] for s in doc_sentences if s])
    profile.closings = _common_sentences([s[-1] for s in doc_sentences if s])
    profile.signature_phrases = _signature_phrases(doc_sentences)
    passages = [text for doc in docs for text in doc]
    profile.favoured_words = _favoured_words(passages)
    profile.themes = _themes(passages, profile.favoured_words)
    profile.voice = _voice_profile(["\n".join(doc) for doc in docs])
    return profile


def _without_asides(text: str) -> str:
    """Text without bracketed stage directions such as (Applause.) or [Laughter]."""
    return ASIDE_RE.sub(" ", text)


def _normal(sentence: str) -> str:
    return " ".join(words(sentence))


def _common_sentences(candidates: list[str], limit: int = 5) -> list[dict[str, Any]]:
    """Sentences (or their first words) that several documents share."""
    whole: Counter[str] = Counter()
    heads: Counter[str] = Counter()
    example: dict[str, str] = {}
    for sentence in candidates:
        key = _normal(sentence)
        if not key:
            continue
        whole[key] += 1
        example.setdefault(key, " ".join(sentence.split()))
        head = " ".join(key.split()[:3])
        heads[head] += 1
        example.setdefault("head:" + head, " ".join(sentence.split()[:3]) + " …")
    found: list[tuple[str, int]] = [(example[k], c) for k, c in whole.most_common() if c >= 2]
    covered = {_normal(text) for text, _ in found}
    found += [(example["head:" + h], c) for h, c in heads.most_common()
              if c >= 2 and not any(x.startswith(h) for x in covered)]
    found.sort(key=lambda f: -f[1])
    return [{"text": text, "count": count} for text, count in found[:limit]]


def _signature_phrases(doc_sentences: list[list[str]], limit: int = 15) -> list[dict[str, Any]]:
    """Recurring 3-5-word phrases that appear in several sources and are not just function words."""
    in_docs: Counter[tuple[str, ...]] = Counter()
    total: Counter[tuple[str, ...]] = Counter()
    for sents in doc_sentences:
        seen: set[tuple[str, ...]] = set()
        for sentence in sents:
            toks = words(sentence)
            content_before = [0]
            for t in toks:
                content_before.append(content_before[-1] + (t not in CONTENT_STOP_WORDS))
            for n in (3, 4, 5):
                for i in range(len(toks) - n + 1):
                    if (toks[i] in PHRASE_BAD_STARTS or toks[i + n - 1] in PHRASE_BAD_ENDS
                            or content_before[i + n] == content_before[i]):
                        continue
                    gram = tuple(toks[i:i + n])
                    total[gram] += 1
                    seen.add(gram)
        in_docs.update(seen)
    floor = max(2, math.ceil(len(doc_sentences) * 0.05)) if len(doc_sentences) > 2 else 2
    candidates = [(g, d) for g, d in in_docs.items() if d >= floor]
    candidates.sort(key=lambda gd: (-(gd[1] * (1 + 0.5 * (len(gd[0]) - 3))), gd[0]))
    chosen: list[dict[str, Any]] = []
    for gram, docs in candidates:
        phrase = " ".join(gram)
        if any(phrase in c["phrase"] or c["phrase"] in phrase for c in chosen):
            continue
        chosen.append({"phrase": phrase, "sources": docs, "count": total[gram]})
        if len(chosen) >= limit:
            break
    return chosen


def _favoured_words(passages: list[str], limit: int = 40) -> list[dict[str, Any]]:
    """Words the executive uses far more than ordinary English does: log-odds z-scores against the background."""
    counts: Counter[str] = Counter()
    n = 0
    for text in passages:
        toks = words(_without_asides(text))
        n += len(toks)
        counts.update(w for w in toks if w not in CONTENT_STOP_WORDS and w.isalpha() and len(w) > 2)
    if not n:
        return []
    prior, floor = 0.5, floor_frequency()
    background_size = 1_000_000.0
    scored = []
    for word, count in counts.items():
        if count < 3:
            continue
        expected = (word_frequency(word) or floor) * background_size
        log_odds = (math.log((count + prior) / (n - count + prior))
                    - math.log((expected + prior) / (background_size - expected + prior)))
        z = log_odds / math.sqrt(1 / (count + prior) + 1 / (expected + prior))
        scored.append((z, word, count))
    scored.sort(reverse=True)
    return [{"word": w, "score": round(z, 2), "count": c} for z, w, c in scored[:limit] if z > 0]


def _themes(passages: list[str], favoured: list[dict[str, Any]], limit: int = 8) -> list[dict[str, Any]]:
    """Recurring priorities: distinctive words and two-word phrases, loosely clustered by where they co-occur."""
    phrase_counts: Counter[str] = Counter()
    for text in passages:
        toks = words(_without_asides(text))
        phrase_counts.update(f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)
                             if a not in CONTENT_STOP_WORDS and b not in CONTENT_STOP_WORDS and a.isalpha() and b.isalpha()
                             and len(a) > 2 and len(b) > 2)
    distinctive = [f["word"] for f in favoured if word_frequency(f["word"]) < COMMON_WORD_FREQUENCY]
    floor = max(3, len(passages) // 200)
    phrases = [p for p, c in phrase_counts.most_common(40) if c >= floor]
    terms = list(dict.fromkeys(phrases[:15] + distinctive[:25]))
    where: dict[str, set[int]] = defaultdict(set)
    for i, text in enumerate(passages):
        lowered = " ".join(words(text))
        for term in terms:
            if f" {term} " in f" {lowered} ":
                where[term].add(i)
    terms.sort(key=lambda t: -len(where.get(t, ())))
    clusters: list[list[str]] = []
    for term in terms:
        spots = where.get(term, set())
        if len(spots) < 2:
            continue
        best, best_share = None, 0.0
        for cluster in clusters:
            seed = set().union(*(where[t] for t in cluster))
            share = len(spots & seed) / len(spots)
            if share > best_share:
                best, best_share = cluster, share
        if best is not None and best_share >= 0.3 and len(best) < 6:
            best.append(term)
        elif len(clusters) < limit:
            clusters.append([term])
    sized = sorted(((len(set().union(*(where[t] for t in c))), c) for c in clusters), key=lambda x: -x[0])
    return [{"label": " / ".join(c[:3]), "terms": c, "passages": n} for n, c in sized]


def _voice_profile(texts: list[str]) -> dict[str, Any] | None:
    """The function-word profile from voice.py, when it is available."""
    try:
        from service.twin.voice import build_voice_profile
    except ImportError:
        return None
    joined = [t for t in texts if t.strip()]
    try:
        return dict(build_voice_profile(joined).to_dict()) if joined else None
    except ValueError:
        return None


# The style profile is rebuilt in the background after an approval (service/twin/profile_jobs.py): it reads the
# newest sources up to this many passages, about a second at most (a 200,000-passage corpus whole took two minutes).
STYLE_SAMPLE_PASSAGES = 2000
# The profile shapes every viewer's answers and the model's prompt, so only sources every viewer may see feed it.
PROFILE_AUDIENCE = "everyone"


def executive_documents(session: Session, twin: Twin, *,
                        limit: int = STYLE_SAMPLE_PASSAGES) -> list[list[str]]:
    """The executive's own approved, current passages of the newest sources (up to `limit` passages), grouped by
    source in reading order."""
    rows = session.execute(
        select(Passage.source_id, Passage.text)
        .join(Source, Source.id == Passage.source_id)
        .where(Source.twin_id == twin.id, Source.status == "approved", Source.superseded_by_id.is_(None),
               Source.audience == PROFILE_AUDIENCE, Passage.executive.is_(True))
        .order_by(Source.date.desc().nulls_last(), Source.id.desc(), Passage.ordinal)
        .limit(limit)
    )
    grouped: dict[int, list[str]] = defaultdict(list)
    for source_id, text in rows:
        grouped[source_id].append(text)
    return [grouped[source_id] for source_id in sorted(grouped)]


def refresh_persona(session: Session, twin: Twin, *, actor: str | None = None) -> StyleProfile:
    """Recompute the style profile from the approved corpus and store it (no audit event: the system's, not a person's)."""
    state = corpus_fingerprint(session, twin)
    profile = build_style_profile(executive_documents(session, twin))
    store.save_style_profile(session, twin.id, profile.to_dict(), state)
    return profile


def corpus_fingerprint(session: Session, twin: Twin) -> str:
    """What the style profile depends on: the twin's approved, current sources (one indexed aggregate)."""
    row = session.execute(
        select(func.count(), func.max(Source.id), func.max(Source.approved_at), func.max(Source.retired_at))
        .where(Source.twin_id == twin.id, Source.status == "approved", Source.superseded_by_id.is_(None))
    ).one()
    return f"{row[0]}:{row[1]}:{_instant(row[2])}:{_instant(row[3])}"


def _instant(value: Any) -> str:
    """A time as the same text whichever way the database driver returns it (aware or naive UTC, or a string)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    return "None" if value is None else str(value).replace("T", " ").removesuffix("+00:00")

