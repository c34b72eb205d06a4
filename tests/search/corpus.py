"""Builders for search tests: twins and approved sources made of hand-written passages."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.orm import Session

from ingestion.model import ParsedDocument, ParsedPassage
from service.corpus import store
from service.corpus.models import Source, Twin


def make_twin(session: Session, slug: str, name: str) -> Twin:
    """A twin with the executive's consent recorded."""
    twin = store.create_twin(session, slug, name)
    store.record_consent(session, slug, by=name, scope="internal questions")
    return twin


def turn(text: str, speaker: str | None = None, executive: bool = True, heading: str | None = None,
         context: str = "") -> dict[str, object]:
    """One passage's fields."""
    return {"text": text, "speaker": speaker, "executive": executive, "heading": heading, "context": context}


def add_doc(session: Session, twin: Twin, filename: str, passages: list[dict[str, object]] | list[str], *,
            title: str | None = None, kind: str = "memo", audience: str = "everyone", approve: bool = True,
            date: dt.date | None = None) -> Source:
    """Store a parsed document (approved unless told otherwise) and return its source."""
    items = [turn(p) if isinstance(p, str) else p for p in passages]
    parsed = [ParsedPassage(ordinal=i, locator=f"¶ {i + 1}", text=str(p["text"]), speaker=p["speaker"],  # type: ignore[arg-type]
                            executive=bool(p["executive"]), heading=p["heading"], context=str(p["context"]))  # type: ignore[arg-type]
              for i, p in enumerate(items)]
    body = "\n".join(p.text for p in parsed)
    digest = hashlib.sha256(f"{filename}\n{title}\n{body}".encode()).hexdigest()
    doc = ParsedDocument(title=title or filename.rsplit(".", 1)[0], kind=kind, filename=filename, sha256=digest,
                         size_bytes=len(body), date=date, passages=parsed)
    result = store.add_source(session, twin, doc, audience=audience, approve=approve)
    session.flush()
    return result.source


def add_budget_corpus(session: Session) -> Twin:
    """Twin "dana": lexically her long memo wins "budget hiring"; by meaning the panel's short answer is closer."""
    twin = make_twin(session, "dana", "Dana Reyes")
    add_doc(session, twin, "memo.docx", [
        turn("The budget for hiring is reviewed with quarterly marketing spend, travel, offices, licences, "
             "contractors, events and the rest of the operating plan.", "DANA REYES", True),
    ], title="Budget memo")
    add_doc(session, twin, "panel.txt", [turn("Hiring budget.", "PANELIST", False)], title="Panel",
            kind="transcript")
    return twin
