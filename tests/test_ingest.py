"""service/ingest.py: the one ingestion path every face calls, on real files."""

from __future__ import annotations

from pathlib import Path

import docx
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.ingest import IngestOptions, Upload, ingest, job_file_result, upload_result
from tests.cli.test_commands import TOWN_HALL


def memo_bytes(path: Path, heading: str, text: str) -> bytes:
    document = docx.Document()
    document.core_properties.title = heading
    document.add_heading(heading, level=1)
    document.add_paragraph(text)
    document.save(str(path))
    return path.read_bytes()


def test_each_file_gets_one_outcome_and_a_bad_file_fails_alone(session: Session, settings: Settings,
                                                                tmp_path: Path) -> None:
    twin = store.create_twin(session, "dana", "Dana Reyes")
    session.commit()
    memo = memo_bytes(tmp_path / "cold-chain.docx", "Why cold chain",
                      "I chose cold chain because pharmaceutical customers pay for reliability.")
    transcript = tmp_path / "town-hall.txt"
    transcript.write_text(TOWN_HALL, encoding="utf-8")
    files = [Upload("memos/cold-chain.docx", memo), Upload("again/cold-chain.docx", memo),
             Upload("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog"), Upload("notes.xyz", b"hello"),
             Upload.on_disk(transcript)]
    outcomes = ingest(session, settings.replace(embeddings_model="off"), twin, files,
                      IngestOptions(audience="everyone", actor="curator@example.com"))

    assert [o.status for o in outcomes] == ["ingested", "duplicate", "failed", "failed", "ingested"]
    first, again, broken, unknown, on_disk = outcomes
    assert first.passages >= 1 and first.version == 1 and again.source_id == first.source_id
    assert broken.code and broken.error and unknown.code and "notes.xyz" in (unknown.error or "")
    assert on_disk.speaker_hint and on_disk.speaker_hint["label"] == "THE CEO", "none of the turns is the executive's"
    stored = store.get_source(session, first.source_id or 0)
    assert stored.uploaded_by == "curator@example.com" and stored.filename == "cold-chain.docx"

    assert upload_result(unknown)["status"] == "error" and upload_result(unknown)["http_status"] == 415
    assert upload_result(first) == {"path": "memos/cold-chain.docx", "status": "ingested",
                                    "source_id": first.source_id, "passages": first.passages, "error": None,
                                    "speaker_hint": None}
    assert job_file_result(broken) == {"status": "error", "error": broken.error, "error_code": broken.code}


def test_options_no_file_could_be_stored_with_are_refused_before_any_file(session: Session, settings: Settings) -> None:
    import pytest

    from service.errors import BadInput

    twin = store.create_twin(session, "dana", "Dana Reyes")
    session.commit()
    with pytest.raises(BadInput, match="audience"):
        ingest(session, settings, twin, [Upload("a.txt", b"words")], IngestOptions(audience=" "))
    with pytest.raises(BadInput, match="kind"):
        ingest(session, settings, twin, [Upload("a.txt", b"words")], IngestOptions(audience="everyone", kind="poem"))
    assert store.list_sources(session, twin) == []


def test_labels_given_for_the_files_add_to_the_twins_own(session: Session, settings: Settings) -> None:
    twin = store.create_twin(session, "dana", "Dana Reyes", speaker_labels=["DANA REYES"])
    session.commit()
    panel = (b"DANA REYES: Reliability first, then speed, measured the way the customer feels it.\n\n"
             b"MODERATOR: And cost?\n\nTHE CEO: Cost follows reliability; a late pallet costs three times an early one.\n")
    [outcome] = ingest(session, settings.replace(embeddings_model="off"), twin, [Upload("panel.txt", panel)],
                       IngestOptions(audience="everyone", speakers=("THE CEO",)))
    flags = {p.speaker: p.executive for p in store.get_source(session, outcome.source_id or 0).passages}
    # As a later re-attribution reads them: the file's label and the twin's both mark her turns.
    assert flags == {"DANA REYES": True, "MODERATOR": False, "THE CEO": True}
