"""`understudy ingest`: files and folders into a twin's corpus, each file in its own transaction."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import click

from ingestion.model import KINDS, IngestError, Limits
from ingestion.pipeline import iter_files, parse_path
from service.cli.render import advance, emit_json, err, print_ingest_summary, print_label_hints, progress_bar
from service.cli.runtime import EXIT_SOME_FAILED, Runtime, actor_name, fail, with_database
from service.corpus import store
from service.errors import UnderstudyError


@dataclass
class FileOutcome:
    """What happened to one file of an ingest run (the `--json` line)."""

    path: str
    status: str
    source_id: int | None = None
    passages: int = 0
    error: str | None = None
    code: str | None = None
    version: int | None = None
    # When the file's speaker labels include none of the executive's: the label with most words and its share.
    speaker_hint: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "source_id": self.source_id, "passages": self.passages,
                "error": self.error, "code": self.code, "version": self.version, "speaker_hint": self.speaker_hint}


def ingest_files(rt: Runtime, slug: str, paths: list[Path], *, kind: str | None, speakers: list[str],
                 audience: str, approve: bool, date: dt.date | None, uploader: str,
                 quiet: bool = False) -> Iterator[FileOutcome]:
    """Parse and store each file in its own transaction; a bad file fails alone."""
    from service.twin.labels import document_label_hint

    limits = Limits(max_bytes=int(rt.settings.max_file_mb * 1024 * 1024), pdf_timeout_s=rt.settings.pdf_timeout,
                    pdf_memory_mb=rt.settings.pdf_memory_mb, passage_words=rt.settings.passage_words)
    with rt.session() as s:
        twin_row = store.get_twin(s, slug)
        labels, twin_name = speakers or list(twin_row.speaker_labels or []), twin_row.name
    stored: list[int] = []
    for path in paths:
        try:
            doc = parse_path(path, kind=kind, speaker_labels=labels, date=date, limits=limits)
        except IngestError as exc:
            yield FileOutcome(str(path), "failed", error=exc.message, code=exc.code)
            continue
        except OSError as exc:
            yield FileOutcome(str(path), "failed", error=f"cannot read the file: {exc.strerror or exc}", code="unreadable")
            continue
        try:
            with rt.session() as s:
                result = store.add_source(s, store.get_twin(s, slug), doc, audience=audience, uploaded_by=uploader,
                                          approve=approve, kind=kind, speaker_labels=speakers or None)
                outcome = FileOutcome(str(path), result.status, result.source.id, len(doc.passages),
                                      version=result.source.version,
                                      speaker_hint=document_label_hint(doc, twin_name))
        except UnderstudyError as exc:
            outcome = FileOutcome(str(path), "failed", error=exc.message, code=exc.code)
        if outcome.source_id is not None and outcome.status in ("ingested", "updated"):
            stored.append(outcome.source_id)
        yield outcome
    if stored:
        index_stored_sources(rt, stored, quiet=quiet)


def index_stored_sources(rt: Runtime, source_ids: list[int], *, quiet: bool = False) -> None:
    """After an ingest: search statistics, and stored vectors when embeddings are configured (with progress)."""
    from service.search.vectors import index_new_sources

    progress = progress_bar("embedding")
    with progress, rt.session() as s:
        task = progress.add_task("", total=None)
        report = index_new_sources(s, rt.settings, source_ids, progress=partial(advance, progress, task))
    if report is None or (quiet and not report.error):
        return
    if report.error:
        err.print(f"[yellow]embedding stopped[/] after {report.embedded:,} passages ({report.error}); search embeds "
                  f"the other {report.remaining:,} when asked, and `understudy embed` stores them later.")
    elif report.embedded:
        err.print(f"Stored {report.embedded:,} passage vectors ({report.model}) in {report.seconds:.1f} s.")


@click.command()
@click.argument("slug")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), help="Kind of every file.")
@click.option("--speaker", "speakers", multiple=True,
              help="Transcript label of the executive's turns, e.g. 'THE PRESIDENT' (default: the twin's labels).")
@click.option("--audience", default=None, help="Audience that may see these sources (default: everyone).")
@click.option("--approve", is_flag=True, help="Approve each new source at once.")
@click.option("--date", "date_", type=click.DateTime(["%Y-%m-%d"]), help="Date of every file (YYYY-MM-DD).")
@click.option("--as", "as_email", help="Record this user as the uploader.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@with_database
def ingest(rt: Runtime, slug: str, paths: tuple[Path, ...], kind: str | None, speakers: tuple[str, ...],
           audience: str | None, approve: bool, date_: dt.datetime | None, as_email: str | None, as_json: bool) -> None:
    """Ingest files and folders into a twin's corpus as drafts (or approved with --approve)."""
    with rt.session() as s:
        twin_name = store.get_twin(s, slug).name
        uploader = store.get_user(s, as_email).email if as_email else actor_name()
    missing = [p for p in paths if not p.exists()]
    files = list(iter_files([p for p in paths if p.exists()]))
    outcomes = [FileOutcome(str(p), "failed", error="no such file or folder", code="not_found") for p in missing]
    for o in outcomes:
        emit_json(o) if as_json else err.print(f"[red]failed[/] {o.path}: {o.error}")
    if not files and not missing:
        fail("no supported files found (.docx .pdf .vtt .srt .txt .md .html .eml)")
    started = time.perf_counter()
    progress = progress_bar("ingesting")
    with progress:
        task = progress.add_task("", total=len(files))
        for outcome in ingest_files(rt, slug, files, kind=kind, speakers=list(speakers),
                                    audience=audience or rt.settings.default_audience, approve=approve,
                                    date=date_.date() if date_ else None, uploader=uploader, quiet=as_json):
            outcomes.append(outcome)
            progress.update(task, advance=1, description=Path(outcome.path).name)
            if as_json:
                emit_json(outcome)
            elif outcome.status == "failed":
                err.print(f"[red]failed[/] {outcome.path}: {outcome.error}")
    if not as_json:
        rows = [o.to_dict() for o in outcomes]
        print_ingest_summary(rows, time.perf_counter() - started, approve)
        print_label_hints(slug, twin_name, rows)
    if any(o.status == "failed" for o in outcomes):
        sys.exit(EXIT_SOME_FAILED)
