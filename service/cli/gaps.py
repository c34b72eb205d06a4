"""`understudy gaps`: what employees ask that the twin cannot answer, grouped by theme (never who asked)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import click

from service.cli.render import out, table
from service.cli.runtime import Runtime, with_database

if TYPE_CHECKING:
    from service.twin.gaps import GapMap


@click.command("gaps")
@click.argument("slug")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only questions asked on or after this day (YYYY-MM-DD).")
@click.option("--csv", "as_csv", is_flag=True, help="The CSV export: one row per theme, with weekly counts.")
@click.option("--json", "as_json", is_flag=True, help="The map as one JSON object.")
@with_database
def gaps_command(rt: Runtime, slug: str, since: dt.datetime | None, as_csv: bool, as_json: bool) -> None:
    """Messaging gaps: what employees ask that the twin cannot answer, grouped by theme (never who asked)."""
    from service.corpus import store
    from service.twin.gaps import gap_map

    with rt.session() as s:
        found = gap_map(s, rt.settings, store.get_twin(s, slug), since=since.date() if since else None)
    if as_json or as_csv:
        click.echo(json.dumps(found.to_dict(), ensure_ascii=False) if as_json else found.to_csv(), nl=not as_csv)
    else:
        print_gaps(found)


def print_gaps(found: GapMap) -> None:
    """The gap map as a table of themes, then what each linked source has answered since."""
    from service.twin.gaps import sparkline

    title = (f"{len(found.themes)} themes in {found.questions} unanswered questions"
             + (f" since {found.since}" if found.since else "") + f" (grouped by {found.grouping})")
    table("theme", "asked", "people", "last asked", "by week", "trend", "status", "audiences", title=title,
          rows=([t.name, t.count, t.askers, f"{t.last_asked:%Y-%m-%d}", sparkline(t.weekly[-12:]), t.trend,
                 f"answered since {t.link.linked_at:%Y-%m-%d}" if t.link else t.status,
                 "—" if t.audiences is None else ", ".join(f"{a['audience']} {a['askers']}" for a in t.audiences)]
                for t in found.themes))
    if any(t.audiences is None for t in found.themes):
        out.print(f"[dim]— audiences hidden: fewer than {found.min_audience_group} people asked[/]")
    for link in found.links:
        out.print(f"[bold]{link.name}[/]: linked to “{link.source_title}” on {link.linked_at:%Y-%m-%d}; since then "
                  f"{link.answered_since} of {link.asked_since} questions that mean the same were answered.")
