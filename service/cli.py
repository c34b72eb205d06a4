"""The `understudy` command: the CLI face of the corpus, search, answers and the service."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.config import SETTINGS, Settings, load_settings
from service.corpus.access import ROLES, Viewer
from service.db import make_session_factory, make_settings_engine, session_scope
from service.errors import UnderstudyError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

EXIT_USER_ERROR = 2
EXIT_SOME_FAILED = 1


@dataclass
class Runtime:
    """What every command shares: settings, and an engine made on first use."""

    settings: Settings
    _engine: Engine | None = None
    _factory: sessionmaker[Session] | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from service.twin import profile_jobs

            self._engine = make_settings_engine(self.settings)
            profile_jobs.set_mode(self._engine, "deferred")  # one style-profile rebuild per twin, at the end
        return self._engine

    def close(self) -> None:
        """Rebuild the style profiles this command's approvals changed (once per twin, when it ends)."""
        if self._engine is not None:
            from service.twin import profile_jobs

            profile_jobs.rebuild_pending(self._engine)

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._factory is None:
            self._factory = make_session_factory(self.engine)
        return self._factory

    def session(self) -> Any:
        """A unit of work that commits on success."""
        return session_scope(self.sessions)


def fail(message: str, code: int = EXIT_USER_ERROR) -> NoReturn:
    """Print a clear error and exit with a non-zero code."""
    err.print(f"[bold red]error:[/] {message}")
    sys.exit(code)


def actor_name() -> str:
    """Who the audit log records for a CLI change."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def progress_bar(label: str) -> Progress:
    """A progress bar on stderr, shown only on a terminal and gone when done: label, bar, n/total, time, detail."""
    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.description}"), console=err, transient=True, disable=not err.is_terminal)


def _advance(progress: Progress, task: TaskID, done: int, total: int) -> None:
    progress.update(task, completed=done, total=total)


def emit_json(obj: Any) -> None:
    """One JSON document on one line."""
    click.echo(json.dumps(obj, default=_json_default, ensure_ascii=False))


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def check_schema(rt: Runtime) -> None:
    """Refuse to run on an uninitialised or out-of-date database, saying what to do."""
    from service.migrate import current_revision, head_revision

    try:
        current = current_revision(rt.engine)
    except Exception as exc:  # noqa: BLE001 - any driver error means we cannot reach the database
        fail(f"cannot open the database {rt.engine.url.render_as_string(hide_password=True)}: {exc}")
    if current is None:
        fail("the database is empty: run `understudy init` first")
    if current != head_revision():
        fail(f"the database is at revision {current}; run `understudy init` to migrate it to {head_revision()}")


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into clear messages and exit code 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UnderstudyError as exc:
            fail(exc.message)

    return wrapper


pass_rt = click.make_pass_decorator(Runtime)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--database-url", envvar="UNDERSTUDY_DATABASE_URL", help="SQLAlchemy URL of the corpus database.")
@click.version_option(package_name="understudy")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """Understudy: an executive twin that answers and rehearses in the executive's voice, with citations."""
    overrides = {"DATABASE_URL": database_url} if database_url else {}
    try:
        ctx.obj = Runtime(load_settings(overrides))
    except ValueError as exc:
        fail(str(exc))
    ctx.call_on_close(ctx.obj.close)


# --- set-up ----------------------------------------------------------------------------------------

@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_rt
def init(rt: Runtime, as_json: bool) -> None:
    """Create or migrate the database schema."""
    from service.migrate import upgrade_database

    try:
        before, after = upgrade_database(rt.engine)
    except Exception as exc:  # noqa: BLE001 - report any driver failure plainly
        fail(f"cannot migrate {rt.engine.url.render_as_string(hide_password=True)}: {exc}")
    url = rt.engine.url.render_as_string(hide_password=True)
    if as_json:
        emit_json({"database": url, "from": before, "to": after})
    elif before == after:
        out.print(f"Database {url} is up to date (revision {after}).")
    else:
        out.print(f"Database {url} migrated from {before or 'empty'} to revision {after}.")


@main.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_rt
def show_settings(rt: Runtime, as_json: bool) -> None:
    """Show every setting, its current value and what it does (secrets masked)."""
    rows = []
    for s in SETTINGS:
        value = rt.settings[s.name]
        shown = ("••••" if value else "") if s.secret else value
        rows.append({"name": s.env_var, "value": shown, "default": None if s.secret else s.default, "help": s.help})
    if as_json:
        emit_json(rows)
        return
    table = Table("setting", "value", "help")
    for row in rows:
        table.add_row(row["name"], "" if row["value"] is None else str(row["value"]), row["help"])
    out.print(table)


@main.command("model")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_rt
def show_model(rt: Runtime, as_json: bool) -> None:
    """Prepare and check the semantic model: which one, where, and how close it is to its published similarities."""
    from service.search.dense import embeddings_endpoint, semantic_backend
    from service.search.encoder import (
        REFERENCE_SENTENCES,
        REFERENCE_SIMILARITIES,
        ModelUnavailable,
        local_encoder,
    )

    backend = semantic_backend(rt.settings)
    report: dict[str, Any] = {"backend": backend}
    if backend == "endpoint":
        model, base_url = embeddings_endpoint(rt.settings)  # type: ignore[misc]
        report |= {"model": model, "base_url": base_url}
    elif backend == "embedded":
        try:
            with out.status("preparing the embedded model (built once from the packaged weights)…"):
                encoder = local_encoder(str(rt.settings.embeddings_precision), int(rt.settings.embeddings_threads),
                                        str(rt.settings.model_cache or ""))
                vectors = encoder.encode(list(REFERENCE_SENTENCES))
        except ModelUnavailable as exc:
            fail(f"the embedded model cannot run here: {exc}")
        info = encoder.info()
        checks: list[dict[str, Any]] = [{"a": REFERENCE_SENTENCES[a], "b": REFERENCE_SENTENCES[b], "published": expected,
                   "here": round(float(vectors[a] @ vectors[b]), 4)} for a, b, expected in REFERENCE_SIMILARITIES]
        report |= {"model": info.name, "precision": info.precision, "file": info.path, "size_mb": info.size_mb,
                   "weights": info.weights, "reference": checks,
                   "max_deviation": round(max(abs(c["here"] - c["published"]) for c in checks), 4)}
    if as_json:
        emit_json(report)
        return
    if backend == "embedded":
        out.print(f"Embedded model {report['model']} ({report['precision']}, {report['size_mb']} MB) at "
                  f"{report['file']}\nWeights: {report['weights']}")
        table = Table("sentence A", "sentence B", "published", "here")
        for c in report["reference"]:
            table.add_row(c["a"], c["b"], f"{c['published']:.4f}", f"{c['here']:.4f}")
        out.print(table)
        tolerance = 0.001 if report["precision"] == "fp32" else 0.03
        verdict = ("[green]OK[/]: within the tolerance for" if report["max_deviation"] <= tolerance
                   else "[red]CHECK[/]: beyond the tolerance for")
        out.print(f"Largest deviation from the published similarities: {report['max_deviation']:.4f} "
                  f"({verdict} {report['precision']}, {tolerance})")
        out.print("This model finds passages by meaning for search and for choosing answers; answers are written "
                  + ("by the configured LLM." if rt.settings.llm_enabled else
                     "extractively, in the executive's own sentences (no LLM is configured)."))
        if report["max_deviation"] > tolerance:
            sys.exit(1)
    elif backend == "endpoint":
        out.print(f"Embeddings from {report['model']} at {report['base_url']}")
    else:
        out.print(f"Semantic search is {backend}: searches and answers are lexical "
                  "(UNDERSTUDY_EMBEDDINGS_MODEL; see `understudy settings`).")


# --- twins -----------------------------------------------------------------------------------------

def twin_dict(twin: Any) -> dict[str, Any]:
    return {
        "slug": twin.slug, "name": twin.name, "title": twin.title, "paused": twin.paused,
        "speaker_labels": twin.speaker_labels,
        "consent": {"by": twin.consent_by, "scope": twin.consent_scope, "at": twin.consent_at}
        if twin.consent_at else None,
    }


@main.group()
def twin() -> None:
    """Create twins, record consent, pause, resume or forget them."""


@twin.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The executive's name.")
@click.option("--title", default="", help="The executive's title.")
@click.option("--speaker", "speakers", multiple=True, help="Transcript label of the executive's turns (repeatable).")
@click.option("--json", "as_json", is_flag=True)
@pass_rt
@guarded
def twin_create(rt: Runtime, slug: str, name: str, title: str, speakers: tuple[str, ...], as_json: bool) -> None:
    """Create a twin (it answers only after `twin consent`)."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        t = store.create_twin(s, slug, name, title=title, speaker_labels=list(speakers) or None, actor=actor_name())
        data = twin_dict(t)
    if as_json:
        emit_json(data)
    else:
        out.print(f"Created twin [bold]{slug}[/] ({name}). Speaker labels: {', '.join(data['speaker_labels'])}.")
        out.print(f"It will not answer until consent is recorded: understudy twin consent {slug} --by NAME --scope TEXT")


@twin.command("consent")
@click.argument("slug")
@click.option("--by", "by", help="Who consented (the executive, or their delegate); default: as last recorded.")
@click.option("--scope", help="What the consent covers; default: as last recorded.")
@click.option("--json", "as_json", is_flag=True)
@pass_rt
@guarded
def twin_consent(rt: Runtime, slug: str, by: str | None, scope: str | None, as_json: bool) -> None:
    """Record the executive's consent (again: --by and --scope default to the last record); the twin may then answer."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        store.get_twin(s, slug)
        last = store.last_consent(s, slug) or {}
        by, scope = by or last.get("by"), scope or last.get("scope")
        if not by or not scope:
            fail(f"no consent was recorded for {slug} before: give --by NAME and --scope TEXT")
        data = twin_dict(store.record_consent(s, slug, by=by, scope=scope, actor=actor_name()))
    emit_json(data) if as_json else out.print(f"Consent recorded for {slug}: {by}, “{scope}”.")


@twin.command("pause")
@click.argument("slug")
@pass_rt
@guarded
def twin_pause(rt: Runtime, slug: str) -> None:
    """Stop a twin answering everywhere at once."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        store.set_twin_paused(s, slug, True, actor=actor_name())
    out.print(f"Twin {slug} is paused: it will not answer anywhere until resumed.")


@twin.command("resume")
@click.argument("slug")
@pass_rt
@guarded
def twin_resume(rt: Runtime, slug: str) -> None:
    """Let a paused twin answer again."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        store.set_twin_paused(s, slug, False, actor=actor_name())
    out.print(f"Twin {slug} is answering again.")


@twin.command("forget")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True)
@pass_rt
@guarded
def twin_forget(rt: Runtime, slug: str, yes: bool, as_json: bool) -> None:
    """Erase every source, passage and interaction of a twin (an audit entry remains)."""
    from service.corpus import store

    check_schema(rt)
    if not yes and not click.confirm(f"Erase twin {slug} and all of its sources and history? This cannot be undone"):
        fail("nothing erased")
    with rt.session() as s:
        counts = store.forget_twin(s, slug, actor=actor_name())
    if as_json:
        emit_json({"slug": slug, "erased": counts})
    else:
        out.print(f"Erased twin {slug}: {counts['sources']} sources, {counts['passages']} passages, "
                  f"{counts['interactions']} interactions. The audit log records that it happened.")


@twin.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_rt
def twin_list(rt: Runtime, as_json: bool) -> None:
    """List twins."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        rows = [twin_dict(t) for t in store.list_twins(s)]
    if as_json:
        emit_json(rows)
        return
    table = Table("slug", "name", "title", "consent", "paused")
    for r in rows:
        table.add_row(r["slug"], r["name"], r["title"], "yes" if r["consent"] else "no", "yes" if r["paused"] else "")
    out.print(table)


@twin.command("labels")
@click.argument("slug")
@click.option("--add", "add", multiple=True, help="A transcript label of the executive's turns, e.g. 'THE PRESIDENT'.")
@click.option("--remove", "remove", multiple=True, help="A label that is not the executive's after all.")
@click.option("--json", "as_json", is_flag=True)
@pass_rt
@guarded
def twin_labels(rt: Runtime, slug: str, add: tuple[str, ...], remove: tuple[str, ...], as_json: bool) -> None:
    """Show or change the labels that mark the executive's turns; a change re-attributes the stored sources."""
    from service.corpus import store
    from service.twin.labels import change_speaker_labels

    check_schema(rt)
    with rt.session() as s:
        t = store.get_twin(s, slug)
        if not add and not remove:
            data: dict[str, Any] = {"speaker_labels": list(t.speaker_labels or [])}
        else:
            data = change_speaker_labels(s, t, add=add, remove=remove, actor=actor_name()).to_dict()
    if as_json:
        emit_json(data)
        return
    out.print(f"Speaker labels of {slug}: {', '.join(data['speaker_labels']) or '(none)'}.")
    if "reattributed" in data:
        done = data["reattributed"]
        out.print(f"Re-attributed {done['sources']} stored sources: {done['to_executive']} passages are now the "
                  f"executive's words, {done['from_executive']} no longer are.")


# --- ingestion -------------------------------------------------------------------------------------

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
    from ingestion.model import IngestError, Limits
    from ingestion.pipeline import parse_path
    from service.corpus import store

    limits = Limits(max_bytes=int(rt.settings.max_file_mb * 1024 * 1024), pdf_timeout_s=rt.settings.pdf_timeout,
                    pdf_memory_mb=rt.settings.pdf_memory_mb, passage_words=rt.settings.passage_words)
    from service.twin.labels import document_label_hint

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
        report = index_new_sources(s, rt.settings, source_ids, progress=partial(_advance, progress, task))
    if report is None or (quiet and not report.error):
        return
    if report.error:
        err.print(f"[yellow]embedding stopped[/] after {report.embedded:,} passages ({report.error}); search embeds "
                  f"the other {report.remaining:,} when asked, and `understudy embed` stores them later.")
    elif report.embedded:
        err.print(f"Stored {report.embedded:,} passage vectors ({report.model}) in {report.seconds:.1f} s.")


@main.command()
@click.argument("slug")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["memo", "talk", "transcript", "email", "other"]), help="Kind of every file.")
@click.option("--speaker", "speakers", multiple=True,
              help="Transcript label of the executive's turns, e.g. 'THE PRESIDENT' (default: the twin's labels).")
@click.option("--audience", default=None, help="Audience that may see these sources (default: everyone).")
@click.option("--approve", is_flag=True, help="Approve each new source at once.")
@click.option("--date", "date_", type=click.DateTime(["%Y-%m-%d"]), help="Date of every file (YYYY-MM-DD).")
@click.option("--as", "as_email", help="Record this user as the uploader.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@pass_rt
@guarded
def ingest(rt: Runtime, slug: str, paths: tuple[Path, ...], kind: str | None, speakers: tuple[str, ...],
           audience: str | None, approve: bool, date_: dt.datetime | None, as_email: str | None, as_json: bool) -> None:
    """Ingest files and folders into a twin's corpus as drafts (or approved with --approve)."""
    from ingestion.pipeline import iter_files
    from service.corpus import store

    check_schema(rt)
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
    elapsed = time.perf_counter() - started
    if not as_json:
        print_ingest_summary(outcomes, elapsed, approve)
        print_label_hints(slug, twin_name, outcomes)
    if any(o.status == "failed" for o in outcomes):
        sys.exit(EXIT_SOME_FAILED)


def print_ingest_summary(outcomes: list[FileOutcome], elapsed: float, approved: bool) -> None:
    """A table of what each file became, then totals."""
    table = Table("file", "status", "source", "version", "passages", "note", title="Ingest summary")
    for o in outcomes:
        style = {"failed": "red", "duplicate": "yellow", "updated": "cyan"}.get(o.status, "green")
        table.add_row(Path(o.path).name, f"[{style}]{o.status}[/]", str(o.source_id or ""), str(o.version or ""),
                      str(o.passages or ""), o.error or (o.speaker_hint or {}).get("message", ""))
    out.print(table)
    counts = {k: sum(1 for o in outcomes if o.status == k) for k in ("ingested", "updated", "duplicate", "failed")}
    out.print(", ".join(f"{v} {k}" for k, v in counts.items()) + f" in {elapsed:.1f} s.")
    if not approved and (counts["ingested"] or counts["updated"]):
        out.print("New sources are drafts: review them with `understudy sources show ID`, then "
                  "`understudy sources approve ID`.")


def print_label_hints(slug: str, name: str, outcomes: list[FileOutcome]) -> None:
    """For each label that holds most words of transcripts without the executive's turns: its share and the fix."""
    shares: dict[str, list[int]] = {}
    for o in outcomes:
        if o.speaker_hint:
            shares.setdefault(o.speaker_hint["label"], []).append(round(o.speaker_hint["share"] * 100))
    for label, found in shares.items():
        share = f"{found[0]} %" if len(found) == 1 else f"{min(found)}-{max(found)} %"
        where = "" if len(found) == 1 else f" in {len(found)} transcripts"
        out.print(f"[yellow]{label}: {share} of the words{where}. Is that {name}?[/] None of the turns is "
                  f"{name}'s now. If so: understudy twin labels {slug} --add {shlex.quote(label)} "
                  "(re-attributes the stored sources).")


# --- sources ---------------------------------------------------------------------------------------

def source_dict(src: Any, passages: int | None = None) -> dict[str, Any]:
    data = {
        "id": src.id, "title": src.title, "filename": src.filename, "kind": src.kind,
        "date": src.date.isoformat() if src.date else None, "audience": src.audience, "status": src.display_status,
        "version": src.version, "current": src.superseded_by_id is None, "supersedes": src.supersedes_id,
        "superseded_by": src.superseded_by_id, "sha256": src.sha256, "uploaded_by": src.uploaded_by,
        "uploaded_at": src.uploaded_at, "approved_by": src.approved_by, "approved_at": src.approved_at,
    }
    if passages is not None:
        data["passage_count"] = passages
    return data


@main.group()
def sources() -> None:
    """List, inspect, approve and retire sources."""


@sources.command("list")
@click.argument("slug")
@click.option("--status", type=click.Choice(["draft", "approved", "superseded", "retired"]))
@click.option("--kind", type=click.Choice(["memo", "talk", "transcript", "email", "other"]))
@click.option("--audience")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@pass_rt
@guarded
def sources_list(rt: Runtime, slug: str, status: str | None, kind: str | None, audience: str | None,
                 as_json: bool) -> None:
    """List a twin's sources, newest first."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        rows = store.list_sources(s, store.get_twin(s, slug), status=status, kind=kind, audience=audience)
        counts = store.passage_counts(s, [r.id for r in rows])
        data = [source_dict(r, counts.get(r.id, 0)) for r in rows]
    if as_json:
        for d in data:
            emit_json(d)
        return
    table = Table("id", "title", "kind", "date", "audience", "status", "v", "passages")
    for d in data:
        table.add_row(str(d["id"]), d["title"], d["kind"], d["date"] or "", d["audience"], d["status"],
                      str(d["version"]), str(d["passage_count"]))
    out.print(table)
    out.print(f"{len(data)} sources.")


@sources.command("show")
@click.argument("source_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="The source and its passages as JSON.")
@pass_rt
@guarded
def sources_show(rt: Runtime, source_id: int, as_json: bool) -> None:
    """Show how a source was parsed: its passages with speaker, executive flag and locator."""
    from service.corpus import store

    check_schema(rt)
    from service.corpus.models import Twin
    from service.twin.labels import source_label_hint

    with rt.session() as s:
        src = store.get_source(s, source_id)
        data = source_dict(src, len(src.passages))
        data["metadata"] = dict(src.meta or {})
        data["speaker_hint"] = source_label_hint(s, src)
        owner = s.get(Twin, src.twin_id)
        slug = owner.slug if owner is not None else "SLUG"
        data["passages"] = [{"ordinal": p.ordinal, "text": p.text, "speaker": p.speaker, "executive": p.executive,
                             "locator": p.locator, "heading": p.heading} for p in src.passages]
        from sqlalchemy import select

        from service.corpus.models import Source
        from service.twin.positions import revision_report

        data["revisions"] = revision_report(s, rt.settings, src, Viewer(audiences=frozenset(
            s.scalars(select(Source.audience).where(Source.twin_id == src.twin_id).distinct()))))
    if as_json:
        emit_json(data)
        return
    out.print(f"[bold]{data['title']}[/] — {data['filename']} v{data['version']}, {data['kind']}, "
              f"{data['date'] or 'undated'}, audience {data['audience']}, {data['status']}")
    if data["speaker_hint"]:
        label = data["speaker_hint"]["label"]
        out.print(f"[yellow]{data['speaker_hint']['message']}[/] No turn here is the executive's. If it is them: "
                  f"understudy twin labels {slug} --add {shlex.quote(label)}")
    table = Table("#", "locator", "speaker", "exec", "text")
    for p in data["passages"]:
        table.add_row(str(p["ordinal"]), p["locator"], p["speaker"] or "", "yes" if p["executive"] else "no",
                      p["text"])
    out.print(table)
    print_revisions(data["id"], data["revisions"])


def print_revisions(source_id: int, revisions: dict[str, Any]) -> None:
    """The later sources that revise a source's position (marked and found by meaning), and those it revises."""
    for link in revisions["revised_by"]:
        note = f": {link['note']}" if link["note"] else ""
        out.print(f"[yellow]Position superseded by source {link['source_id']}[/] ({link['title']}, "
                  f"{link['date'] or 'undated'}), marked by {link['marked_by']}{note}")
    for link in revisions["revises"]:
        out.print(f"Supersedes the position of source {link['source_id']} ({link['title']}, "
                  f"{link['date'] or 'undated'})")
    if revisions["detected"]:
        table = Table("#", "later source", "date", "why", "here", "later", title="Later sources that say otherwise")
        for d in revisions["detected"]:
            table.add_row(str(d["ordinal"]), f"{d['source_id']} {d['title']}", d["date"], ", ".join(d["reasons"]),
                          d["earlier"], d["later"])
        out.print(table)
        marked = {link["source_id"] for link in revisions["revised_by"]}
        for later in dict.fromkeys(d["source_id"] for d in revisions["detected"] if d["source_id"] not in marked):
            out.print(f"To mark it: understudy sources revise {source_id} --by {later}")
    elif not revisions["revised_by"]:
        out.print("No later source revises this one's position.")


@sources.command("revise")
@click.argument("source_id", type=int)
@click.option("--by", "later_id", type=int, required=True, help="The later source whose position supersedes it.")
@click.option("--note", default="", help="Why, for the audit log and the console.")
@click.option("--withdraw", is_flag=True, help="Withdraw the mark instead.")
@pass_rt
@guarded
def sources_revise(rt: Runtime, source_id: int, later_id: int, note: str, withdraw: bool) -> None:
    """Mark a source's position as superseded by a later source's (answers then give the later one first)."""
    from service.corpus import revisions

    check_schema(rt)
    with rt.session() as s:
        if withdraw:
            revisions.unmark_revised(s, source_id, later_id, actor=actor_name())
            out.print(f"Withdrawn: source {source_id}'s position is no longer marked as superseded by {later_id}.")
            return
        row = revisions.mark_revised(s, source_id, later_id, actor=actor_name(), note=note)
        out.print(f"Source {row.source_id}'s position is superseded by source {row.revised_by_id}: answers on the "
                  "point give the later position first and the earlier one after, both dated.")


@sources.command("approve")
@click.argument("source_ids", type=int, nargs=-1, required=True)
@pass_rt
@guarded
def sources_approve(rt: Runtime, source_ids: tuple[int, ...]) -> None:
    """Approve sources: they may then be quoted in answers."""
    from service.corpus import store

    check_schema(rt)
    for source_id in source_ids:
        with rt.session() as s:
            src = store.approve_source(s, source_id, actor=actor_name())
            out.print(f"Approved source {src.id} ({src.title}, v{src.version}).")


@sources.command("retire")
@click.argument("source_ids", type=int, nargs=-1, required=True)
@click.option("--reason", default="", help="Why, for the audit log.")
@pass_rt
@guarded
def sources_retire(rt: Runtime, source_ids: tuple[int, ...], reason: str) -> None:
    """Retire sources: they disappear from every answer at once."""
    from service.corpus import store

    check_schema(rt)
    for source_id in source_ids:
        with rt.session() as s:
            src = store.retire_source(s, source_id, actor=actor_name(), reason=reason)
            out.print(f"Retired source {src.id} ({src.title}).")


@sources.command("restore")
@click.argument("source_ids", type=int, nargs=-1, required=True)
@click.option("--reason", default="", help="Why, for the audit log.")
@pass_rt
@guarded
def sources_restore(rt: Runtime, source_ids: tuple[int, ...], reason: str) -> None:
    """Restore retired sources as they were before (approved or draft)."""
    from service.corpus import store

    check_schema(rt)
    for source_id in source_ids:
        with rt.session() as s:
            src = store.reinstate_source(s, source_id, actor=actor_name(), reason=reason)
            out.print(f"Restored source {src.id} ({src.title}): {src.display_status}.")


@sources.command("audience")
@click.argument("source_id", type=int)
@click.argument("audience")
@pass_rt
@guarded
def sources_audience(rt: Runtime, source_id: int, audience: str) -> None:
    """Set which audience may see a source."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        src = store.set_source_audience(s, source_id, audience, actor=actor_name())
        out.print(f"Source {src.id} is now for audience {src.audience}.")


# --- users -----------------------------------------------------------------------------------------

@main.group()
def users() -> None:
    """Add users and manage their roles, audiences and API tokens."""


@users.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="employee", show_default=True)
@click.option("--audience", "audiences", multiple=True, help="Audience the user may see (repeatable).")
@click.option("--name", default="")
@click.option("--json", "as_json", is_flag=True)
@pass_rt
@guarded
def users_add(rt: Runtime, email: str, role: str, audiences: tuple[str, ...], name: str, as_json: bool) -> None:
    """Add a user and print their API token (shown only once)."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        user, token = store.add_user(s, email, role=role, audiences=list(audiences), name=name, actor=actor_name())
        data = {"email": user.email, "role": user.role, "audiences": user.audiences, "token": token}
    if as_json:
        emit_json(data)
    else:
        out.print(f"Added {data['email']} as {role}" + (f" (audiences: {', '.join(data['audiences'])})"
                                                        if data["audiences"] else "") + ".")
        out.print("API token (shown once; store it safely):")
        click.echo(token)


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_rt
def users_list(rt: Runtime, as_json: bool) -> None:
    """List users."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        rows: list[dict[str, Any]] = [{"email": u.email, "role": u.role, "audiences": u.audiences,
                                       "active": u.active} for u in store.list_users(s)]
    if as_json:
        emit_json(rows)
        return
    table = Table("email", "role", "audiences", "active")
    for r in rows:
        table.add_row(r["email"], r["role"], ", ".join(r["audiences"]), "yes" if r["active"] else "no")
    out.print(table)


@users.command("set")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--audience", "audiences", multiple=True, help="Replace the user's audiences (repeatable).")
@click.option("--active/--inactive", default=None)
@pass_rt
@guarded
def users_set(rt: Runtime, email: str, role: str | None, audiences: tuple[str, ...], active: bool | None) -> None:
    """Change a user's role, audiences or whether they may sign in."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        u = store.update_user(s, email, role=role, audiences=list(audiences) if audiences else None, active=active,
                              actor=actor_name())
        out.print(f"{u.email}: {u.role}, audiences {', '.join(u.audiences) or '-'}, "
                  f"{'active' if u.active else 'inactive'}.")


@users.command("token")
@click.argument("email")
@pass_rt
@guarded
def users_token(rt: Runtime, email: str) -> None:
    """Issue a new API token for a user (the old one stops working)."""
    from service.corpus import store

    check_schema(rt)
    with rt.session() as s:
        token = store.rotate_token(s, email, actor=actor_name())
    click.echo(token)


@users.command("link")
@click.argument("email")
@click.option("--url", "base_url", default="http://127.0.0.1:8000", show_default=True,
              help="Where the web UI is served.")
@click.option("--json", "as_json", is_flag=True)
@pass_rt
@guarded
def users_link(rt: Runtime, email: str, base_url: str, as_json: bool) -> None:
    """Print a fresh one-time sign-in link for the web UI (when single sign-on is not configured)."""
    from service.corpus import store
    from service.web.auth import DEV_LOGIN_MAX_AGE_S, dev_login_enabled, make_dev_login_link

    check_schema(rt)
    if not dev_login_enabled(rt.settings):
        fail("sign-in links are off here (single sign-on is configured, or UNDERSTUDY_DEV_LOGIN is false)")
    with rt.session() as s:
        user = store.get_user(s, email)
        if not user.active:
            fail(f"{user.email} may not sign in (inactive): `understudy users set {user.email} --active` first")
        secret = rt.settings.secret_key or development_secret()
        link = base_url.rstrip("/") + make_dev_login_link(rt.settings.replace(secret_key=secret), user.email)
    minutes = DEV_LOGIN_MAX_AGE_S // 60
    if as_json:
        emit_json({"email": user.email, "url": link, "expires_in_s": DEV_LOGIN_MAX_AGE_S, "single_use": True})
        return
    out.print(f"Sign-in link for {user.email}: it works once, within {minutes} minutes, on the server that shares "
              f"this {'UNDERSTUDY_SECRET_KEY' if rt.settings.secret_key else 'development secret'}:")
    click.echo(link)


# --- search and answers ----------------------------------------------------------------------------

def viewer_as(rt: Runtime, s: Session, as_email: str | None) -> tuple[Viewer, Any]:
    """The viewer a CLI query runs as: a stored user, or someone who sees only the default audience."""
    from service.corpus import store

    user = store.get_user(s, as_email) if as_email else None
    if user is not None and not user.active:
        fail(f"user {user.email} is inactive")
    return store.viewer_for(user, rt.settings.default_audience), user


def read_batch(path: Path, field_name: str) -> Iterator[str]:
    """Lines of a batch file: plain text, or JSON objects with the given field."""
    stream = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    with stream:
        for number, raw in enumerate(stream, 1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("{"):
                try:
                    value = json.loads(line)[field_name]
                except (ValueError, KeyError, TypeError):
                    fail(f"{path}:{number}: expected a JSON object with a {field_name!r} field")
                yield str(value)
            else:
                yield line


@main.command()
@click.argument("slug")
@click.argument("query", required=False)
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100), help="Number of passages.")
@click.option("--as", "as_email", help="Search as this user (their audiences apply).")
@click.option("--batch", type=click.Path(path_type=Path, allow_dash=True),
              help="File of queries: one a line, or JSON lines with a 'query' field.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (always with --batch).")
@pass_rt
@guarded
def search(rt: Runtime, slug: str, query: str | None, k: int, as_email: str | None, batch: Path | None,
           as_json: bool) -> None:
    """Find the passages of a twin's approved sources that answer a query."""
    from service.corpus import store
    from service.search import search_as_configured

    check_schema(rt)
    if not query and not batch:
        fail("give a QUERY or --batch FILE")
    with rt.session() as s:
        viewer, _user = viewer_as(rt, s, as_email)
        twin_row = store.get_twin(s, slug)
        queries = read_batch(batch, "query") if batch else iter([query or ""])
        for q in queries:
            started = time.perf_counter()
            hits = search_as_configured(s, rt.settings, twin_row, q, viewer, k=k)
            ms = (time.perf_counter() - started) * 1000
            if as_json or batch:
                emit_json({"query": q, "hits": [h.to_dict() for h in hits], "ms": round(ms, 2)})
                continue
            table = Table("#", "score", "source", "locator", "speaker", "text", title=f"{len(hits)} hits in {ms:.1f} ms")
            for i, h in enumerate(hits, 1):
                who = (h.speaker or "") + ("" if h.executive else " (not the executive)")
                table.add_row(str(i), f"{h.score:.3f}", f"{h.title} ({h.date or 'undated'})", h.locator, who, h.text)
            out.print(table)




@main.command("gaps")
@click.argument("slug")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only questions asked on or after this day (YYYY-MM-DD).")
@click.option("--csv", "as_csv", is_flag=True, help="The CSV export: one row per theme, with weekly counts.")
@click.option("--json", "as_json", is_flag=True, help="The map as one JSON object.")
@pass_rt
@guarded
def gaps_command(rt: Runtime, slug: str, since: dt.datetime | None, as_csv: bool, as_json: bool) -> None:
    """Messaging gaps: what employees ask that the twin cannot answer, grouped by theme (never who asked)."""
    from service.corpus import store
    from service.twin.gaps import gap_map, sparkline

    check_schema(rt)
    with rt.session() as s:
        found = gap_map(s, rt.settings, store.get_twin(s, slug), since=since.date() if since else None)
    if as_json or as_csv:
        click.echo(json.dumps(found.to_dict(), ensure_ascii=False) if as_json else found.to_csv(), nl=not as_csv)
        return
    table = Table("theme", "asked", "people", "last asked", "by week", "trend", "status", "audiences",
                  title=f"{len(found.themes)} themes in {found.questions} unanswered questions"
                        + (f" since {found.since}" if found.since else "") + f" (grouped by {found.grouping})")
    for t in found.themes:
        status = f"answered since {t.link.linked_at:%Y-%m-%d}" if t.link else t.status
        audiences = "—" if t.audiences is None else ", ".join(f"{a['audience']} {a['askers']}" for a in t.audiences)
        table.add_row(t.name, str(t.count), str(t.askers), f"{t.last_asked:%Y-%m-%d}", sparkline(t.weekly[-12:]),
                      t.trend, status, audiences)
    out.print(table)
    if any(t.audiences is None for t in found.themes):
        out.print(f"[dim]— audiences hidden: fewer than {found.min_audience_group} people asked[/]")
    for link in found.links:
        out.print(f"[bold]{link.name}[/]: linked to “{link.source_title}” on {link.linked_at:%Y-%m-%d}; since then "
                  f"{link.answered_since} of {link.asked_since} questions that mean the same were answered.")


@main.command()
@click.argument("slugs", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per twin.")
@pass_rt
@guarded
def embed(rt: Runtime, slugs: tuple[str, ...], as_json: bool) -> None:
    """Store dense-rerank vectors for passages that have none (every twin, or the SLUGS given)."""
    from service.corpus import store
    from service.search import reranker_for
    from service.search.vectors import embed_and_store, passages_without_vectors

    check_schema(rt)
    reranker = reranker_for(rt.settings)
    if reranker is None:
        fail("semantic search is off: UNDERSTUDY_EMBEDDINGS_MODEL is 'off', names a model with no endpoint "
             "(UNDERSTUDY_EMBEDDINGS_BASE_URL), or the embedded model is not installed (see `understudy settings`)")
    failed = False
    progress = progress_bar("embedding")
    with rt.session() as s, progress:
        twins = [store.get_twin(s, slug) for slug in slugs] if slugs else store.list_twins(s)
        for twin_row in twins:
            todo = passages_without_vectors(s, reranker.model, twin_id=twin_row.id)
            task = progress.add_task(twin_row.slug, total=len(todo))
            report = embed_and_store(s, reranker, todo, progress=partial(_advance, progress, task))
            progress.remove_task(task)
            failed = failed or report.error is not None
            if as_json:
                emit_json({"twin": twin_row.slug, "model": report.model, "embedded": report.embedded,
                           "remaining": report.remaining, "seconds": round(report.seconds, 2), "error": report.error})
            elif report.error:
                err.print(f"[red]{twin_row.slug}: embedding stopped[/] after {report.embedded:,} of {len(todo):,} "
                          f"passages: {report.error}")
            else:
                out.print(f"{twin_row.slug}: stored {report.embedded:,} passage vectors ({report.model}) "
                          f"in {report.seconds:.1f} s.")
    if failed:
        sys.exit(EXIT_SOME_FAILED)


def print_answer(data: dict[str, Any]) -> None:
    """An answer as a person reads it: text, numbered sources, the disclaimer."""
    out.print(data["answer"])
    if data["citations"]:
        out.print()
        for c in data["citations"]:
            out.print(f"[bold][{c['n']}][/] {c['title']}, {c['date'] or 'undated'}, {c['locator']}: “{c['quote']}”")
    out.print()
    if data.get("basis_label"):
        out.print(f"[bold]Stands on:[/] {data['basis_label']}")
    note = f"mode: {data['mode']}" + (f" (fell back: {data['fallback_reason']})" if data.get("fallback_reason") else "")
    out.print(f"[dim]{data['disclaimer']} · {note} · conversation {data['conversation_id']}[/]")


@main.command()
@click.argument("slug")
@click.argument("question", required=False)
@click.option("--as", "as_email", help="Ask as this user (their audiences apply).")
@click.option("--conversation", "conversation_id", help="Continue a conversation (follow-up question).")
@click.option("--batch", type=click.Path(path_type=Path, allow_dash=True),
              help="File of questions: one a line, or JSON lines with a 'question' field.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (always with --batch).")
@pass_rt
@guarded
def ask(rt: Runtime, slug: str, question: str | None, as_email: str | None, conversation_id: str | None,
        batch: Path | None, as_json: bool) -> None:
    """Ask the twin; it answers in the executive's voice with citations."""
    from service.twin.engine import answer_question

    check_schema(rt)
    if not question and not batch:
        fail("give a QUESTION or --batch FILE")
    questions = read_batch(batch, "question") if batch else iter([question or ""])
    for q in questions:
        try:
            with rt.session() as s:
                viewer, _user = viewer_as(rt, s, as_email)
                data = answer_question(s, rt.settings, slug, q, viewer, conversation_id=conversation_id,
                                       channel="cli").to_dict()
        except UnderstudyError as exc:
            if not batch:
                raise
            emit_json({"question": q, "error": {"code": exc.code, "message": exc.message}})
            continue
        if as_json or batch:
            emit_json({"question": q, **data})
        else:
            print_answer(data)



def print_rehearsal(data: dict[str, Any]) -> None:
    """A rehearsal as a presenter reads it: questions, push-back, scorecard, each point cited."""
    out.print("[bold]Questions I would ask[/]")
    for q in data["questions"]:
        c = q["citation"]
        out.print(f"  {q['n']}. {q['question']}  [dim][{c['n']}][/]")
    if data["push_back"]:
        out.print("\n[bold]Where I would push back[/]")
        for p in data["push_back"]:
            out.print(f"  - {p['priority']}: {p['why']}  [dim][{p['citation']['n']}][/]")
    card = data["scorecard"]
    out.print(f"\n[bold]Scorecard[/] {card['total']}/{card['max']}")
    for c in card["criteria"]:
        out.print(f"  {c['label']:<32} {c['score']}/{c['max']}  {c['reason']}")
    out.print("\n[bold]Sources[/]")
    for c in data["citations"]:
        out.print(f"  [{c['n']}] {c['title']}, {c['date'] or 'undated'}, {c['locator']}: “{c['quote']}”")
    out.print(f"\n[dim]{data['disclaimer']} · rehearsal {data['rehearsal_id']}[/]")


@main.command()
@click.argument("slug")
@click.argument("pitch", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--as", "as_email", help="Rehearse as this user (their audiences apply).")
@click.option("--interactive/--no-interactive", default=None,
              help="Answer the questions round by round (default: on when run in a terminal without --json).")
@click.option("--json", "as_json", is_flag=True, help="Print the rehearsal as JSON.")
@pass_rt
@guarded
def rehearse(rt: Runtime, slug: str, pitch: Path, as_email: str | None, interactive: bool | None,
             as_json: bool) -> None:
    """Rehearse a pitch (.docx, .pdf, .md, .txt, or - for standard input) against the twin."""
    from service.rehearsal.engine import answer_turn, start_rehearsal

    check_schema(rt)
    if str(pitch) == "-":
        kwargs: dict[str, Any] = {"pitch_text": sys.stdin.read()}
    elif not pitch.is_file():
        fail(f"no such file: {pitch}")
    else:
        kwargs = {"file_bytes": pitch.read_bytes(), "filename": pitch.name}
    with rt.session() as s:
        viewer, _user = viewer_as(rt, s, as_email)
        data = start_rehearsal(s, rt.settings, slug, viewer, channel="cli", **kwargs).to_dict()
    if as_json:
        emit_json(data)
    else:
        print_rehearsal(data)
    play = interactive if interactive is not None else (not as_json and sys.stdin.isatty() and str(pitch) != "-")
    if not play or not data["questions"]:
        return
    out.print(f"\n[bold]{data['questions'][0]['question']}[/]")
    while True:
        reply = click.prompt("Your answer (empty to stop)", default="", show_default=False)
        if not reply.strip():
            return
        with rt.session() as s:
            viewer, _user = viewer_as(rt, s, as_email)
            turn = answer_turn(s, rt.settings, data["rehearsal_id"], viewer, reply).to_dict()
        if as_json:
            emit_json(turn)
        else:
            out.print(f"\n{turn['text']}")
            for c in turn["citations"]:
                out.print(f"  [dim][{c['n']}] {c['title']}, {c['date'] or 'undated'}, {c['locator']}[/]")
        if turn["done"]:
            return


# --- the service -----------------------------------------------------------------------------------

def development_secret() -> str:
    """A secret kept in the user's data directory, shared by `serve`, `demo` and `users link` on this machine."""
    import secrets

    import platformdirs

    path = Path(platformdirs.user_data_dir("understudy", appauthor=False)) / "development-secret"
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret


def web_settings(rt: Runtime) -> dict[str, Any]:
    """Settings for the web process; this machine's development secret when none is configured."""
    values = dict(rt.settings)
    if not values.get("SECRET_KEY"):
        err.print("[yellow]UNDERSTUDY_SECRET_KEY is not set: using this machine's development secret "
                  "(set it in production).[/]")
        values["SECRET_KEY"] = development_secret()
    return values


def local_web_settings(rt: Runtime, host: str) -> dict[str, Any]:
    """Web settings for a plain-HTTP server on this machine: cookies cannot be Secure there."""
    values = web_settings(rt)
    if host in ("127.0.0.1", "localhost", "::1"):
        values["SECURE_COOKIES"] = False
    return values


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Reload on code changes and show tracebacks.")
@pass_rt
def serve(rt: Runtime, host: str, port: int, debug: bool) -> None:
    """Run the web service for development (production: gunicorn -c infra/gunicorn.conf.py)."""
    from service.app import create_app

    check_schema(rt)
    app = create_app(local_web_settings(rt, host))
    try:  # the line below may be read, and Ctrl-C sent, before print() has returned
        out.print(f"Understudy is serving on http://{host}:{port}/ (Ctrl-C to stop)")
        app.run(host=host, port=port, debug=debug, threaded=True, use_reloader=debug)
    except KeyboardInterrupt:  # Ctrl-C is how the development server is stopped, even while it starts
        out.print("Stopped.")


@main.command()
@pass_rt
def slack(rt: Runtime) -> None:
    """Run the Slack app in Socket Mode (for workspaces without inbound access)."""
    from slack_app.socket import run_socket_mode

    check_schema(rt)
    out.print("Connecting to Slack in Socket Mode (Ctrl-C to stop)…")
    try:
        run_socket_mode(rt.settings)
    except ValueError as exc:
        fail(str(exc))


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", "worker_name", help="Worker name (default: host and process id).")
@pass_rt
def worker(rt: Runtime, burst: bool, worker_name: str | None) -> None:
    """Work the background ingestion queue (needs UNDERSTUDY_REDIS_URL)."""
    from service.ops.jobs import run_worker

    check_schema(rt)
    try:
        run_worker(rt.settings, burst=burst, worker_name=worker_name)
    except ValueError as exc:
        fail(str(exc))


@main.command("export")
@click.argument("slug")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@pass_rt
@guarded
def export_command(rt: Runtime, slug: str, file: Path, as_json: bool) -> None:
    """Write a twin (sources and versions, persona, consent, audit) to a JSON-lines file (.gz to compress)."""
    from service.ops.transfer import write_export

    check_schema(rt)
    with rt.session() as s:
        summary = write_export(s, slug, file)
    if as_json:
        emit_json({"file": str(file), **summary.to_dict()})
    else:
        out.print(f"Exported {slug} to {file}: {summary.sources} sources, {summary.passages} passages, "
                  f"{summary.audit_events} audit events.")


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--slug", help="Import under another slug (the export's slug by default).")
@click.option("--json", "as_json", is_flag=True)
@pass_rt
@guarded
def import_command(rt: Runtime, file: Path, slug: str | None, as_json: bool) -> None:
    """Create a twin here from an `understudy export` file, in one transaction."""
    from service.ops.transfer import import_twin, read_export

    check_schema(rt)
    try:
        with rt.session() as s:
            summary = import_twin(s, read_export(file), slug=slug, actor=actor_name())
    except (ValueError, OSError) as exc:
        fail(f"cannot import {file}: {exc}")
    from service.corpus import store

    with rt.session() as s:
        imported = [src.id for src in store.list_sources(s, store.get_twin(s, summary.slug), current_only=True)]
    index_stored_sources(rt, imported, quiet=as_json)
    if as_json:
        emit_json({"file": str(file), **summary.to_dict()})
    else:
        out.print(f"Imported {summary.slug} from {file}: {summary.sources} sources, {summary.passages} passages, "
                  f"{summary.audit_events} audit events.")


EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples" / "dana-reyes"
DEMO_USERS: tuple[tuple[str, str, list[str]], ...] = (
    ("employee@halvorsen.example", "employee", []),
    ("curator@halvorsen.example", "curator", ["leadership"]),
    ("admin@halvorsen.example", "admin", ["leadership"]),
)


def load_demo_twin(folder: Path) -> dict[str, Any]:
    """The demo twin's description (twin.toml beside the example files)."""
    import tomllib

    manifest = folder / "twin.toml"
    if not manifest.is_file():
        fail(f"the example corpus is missing: {manifest} not found")
    with manifest.open("rb") as fh:
        return tomllib.load(fh)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--fresh/--keep", default=True, show_default=True,
              help="Start from an empty database (a default database holding more than the demo is moved aside).")
@click.option("--no-serve", is_flag=True, help="Stop after ingesting and answering a sample question.")
@click.option("--examples", "folder", type=click.Path(path_type=Path, file_okay=False), default=EXAMPLES_DIR,
              show_default=False, help="Folder of the example corpus.")
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, fresh: bool, no_serve: bool, folder: Path) -> None:
    """Ingest the example executive's corpus into the CLI's database, answer a sample question, start the web UI."""
    from service.config import default_database_url
    from service.corpus import store
    from service.migrate import upgrade_database
    from service.twin.engine import answer_question
    from service.twin.persona import validate_persona_changes

    rt: Runtime = ctx.obj
    spec = load_demo_twin(folder)
    if fresh and rt.settings.database_url == default_database_url():
        start_default_database_afresh(rt, spec["slug"])
    upgrade_database(rt.engine)
    out.print(f"Demo database: {rt.engine.url.render_as_string(hide_password=True)}")
    slug = spec["slug"]
    with rt.session() as s:
        existing = {t.slug for t in store.list_twins(s)}
        if slug not in existing:
            store.create_twin(s, slug, spec["name"], title=spec.get("title", ""),
                              speaker_labels=spec.get("speaker_labels"), actor="demo")
            consent = spec.get("consent", {})
            store.record_consent(s, slug, by=consent.get("by", spec["name"]),
                                 scope=consent.get("scope", "Demo: internal questions and pitch rehearsal"),
                                 actor="demo")
            persona = spec.get("persona", {})
            changes = {"no_answer_message": persona.get("no_answer"),
                       "answer_openers": [persona["opening"]] if persona.get("opening") else None,
                       "signature_phrases": list(persona.get("signature_phrases") or []) or None}
            changes = validate_persona_changes({k: v for k, v in changes.items() if v})
            if changes:
                store.update_persona(s, slug, changes, actor="demo")
        known = {u.email for u in store.list_users(s)}
        tokens = {}
        for email, role, audiences in DEMO_USERS:
            if email not in known:
                tokens[email] = store.add_user(s, email, role=role, audiences=audiences, actor="demo")[1]
    for batch in spec.get("batches", [{"path": "."}]):
        paths = sorted(folder.glob(batch["path"])) if any(c in batch["path"] for c in "*?[") else [folder / batch["path"]]
        from ingestion.pipeline import iter_files

        files = [f for f in iter_files(paths) if f.name != "twin.toml"]
        outcomes = list(ingest_files(rt, slug, files, kind=batch.get("kind"),
                                     speakers=[batch["speaker"]] if batch.get("speaker") else [],
                                     audience=batch.get("audience", rt.settings.default_audience), approve=True,
                                     date=None, uploader="demo"))
        for o in outcomes:
            if o.status == "failed":
                err.print(f"[red]failed[/] {o.path}: {o.error}")
        done = sum(1 for o in outcomes if o.status in ("ingested", "updated"))
        already = sum(1 for o in outcomes if o.status == "duplicate")
        out.print(f"Ingested {done} of {len(files)} files from {batch['path']}"
                  + (f" for audience {batch['audience']}" if batch.get("audience") else "")
                  + (f" ({already} already stored in this database)" if already else "") + ".")
    questions = spec.get("sample_questions") or ["What matters most to you?"]
    with rt.session() as s:
        employee = store.get_user(s, DEMO_USERS[0][0])
        answer = answer_question(s, rt.settings, slug, questions[0], store.viewer_for(employee), channel="cli")
        out.print(f"\n[bold]Q:[/] {questions[0]}")
        print_answer(answer.to_dict())
    if tokens:
        out.print("\nAPI tokens (shown once):")
        for email, token in tokens.items():
            out.print(f"  {email}: {token}")
    if no_serve:
        return
    serve_demo(rt, host, port)


def start_default_database_afresh(rt: Runtime, slug: str) -> None:
    """Delete the default SQLite database if it holds only a demo; move it aside (and say so) if it holds more."""
    from sqlalchemy import inspect, select

    from service.corpus.models import Twin, User

    database = rt.engine.url.database
    if not database or not Path(database).is_file():
        return
    demo_only = True
    if inspect(rt.engine).has_table("twins"):
        with rt.session() as s:
            twins = set(s.scalars(select(Twin.slug)))
            users = set(s.scalars(select(User.email)))
        demo_only = twins <= {slug} and users <= {email for email, _, _ in DEMO_USERS}
    rt.engine.dispose()
    path = Path(database)
    if demo_only:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    kept = path.with_name(f"{path.stem}-{dt.datetime.now():%Y%m%d-%H%M%S}{path.suffix}")
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            Path(f"{path}{suffix}").rename(f"{kept}{suffix}")
    out.print(f"The database held more than the demo: moved it to {kept} (use --keep to add the demo to it).")


def serve_demo(rt: Runtime, host: str, port: int) -> None:
    """Start the web UI and print one-time sign-in links for the demo users."""
    try:
        from service.app import create_app
        from service.web.auth import DEV_LOGIN_MAX_AGE_S, make_dev_login_link
    except ImportError:
        out.print("The web service is not available in this build; stopping after the sample answer.")
        return
    app = create_app(local_web_settings(rt, host))
    base = f"http://{host}:{port}"
    out.print(f"\n[bold green]Understudy demo is up at {base}/[/]")
    out.print(f"Sign-in links (each works once, within {DEV_LOGIN_MAX_AGE_S // 60} minutes; "
              "`understudy users link EMAIL` prints a new one):")
    for email, role, _ in DEMO_USERS:
        out.print(f"  {role:<9} {base}{make_dev_login_link(app, email)}")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def _add_corrections_group() -> None:
    """The `corrections` group lives in its own module, built with this one's helpers."""
    from service.cli_corrections import build_group

    main.add_command(build_group(sys.modules[__name__]))


_add_corrections_group()

if __name__ == "__main__":
    main()
