"""`understudy sources …`: list, inspect, approve, retire, restore, revise and set the audience of sources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ingestion.model import KINDS
from service.cli.render import emit_json, out, passages_list, print_source, source_dict, table
from service.cli.runtime import Runtime, actor_name, with_database
from service.config import Settings
from service.corpus.access import Viewer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group()
def sources() -> None:
    """List, inspect, approve and retire sources."""


@sources.command("list")
@click.argument("slug")
@click.option("--status", type=click.Choice(["draft", "approved", "superseded", "retired"]))
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--audience")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@with_database
def sources_list(rt: Runtime, slug: str, status: str | None, kind: str | None, audience: str | None,
                 as_json: bool) -> None:
    """List a twin's sources, newest first."""
    from service.corpus import store

    with rt.session() as s:
        rows = store.list_sources(s, store.get_twin(s, slug), status=status, kind=kind, audience=audience)
        counts = store.passage_counts(s, [r.id for r in rows])
        data = [source_dict(r, counts.get(r.id, 0)) for r in rows]
    if as_json:
        for d in data:
            emit_json(d)
        return
    table("id", "title", "kind", "date", "audience", "status", "v", "passages",
          rows=([d["id"], d["title"], d["kind"], d["date"], d["audience"], d["status"], d["version"],
                 d["passage_count"]] for d in data))
    out.print(f"{len(data)} source{'' if len(data) == 1 else 's'}.")


@sources.command("show")
@click.argument("source_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="The source and its passages as JSON.")
@with_database
def sources_show(rt: Runtime, source_id: int, as_json: bool) -> None:
    """Show how a source was parsed: its passages with speaker, executive flag and locator."""
    with rt.session() as s:
        data, slug = described_source(s, rt.settings, source_id)
    if as_json:
        emit_json(data)
    else:
        print_source(data, slug)


def described_source(s: Session, settings: Settings, source_id: int) -> tuple[dict[str, Any], str]:
    """A source with its metadata, speaker-label hint, passages and revisions; and its twin's slug."""
    from service.corpus import store
    from service.corpus.models import Twin
    from service.twin.labels import source_label_hint
    from service.twin.positions import revision_report

    src = store.get_source(s, source_id)
    data = source_dict(src, len(src.passages))
    data["metadata"] = dict(src.meta or {})
    data["speaker_hint"] = source_label_hint(s, src)
    owner = s.get(Twin, src.twin_id)
    data["passages"] = passages_list(src.passages)
    every_audience = store.source_audiences(s, src.twin_id)
    data["revisions"] = revision_report(s, settings, src, Viewer(audiences=every_audience))
    return data, owner.slug if owner is not None else "SLUG"


@sources.command("revise")
@click.argument("source_id", type=int)
@click.option("--by", "later_id", type=int, required=True, help="The later source whose position supersedes it.")
@click.option("--note", default="", help="Why, for the audit log and the console.")
@click.option("--withdraw", is_flag=True, help="Withdraw the mark instead.")
@with_database
def sources_revise(rt: Runtime, source_id: int, later_id: int, note: str, withdraw: bool) -> None:
    """Mark a source's position as superseded by a later source's (answers then give the later one first)."""
    from service.corpus import revisions

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
@with_database
def sources_approve(rt: Runtime, source_ids: tuple[int, ...]) -> None:
    """Approve sources: they may then be quoted in answers."""
    from service.corpus import store

    for source_id in source_ids:
        with rt.session() as s:
            src = store.approve_source(s, source_id, actor=actor_name())
            out.print(f"Approved source {src.id} ({src.title}, v{src.version}).")


@sources.command("retire")
@click.argument("source_ids", type=int, nargs=-1, required=True)
@click.option("--reason", default="", help="Why, for the audit log.")
@with_database
def sources_retire(rt: Runtime, source_ids: tuple[int, ...], reason: str) -> None:
    """Retire sources: they disappear from every answer at once."""
    from service.corpus import store

    for source_id in source_ids:
        with rt.session() as s:
            src = store.retire_source(s, source_id, actor=actor_name(), reason=reason)
            out.print(f"Retired source {src.id} ({src.title}).")


@sources.command("restore")
@click.argument("source_ids", type=int, nargs=-1, required=True)
@click.option("--reason", default="", help="Why, for the audit log.")
@with_database
def sources_restore(rt: Runtime, source_ids: tuple[int, ...], reason: str) -> None:
    """Restore retired sources as they were before (approved or draft)."""
    from service.corpus import store

    for source_id in source_ids:
        with rt.session() as s:
            src = store.reinstate_source(s, source_id, actor=actor_name(), reason=reason)
            out.print(f"Restored source {src.id} ({src.title}): {src.display_status}.")


@sources.command("audience")
@click.argument("source_id", type=int)
@click.argument("audience")
@with_database
def sources_audience(rt: Runtime, source_id: int, audience: str) -> None:
    """Set which audience may see a source."""
    from service.corpus import store

    with rt.session() as s:
        src = store.set_source_audience(s, source_id, audience, actor=actor_name())
        out.print(f"Source {src.id} is now for audience {src.audience}.")
