"""Curators' corrections at answer time: a question that means the same as a corrected one is answered from the
passages the curator chose (or refused), in both composers, still cited and checked, never beyond the asker's
audiences."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import corrections as stored
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Correction, Twin
from service.errors import BadInput
from service.search import PassageHit, reranker_for
from service.search.memory import VectorMemory
from service.twin.extractive import Composed, cited_answer, no_answer, quotable_sentences
from service.twin.guardrails import Refusal, passage_topic, refused_topic
from service.twin.persona import PersonaSettings, persona_settings

log = logging.getLogger(__name__)

# Longest corrected answer in words: the chosen passages are quoted whole up to it, their least relevant
# sentences left out beyond it.
MAX_WORDS = 220
# The refusal message's {topic} when the curator named none.
DEFAULT_TOPIC = "questions like this one"
# Corrected questions' vectors, remembered: they are asked against on every question.
CORRECTION_VECTORS = VectorMemory(4096)


@dataclass
class CorrectionMatch:
    """The correction that answers a question, how close the question came, and what it may stand on for this
    asker."""

    correction_id: int
    root_id: int
    version: int
    kind: str
    question: str
    similarity: float
    framing: str = ""
    hits: list[PassageHit] = field(default_factory=list)
    refusal: Refusal | None = None

    def to_dict(self) -> dict[str, Any]:
        """What an answer says about the correction behind it."""
        return {"id": self.root_id, "version": self.version, "kind": self.kind, "question": self.question,
                "similarity": round(self.similarity, 4)}


def threshold(settings: Settings) -> float:
    """Least similarity in meaning between a question and a corrected one for the correction to answer it."""
    return settings.correction_similarity


def _said(row: Correction, live: dict[int, stored.LivePassage]) -> list[str]:
    """The sentences a correction would quote (of its passages still in the corpus)."""
    hits = [_hit(live[int(pid)]) for pid in row.passage_ids or [] if int(pid) in live]
    return [s.text for s in quotable_sentences(hits, limit=len(hits))]


def similarities(settings: Settings, question: str, rows: Sequence[Correction],
                 live: dict[int, stored.LivePassage] | None = None) -> list[float]:
    """Each correction's closeness to the question: 1.0 for the same words as its question or one of its other
    wordings; else, by the semantic model's cosine similarity, the closer of the corrected question and the
    sentences it would quote (a question those words answer means what the corrected one meant), or an other
    wording's similarity averaged with that backing, whichever is highest; 0 when the model is off or fails."""
    wanted = " ".join(question.split()).lower()
    exact = [1.0 if any(" ".join(t.split()).lower() == wanted for t in [r.question, *(r.phrasings or [])])
             else 0.0 for r in rows]
    scorer = reranker_for(settings)
    if scorer is None or all(exact):
        return exact
    groups = [([r.question, *(_said(r, live) if live is not None else [])], list(r.phrasings or [])) for r in rows]
    texts = [t for backing, wordings in groups for t in (*backing, *wordings)]
    try:
        matrix = CORRECTION_VECTORS.vectors(scorer.embed, texts, model=scorer.model) @ scorer.query_vector(question)
    except Exception as exc:  # the model failed: only the exact wording finds its correction
        log.warning("matching corrections by meaning failed, exact wording only: %s", exc)
        return exact
    out, i = [], 0
    for (backing, wordings), same in zip(groups, exact, strict=True):
        backed = float(np.max(matrix[i:i + len(backing)]))
        i += len(backing)
        # An other wording is often a few words ("Do I have to come into the office?") close to any question
        # about the same place or thing: it counts only as far as the correction's own question or words back it.
        worded = (float(np.max(matrix[i:i + len(wordings)])) + backed) / 2 if wordings else 0.0
        i += len(wordings)
        out.append(max(same, backed, worded))
    return out


def _hit(live: stored.LivePassage) -> PassageHit:
    """A correction's passage as a hit: a curator chose it, so it scores 1."""
    return PassageHit.of(live.passage, live.source, score=1.0)


def find(session: Session, settings: Settings, twin: Twin, question: str, viewer: Viewer,
         persona: PersonaSettings) -> CorrectionMatch | None:
    """The correction in force that answers this question for this asker, or None (answer as usual).

    A correction whose passages have left the corpus is skipped; of its passages only those the asker may see are
    used, and one with none left for the asker leaves the question to the ordinary answer."""
    rows = stored.active_corrections(session, twin.id)
    if not rows:
        return None
    live_all = stored.live_passages(session, twin.id, [int(pid) for r in rows for pid in r.passage_ids or []])
    scores = similarities(settings, question, rows, live_all)
    floor = threshold(settings)
    ranked = sorted(((s, r) for s, r in zip(scores, rows, strict=True) if s >= floor),
                    key=lambda pair: (-pair[0], pair[1].id))
    for score, row in ranked:
        match = CorrectionMatch(row.id, row.root_id or row.id, row.version, row.kind, row.question, score,
                                framing=row.framing)
        if row.kind == "refusal":
            topic = row.topic or DEFAULT_TOPIC
            match.refusal = Refusal(topic=f"correction {match.root_id}", label=topic,
                                    message=persona.refusal_message.replace("{topic}", topic))
            return match
        live = {int(pid): live_all[int(pid)] for pid in row.passage_ids or [] if int(pid) in live_all}
        if len(live) < len(row.passage_ids or []):
            continue  # a passage it relies on left the corpus: retired with its source
        subjects = {lp.source.id: str((lp.source.meta or {}).get("subject") or "") for lp in live.values()}
        hits: list[PassageHit] = [
            _hit(live[int(pid)]) for pid in row.passage_ids
            if viewer.sees(live[int(pid)].source.audience)
            and passage_topic(persona, title=live[int(pid)].source.title, heading=live[int(pid)].passage.heading,
                              subject=subjects[live[int(pid)].source.id], text=live[int(pid)].passage.text) is None]
        if hits and quotable_sentences(hits, limit=len(hits)):  # something of hers to say to this asker
            match.hits = hits
            return match
    return None


def compose(settings: Settings, question: str, match: CorrectionMatch, persona: PersonaSettings, *,
            max_words: int = MAX_WORDS) -> Composed:
    """The corrected answer in her words: the chosen passages' sentences, verbatim, in the curator's order, each
    cited, after the curator's framing line (or the persona's opener). Beyond `max_words` the sentences least close
    to the question are left out."""
    pool = quotable_sentences(match.hits, limit=len(match.hits))
    if not pool:
        return no_answer(persona)
    order = {hit.passage_id: i for i, hit in enumerate(match.hits)}
    keep = list(pool)
    if sum(s.words for s in keep) > max_words:
        closeness = _closeness(settings, question, [s.text for s in pool])
        ranked = sorted(range(len(pool)), key=lambda i: (-closeness[i], order[pool[i].hit.passage_id], i))
        chosen: set[int] = set()
        total = 0
        for i in ranked:
            if total + pool[i].words <= max_words or not chosen:
                chosen.add(i)
                total += pool[i].words
        keep = [s for i, s in enumerate(pool) if i in chosen]
    keep.sort(key=lambda s: (order[s.hit.passage_id], s.index))
    if match.framing:
        composed = cited_answer(question, keep, replace(persona, answer_openers=[]), 1.0)
        composed.segments.insert(0, match.framing)
        composed.answer = " ".join(composed.segments)
        return composed
    return cited_answer(question, keep, persona, 1.0)


def _closeness(settings: Settings, question: str, texts: list[str]) -> list[float]:
    """How close each sentence is to the question in meaning (all equal when the model is off or fails)."""
    scorer = reranker_for(settings)
    if scorer is None:
        return [0.0] * len(texts)
    try:
        return [float(x) for x in scorer.embed(texts) @ scorer.query_vector(question)]
    except Exception as exc:  # keep the curator's order alone
        log.warning("weighing corrected sentences by meaning failed: %s", exc)
        return [0.0] * len(texts)


def with_framing(messages: list[dict[str, str]], match: CorrectionMatch) -> list[dict[str, str]]:
    """The model's messages with the curator's framing note: the sources are the curator's choice, in order."""
    note = ("The communications team chose these sources as the answer to this question, in this order; answer "
            "from them.")
    if match.framing:
        note += (" Their note on the point to make (guidance, not a source: do not quote it or cite it): "
                 + match.framing)
    last = dict(messages[-1])
    head, mark, question = last["content"].rpartition("\n\nQuestion: ")
    last["content"] = f"{head}\n\n{note}{mark}{question}" if mark else f"{last['content']}\n\n{note}"
    return [*messages[:-1], last]


def screen(twin: Twin, question: str) -> None:
    """BadInput when the persona refuses the question's topic: no correction speaks to a topic the twin must not."""
    refusal = refused_topic(" ".join((question or "").split()), persona_settings(twin))
    if refusal is not None:
        raise BadInput(f"the twin must not speak to {refusal.label}, and that rule comes first: change the persona's "
                       "topics to let it answer, or mark the question refused")


def create(session: Session, twin: Twin, question: str, *, kind: str = "answer", **fields: Any) -> Correction:
    """A new correction (see corpus/corrections.py), refused when it would speak to a refused topic; the question
    is marked dealt with in the unanswered list."""
    if kind == "answer":
        screen(twin, question)
    row = stored.create_correction(session, twin, question, kind=kind, **fields)
    # The unanswered list shows the question dealt with (a later asking opens it again, as for any review).
    number = row.root_id or row.id
    store.review_question(session, twin, row.question, status="declined" if kind == "refusal" else "handled",
                          note=f"{'She would not answer this' if kind == 'refusal' else 'Corrected'}: "
                               f"correction #{number}", actor=fields.get("actor") or store.SYSTEM_ACTOR)
    return row


def edit(session: Session, correction_id: int, **changes: Any) -> Correction:
    """A new version of a correction (see corpus/corrections.py), refused when it would speak to a refused topic."""
    current = stored.get_correction(session, correction_id)
    twin = session.get(Twin, current.twin_id)
    assert twin is not None
    if (changes.get("kind") or current.kind) == "answer":
        screen(twin, changes.get("question") or current.question)
    return stored.edit_correction(session, correction_id, **changes)
