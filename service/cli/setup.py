"""`understudy init|settings|model|embed`: the database, the settings and the semantic model."""

from __future__ import annotations

import sys
from functools import partial
from typing import Any

import click

from service.cli.render import (
    advance,
    emit_json,
    err,
    model_tolerance,
    out,
    print_model_report,
    progress_bar,
    table,
)
from service.cli.runtime import EXIT_SOME_FAILED, Runtime, fail, pass_rt, with_database
from service.config import SETTINGS, Settings


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_rt
def init(rt: Runtime, as_json: bool) -> None:
    """Create or migrate the database schema."""
    from service.migrate import upgrade_database

    try:
        before, after = upgrade_database(rt.engine)
    except Exception as exc:  # noqa: BLE001 - report any driver failure plainly
        fail(f"cannot migrate {rt.database}: {exc}")
    if as_json:
        emit_json({"database": rt.database, "from": before, "to": after})
    elif before == after:
        out.print(f"Database {rt.database} is up to date (revision {after}).")
    else:
        out.print(f"Database {rt.database} migrated from {before or 'empty'} to revision {after}.")


@click.command("settings")
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
    table("setting", "value", "help", rows=([row["name"], row["value"], row["help"]] for row in rows))


@click.command("model")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_rt
def show_model(rt: Runtime, as_json: bool) -> None:
    """Prepare and check the semantic model: which one, where, and how close it is to its published similarities."""
    report = model_report(rt.settings)
    if as_json:
        emit_json(report)
        return
    print_model_report(report, rt.settings.llm_enabled)
    if report["backend"] == "embedded" and report["max_deviation"] > model_tolerance(report["precision"]):
        sys.exit(1)


def model_report(settings: Settings) -> dict[str, Any]:
    """Which semantic backend runs; for the embedded model, its similarities on the reference sentences."""
    from service.search.dense import embeddings_endpoint, semantic_backend
    from service.search.encoder import (
        REFERENCE_SENTENCES,
        REFERENCE_SIMILARITIES,
        ModelUnavailable,
        local_encoder,
    )

    backend = semantic_backend(settings)
    report: dict[str, Any] = {"backend": backend}
    if backend == "endpoint":
        model, base_url = embeddings_endpoint(settings)  # type: ignore[misc]
        report |= {"model": model, "base_url": base_url}
    elif backend == "embedded":
        try:
            with out.status("preparing the embedded model (built once from the packaged weights)…"):
                encoder = local_encoder(settings.embeddings_precision, settings.embeddings_threads,
                                        settings.model_cache)
                vectors = encoder.encode(list(REFERENCE_SENTENCES))
        except ModelUnavailable as exc:
            fail(f"the embedded model cannot run here: {exc}")
        info = encoder.info()
        checks: list[dict[str, Any]] = [{"a": REFERENCE_SENTENCES[a], "b": REFERENCE_SENTENCES[b], "published": expected,
                   "here": round(float(vectors[a] @ vectors[b]), 4)} for a, b, expected in REFERENCE_SIMILARITIES]
        report |= {"model": info.name, "precision": info.precision, "file": info.path, "size_mb": info.size_mb,
                   "weights": info.weights, "reference": checks,
                   "max_deviation": round(max(abs(c["here"] - c["published"]) for c in checks), 4)}
    return report


@click.command()
@click.argument("slugs", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per twin.")
@with_database
def embed(rt: Runtime, slugs: tuple[str, ...], as_json: bool) -> None:
    """Store dense-rerank vectors for passages that have none (every twin, or the SLUGS given)."""
    from service.corpus import store
    from service.search import reranker_for
    from service.search.vectors import embed_and_store, passages_without_vectors

    reranker = reranker_for(rt.settings)
    if reranker is None:
        fail("semantic search is off: UNDERSTUDY_EMBEDDINGS_MODEL is 'off', names a model with no endpoint "
             "(UNDERSTUDY_EMBEDDINGS_BASE_URL), or the embedded model is not installed (see `understudy settings`)")
    failed = False
    progress = progress_bar("embedding")
    with rt.session() as s, progress:
        for twin_row in [store.get_twin(s, slug) for slug in slugs] if slugs else store.list_twins(s):
            todo = passages_without_vectors(s, reranker.model, twin_id=twin_row.id)
            task = progress.add_task(twin_row.slug, total=len(todo))
            report = embed_and_store(s, reranker, todo, progress=partial(advance, progress, task))
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
