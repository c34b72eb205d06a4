"""PassageHit: a passage as search returns it and as the twin and rehearsal quote and cite it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.corpus.models import Passage, Source


@dataclass(frozen=True)
class PassageHit:
    """One passage found for a query, with what a citation needs and its relevance (0 to 1)."""

    passage_id: int
    source_id: int
    source_version: int
    title: str
    kind: str
    date: dt.date | None
    locator: str
    speaker: str | None
    executive: bool
    text: str
    heading: str | None
    ordinal: int
    score: float
    # Cosine similarity of the query to the passage by meaning, when a semantic scorer ranked it.
    similarity: float | None = None

    @classmethod
    def of(cls, passage: Passage, source: Source, *, score: float = 0.0) -> PassageHit:
        """A stored passage as a hit; no query ranked it, so its score is the one given."""
        return cls(passage_id=passage.id, source_id=source.id, source_version=source.version, title=source.title,
                   kind=source.kind, date=source.date, locator=passage.locator, speaker=passage.speaker,
                   executive=passage.executive, text=passage.text, heading=passage.heading,
                   ordinal=passage.ordinal, score=score)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by `understudy search --json` and the API."""
        return {"source_id": self.source_id, "title": self.title,
                "date": self.date.isoformat() if self.date else None, "locator": self.locator,
                "speaker": self.speaker, "executive": self.executive, "text": self.text,
                "score": round(self.score, 4), "passage_id": self.passage_id, "ordinal": self.ordinal}
