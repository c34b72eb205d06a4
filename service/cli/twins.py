"""`understudy twin …`: create twins, record consent, pause, resume, forget, list, speaker labels."""

from __future__ import annotations

from typing import Any

import click

from service.cli.render import emit_json, out, table, twin_dict
from service.cli.runtime import Runtime, actor_name, fail, with_database


@click.group()
def twin() -> None:
    """Create twins, record consent, pause, resume or forget them."""


@twin.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The executive's name.")
@click.option("--title", default="", help="The executive's title.")
@click.option("--speaker", "speakers", multiple=True, help="Transcript label of the executive's turns (repeatable).")
@click.option("--json", "as_json", is_flag=True)
@with_database
def twin_create(rt: Runtime, slug: str, name: str, title: str, speakers: tuple[str, ...], as_json: bool) -> None:
    """Create a twin (it answers only after `twin consent`)."""
    from service.corpus import store

    with rt.session() as s:
        data = twin_dict(store.create_twin(s, slug, name, title=title, speaker_labels=list(speakers) or None,
                                           actor=actor_name()))
    if as_json:
        emit_json(data)
        return
    out.print(f"Created twin [bold]{slug}[/] ({name}). Speaker labels: {', '.join(data['speaker_labels'])}.")
    out.print(f"It will not answer until consent is recorded: understudy twin consent {slug} --by NAME --scope TEXT")


@twin.command("consent")
@click.argument("slug")
@click.option("--by", "by", help="Who consented (the executive, or their delegate); default: as last recorded.")
@click.option("--scope", help="What the consent covers; default: as last recorded.")
@click.option("--json", "as_json", is_flag=True)
@with_database
def twin_consent(rt: Runtime, slug: str, by: str | None, scope: str | None, as_json: bool) -> None:
    """Record the executive's consent (again: --by and --scope default to the last record); the twin may then answer."""
    from service.corpus import store

    with rt.session() as s:
        store.get_twin(s, slug)
        last = store.last_consent(s, slug) or {}
        by, scope = by or last.get("by"), scope or last.get("scope")
        if not by or not scope:
            fail(f"no consent was recorded for {slug} before: give --by NAME and --scope TEXT")
        data = twin_dict(store.record_consent(s, slug, by=by, scope=scope, actor=actor_name()))
    emit_json(data) if as_json else out.print(f"Consent recorded for {slug}: {by}, “{scope}”.")


def _set_paused(rt: Runtime, slug: str, paused: bool) -> None:
    """Pause or resume a twin as the CLI's actor."""
    from service.corpus import store

    with rt.session() as s:
        store.set_twin_paused(s, slug, paused, actor=actor_name())


@twin.command("pause")
@click.argument("slug")
@with_database
def twin_pause(rt: Runtime, slug: str) -> None:
    """Stop a twin answering everywhere at once."""
    _set_paused(rt, slug, True)
    out.print(f"Twin {slug} is paused: it will not answer anywhere until resumed.")


@twin.command("resume")
@click.argument("slug")
@with_database
def twin_resume(rt: Runtime, slug: str) -> None:
    """Let a paused twin answer again."""
    _set_paused(rt, slug, False)
    out.print(f"Twin {slug} is answering again.")


@twin.command("forget")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True)
@with_database
def twin_forget(rt: Runtime, slug: str, yes: bool, as_json: bool) -> None:
    """Erase every source, passage and interaction of a twin (an audit entry remains)."""
    from service.corpus import store

    if not yes and not click.confirm(f"Erase twin {slug} and all of its sources and history? This cannot be undone"):
        fail("nothing erased")
    with rt.session() as s:
        counts = store.forget_twin(s, slug, actor=actor_name())
    if as_json:
        emit_json({"slug": slug, "erased": counts})
        return
    out.print(f"Erased twin {slug}: {counts['sources']} sources, {counts['passages']} passages, "
              f"{counts['interactions']} interactions. The audit log records that it happened.")


@twin.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_database
def twin_list(rt: Runtime, as_json: bool) -> None:
    """List twins."""
    from service.corpus import store

    with rt.session() as s:
        rows = [twin_dict(t) for t in store.list_twins(s)]
    if as_json:
        emit_json(rows)
        return
    table("slug", "name", "title", "consent", "paused",
          rows=([r["slug"], r["name"], r["title"], "yes" if r["consent"] else "no", "yes" if r["paused"] else ""]
                for r in rows))


@twin.command("labels")
@click.argument("slug")
@click.option("--add", "add", multiple=True, help="A transcript label of the executive's turns, e.g. 'THE PRESIDENT'.")
@click.option("--remove", "remove", multiple=True, help="A label that is not the executive's after all.")
@click.option("--json", "as_json", is_flag=True)
@with_database
def twin_labels(rt: Runtime, slug: str, add: tuple[str, ...], remove: tuple[str, ...], as_json: bool) -> None:
    """Show or change the labels that mark the executive's turns; a change re-attributes the stored sources."""
    from service.corpus import store
    from service.twin.labels import change_speaker_labels

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
