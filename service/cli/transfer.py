"""`understudy export|import`: a twin to and from a JSON-lines file."""

from __future__ import annotations

from pathlib import Path

import click

from service.cli.ingest import index_stored_sources
from service.cli.render import emit_json, out
from service.cli.runtime import Runtime, actor_name, fail, with_database


@click.command("export")
@click.argument("slug")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@with_database
def export_command(rt: Runtime, slug: str, file: Path, as_json: bool) -> None:
    """Write a twin (sources and versions, persona, consent, audit) to a JSON-lines file (.gz to compress)."""
    from service.ops.transfer import write_export

    with rt.session() as s:
        summary = write_export(s, slug, file)
    if as_json:
        emit_json({"file": str(file), **summary.to_dict()})
    else:
        out.print(f"Exported {slug} to {file}: {summary.sources} sources, {summary.passages} passages, "
                  f"{summary.audit_events} audit events.")


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--slug", help="Import under another slug (the export's slug by default).")
@click.option("--json", "as_json", is_flag=True)
@with_database
def import_command(rt: Runtime, file: Path, slug: str | None, as_json: bool) -> None:
    """Create a twin here from an `understudy export` file, in one transaction."""
    from service.corpus import store
    from service.ops.transfer import import_twin, read_export

    try:
        with rt.session() as s:
            summary = import_twin(s, read_export(file), slug=slug, actor=actor_name())
    except (ValueError, OSError) as exc:
        fail(f"cannot import {file}: {exc}")
    with rt.session() as s:
        imported = [src.id for src in store.list_sources(s, store.get_twin(s, summary.slug), current_only=True)]
    index_stored_sources(rt, imported, quiet=as_json)
    if as_json:
        emit_json({"file": str(file), **summary.to_dict()})
    else:
        out.print(f"Imported {summary.slug} from {file}: {summary.sources} sources, {summary.passages} passages, "
                  f"{summary.audit_events} audit events.")
