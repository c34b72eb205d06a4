"""Dated positions with the corpus: the engine's hook (marked revisions join the pool) and a source's later
positions (marked by curators or found by meaning)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Passage, Source
from service.corpus.revisions import marked_pairs
from service.search import PassageHit, reranker_for
from service.search.vectors import embedding_text, load_stored_vectors
from service.twin.extractive import Composed, quotable_sentences
from service.twin.persona import PersonaSettings
from service.twin.positions.change import (
    POOL_PASSAGES,
    RELEVANT_FLOOR,
    SAME_POINT,
    PositionChange,
    find_change,
)
from service.twin.positions.compose import compose

log = logging.getLogger(__name__)

def _passage_hits(session: Session, twin_id: int, source_ids: Iterable[int], viewer: Viewer) -> list[PassageHit]:
    """The executive passages of these sources that the viewer may see (approved, current, in their audiences)."""
    ids = sorted(set(source_ids))
    if not ids:
        return []
    rows = session.execute(
        select(Passage, Source).join(Source, Source.id == Passage.source_id)
        .where(Source.id.in_(ids), Source.twin_id == twin_id, Source.status == "approved",
               Source.superseded_by_id.is_(None), Source.audience.in_(sorted(viewer.audiences)),
               Passage.executive.is_(True))
        .order_by(Source.id, Passage.ordinal))
    return [PassageHit.of(p, s) for p, s in rows]


def apply(session: Session, settings: Settings, twin_id: int, question: str, hits: list[PassageHit],
          persona: PersonaSettings, composed: Composed,
          viewer: Viewer) -> tuple[list[PassageHit], Composed, PositionChange | None]:
    """The engine's hook: the change of position on the question's point, if any, and the answer that says it.

    Passages of later sources a curator marked as revising a found source join the pool; the one giving the newest
    position joins the hits (so the model sees it too)."""
    if not hits:
        return hits, composed, None
    try:
        found_ids = {h.source_id for h in hits[:POOL_PASSAGES] if h.executive}
        revisions = marked_pairs(session, twin_id, found_ids)
        later = {b for a, b in revisions if a in found_ids and b not in found_ids}
        extra = _passage_hits(session, twin_id, later, viewer)
        anchor = composed.citations[0].source_id if composed.grounded and composed.citations else None
        if anchor is not None and composed.citations[0].date is None:
            return hits, composed, None  # the answer stands on an undated source: no position to date
        change = find_change(question, [*hits[:POOL_PASSAGES], *extra], reranker_for(settings),
                             anchor_source=anchor, revisions=revisions)
    except Exception as exc:  # the positions are a refinement: an answer without them still stands
        log.warning("dated positions unavailable: %s", exc)
        return hits, composed, None
    if change is None:
        return hits, composed, None
    known = {h.passage_id for h in hits}
    hits = [*hits, *(s.hit for s in (change.newest, *change.earlier) if s.hit.passage_id not in known)]
    if composed.grounded:
        composed = compose(change, persona, question, composed.grounding, composed.evidence)
    return hits, composed, change



@dataclass(frozen=True)
class DetectedRevision:
    """A later source whose statement on one of this source's points differs from it, found by meaning."""

    source_id: int
    title: str
    date: dt.date
    ordinal: int
    later_ordinal: int
    reasons: list[str]
    earlier_text: str
    later_text: str

    def to_dict(self) -> dict[str, Any]:
        return {"source_id": self.source_id, "title": self.title, "date": self.date.isoformat(),
                "ordinal": self.ordinal, "later_ordinal": self.later_ordinal, "reasons": list(self.reasons),
                "earlier": self.earlier_text, "later": self.later_text}


# Later passages looked at per passage, nearest first: a revised target can sit among many passages on the same
# subject (on the demo corpus, the 2028 cold chain target is the ninth nearest to the 2026 one).
NEAREST_PASSAGES = 12
MAX_SOURCE_PASSAGES = 60


def detect_revisions(session: Session, settings: Settings, source: Source) -> list[DetectedRevision]:
    """Later approved sources of the same twin that take a different position on a point this source makes."""
    scorer = reranker_for(settings)
    if scorer is None or source.date is None:
        return []
    everyone = Viewer(audiences=store.source_audiences(session, source.twin_id))
    own = [h for h in _passage_hits_any(session, source) if h.executive][:MAX_SOURCE_PASSAGES]
    if not own:
        return []
    later_ids = {later.id for later in store.later_sources(session, source)}
    others = {h.passage_id: h for h in _passage_hits(session, source.twin_id, later_ids, everyone)}
    if not others:
        return []
    later = list(others.values())
    own_vectors, later_vectors = _passage_vectors(session, scorer, own), _passage_vectors(session, scorer, later)
    similarity = own_vectors @ later_vectors.T
    near: dict[int, set[int]] = {}
    for row, h in enumerate(own):
        order = np.argsort(-similarity[row])[:NEAREST_PASSAGES]
        near[h.passage_id] = {later[i].passage_id for i in order if similarity[row, i] >= SAME_POINT}
    found: dict[tuple[int, int, str], DetectedRevision] = {}
    for h in own:
        points = [s.text for s in quotable_sentences([h], 1)]
        for pid in sorted(near[h.passage_id]):
            other = others[pid]
            for point in points:  # each sentence of the passage is a point it makes
                change = find_change(point, [h, other], scorer, anchor_source=source.id, floor=RELEVANT_FLOOR)
                if change is None or change.newest.hit.source_id != other.source_id:
                    continue
                key = (other.source_id, h.ordinal, change.earlier[0].text)
                if key not in found:
                    assert other.date is not None
                    found[key] = DetectedRevision(other.source_id, other.title, other.date, h.ordinal,
                                                  other.ordinal, change.reasons, change.earlier[0].text,
                                                  change.newest.text)
    return sorted(found.values(), key=lambda d: (d.date, d.source_id, d.ordinal), reverse=True)


def _passage_vectors(session: Session, scorer: Any, hits: Sequence[PassageHit]) -> np.ndarray:
    """Unit vectors of passages as search embeds them: stored at ingestion, else embedded now."""
    texts = [(h.passage_id, embedding_text(h.title, h.heading, h.text)) for h in hits]
    stored = load_stored_vectors(session, scorer.model, texts)
    missing = [(pid, body) for pid, body in texts if pid not in stored]
    if missing:
        stored.update(zip((pid for pid, _ in missing), scorer.embed([body for _, body in missing]), strict=True))
    return np.stack([np.asarray(stored[pid], dtype=np.float32) for pid, _ in texts])


def _passage_hits_any(session: Session, source: Source) -> list[PassageHit]:
    """A source's own passages as hits, whatever its status (a curator reads any source they may see)."""
    return [PassageHit.of(p, source) for p in source.passages]


def revision_report(session: Session, settings: Settings, source: Source, viewer: Viewer, *,
                    detect: bool = True) -> dict[str, Any]:
    """For one source: the later sources marked as revising its position, the earlier ones it revises, and the later
    sources found by meaning to take a different position on one of its points (only sources the viewer may see)."""
    from service.corpus.revisions import revised_by, revises

    found: list[DetectedRevision] = []
    if detect:
        try:
            found = detect_revisions(session, settings, source)
        except Exception as exc:  # the model failed: the marks still show
            log.warning("detecting revisions of source %s failed: %s", source.id, exc)
    audiences = {s.id: s.audience for s in session.scalars(select(Source).where(
        Source.id.in_(sorted({d.source_id for d in found}) or [0])))}
    return {"revised_by": [link.to_dict() for link in revised_by(session, source) if viewer.sees(link.other.audience)],
            "revises": [link.to_dict() for link in revises(session, source) if viewer.sees(link.other.audience)],
            "detected": [d.to_dict() for d in found if viewer.sees(audiences.get(d.source_id, ""))]}
