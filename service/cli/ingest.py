"""`understudy ingest`: files and folders into a twin's corpus through the one ingestion path (service/ingest.py)."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ingestion.model import KINDS
from ingestion.pipeline import iter_files
from service.cli.render import (
    advance,
    emit_json,
    err,
    outcome_dict,
    print_ingest_summary,
    print_label_hints,
    progress_bar,
)
from service.cli.runtime import EXIT_SOME_FAILED, Runtime, actor_name, fail, with_database

if TYPE_CHECKING:
    from service.ingest import IngestOptions, Outcome


def ingest_files(rt: Runtime, slug: str, paths: list[Path], options: IngestOptions, *,
                 quiet: bool = False) -> Iterator[Outcome]:
    """Each file's outcome as it is stored (each in its own transaction), then the new sources indexed."""
    from service.corpus import store
    from service.ingest import STORED, Upload, ingest_each

    stored: list[int] = []
    with rt.session() as s:
        for outcome in ingest_each(s, rt.settings, store.get_twin(s, slug), map(Upload.on_disk, paths), options):
            if outcome.status in STORED and outcome.source_id is not None:
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
    from service.corpus import store
    from service.ingest import IngestOptions, Outcome

    with rt.session() as s:
        twin_name = store.get_twin(s, slug).name
        uploader = store.get_user(s, as_email).email if as_email else actor_name()
    options = IngestOptions(audience=audience or rt.settings.default_audience, actor=uploader, kind=kind,
                            approve=approve, speakers=speakers, date=date_.date() if date_ else None)
    missing = [p for p in paths if not p.exists()]
    files = list(iter_files([p for p in paths if p.exists()]))
    outcomes = [Outcome(str(p), "failed", error="no such file or folder", code="not_found") for p in missing]
    for o in outcomes:
        emit_json(outcome_dict(o)) if as_json else err.print(f"[red]failed[/] {o.path}: {o.error}")
    if not files and not missing:
        fail("no supported files found (.docx .pdf .vtt .srt .txt .md .html .eml)")
    started = time.perf_counter()
    with progress_bar("ingesting") as progress:
        task = progress.add_task("", total=len(files))
        for outcome in ingest_files(rt, slug, files, options, quiet=as_json):
            outcomes.append(outcome)
            progress.update(task, advance=1, description=Path(outcome.path).name)
            if as_json:
                emit_json(outcome_dict(outcome))
            elif outcome.failed:
                err.print(f"[red]failed[/] {outcome.path}: {outcome.error}")
    if not as_json:
        print_ingest_summary(outcomes, time.perf_counter() - started, approve)
        print_label_hints(slug, twin_name, outcomes)
    if any(o.failed for o in outcomes):
        sys.exit(EXIT_SOME_FAILED)
