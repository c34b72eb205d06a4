"""The executive's transcript labels: which unknown label holds a source's words, and adding labels after the fact."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingestion.model import ParsedDocument
from ingestion.parsers import speaker_key
from ingestion.speakers import LabelShare, label_keys, unknown_label_share
from service.corpus import store
from service.corpus.models import Passage, Source, Twin
from service.errors import BadInput


def label_hint(share: LabelShare | None, twin_name: str) -> dict[str, Any] | None:
    """The curator's prompt for an unknown label: `{"label", "share", "words", "message"}`, or None."""
    if share is None:
        return None
    message = f"{share.label}: {round(share.share * 100)} % of the words. Is that {twin_name}?"
    return {"label": share.label, "share": round(share.share, 3), "words": share.words, "message": message}


def document_label_hint(doc: ParsedDocument, twin_name: str, twin_title: str | None = None) -> dict[str, Any] | None:
    """The hint for a parsed file whose turns carry none of the executive's labels."""
    return label_hint(unknown_label_share(((p.speaker, p.executive, len(p.text.split())) for p in doc.passages),
                                          title=twin_title), twin_name)


def source_label_hints(session: Session, twin: Twin, source_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The hint for each stored source whose labelled passages include none of the executive's (by source id)."""
    ids = sorted(set(source_ids))
    if not ids:
        return {}
    turns: dict[int, list[tuple[str | None, bool, int]]] = {}
    for source_id, speaker, executive, words in session.execute(
            select(Passage.source_id, Passage.speaker, Passage.executive, func.sum(Passage.words))
            .where(Passage.source_id.in_(ids), Passage.speaker.is_not(None))
            .group_by(Passage.source_id, Passage.speaker, Passage.executive)):
        turns.setdefault(int(source_id), []).append((speaker, bool(executive), int(words or 0)))
    hints = {source_id: label_hint(unknown_label_share(rows, title=twin.title), twin.name)
             for source_id, rows in turns.items()}
    return {source_id: hint for source_id, hint in hints.items() if hint is not None}


def source_label_hint(session: Session, source: Source) -> dict[str, Any] | None:
    """The hint for one stored source, or None."""
    twin = session.get(Twin, source.twin_id)
    return None if twin is None else source_label_hints(session, twin, [source.id]).get(source.id)


@dataclass(frozen=True)
class LabelChange:
    """The twin's labels after a change and what re-attributing its stored sources did."""

    speaker_labels: list[str]
    reattributed: store.Reattribution

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (CLI `--json` and the API)."""
        done = self.reattributed
        return {"speaker_labels": self.speaker_labels,
                "reattributed": {"sources": done.sources, "to_executive": done.to_executive,
                                 "from_executive": done.from_executive}}


def change_speaker_labels(session: Session, twin: Twin, *, add: Iterable[str] = (), remove: Iterable[str] = (),
                          actor: str = store.SYSTEM_ACTOR) -> LabelChange:
    """Add or remove the executive's labels, re-attribute the passages already stored, and refresh what depends on
    whose words they are (the style profile; search statistics)."""
    from service.search.index import refresh_search_statistics
    from service.twin.persona import refresh_persona

    added = [label.strip() for label in add if label.strip()]
    if any(not speaker_key(label) for label in added):
        raise BadInput("a speaker label needs letters or digits, e.g. THE PRESIDENT")
    dropped = label_keys(remove)
    labels = [label for label in twin.speaker_labels or [] if speaker_key(label) not in dropped]
    for label in added:
        if speaker_key(label) not in label_keys(labels):
            labels.append(label)
    if labels != list(twin.speaker_labels or []):
        store.set_speaker_labels(session, twin.slug, labels, actor=actor)
    result = store.reattribute_passages(session, twin, actor=actor)
    if result.to_executive or result.from_executive:
        refresh_persona(session, twin, actor=actor)
        refresh_search_statistics(session)
    return LabelChange(list(twin.speaker_labels or []), result)
