"""`understudy corrections list|show|add|withdraw`: curators' corrections from the command line.

Passage ids come from `understudy search SLUG QUERY --json`."""

from __future__ import annotations

import click

from service.cli.render import emit_json, out, print_correction, table
from service.cli.runtime import Runtime, actor_name, fail, with_database
from textkit.saying import counted


@click.group("corrections")
def corrections() -> None:
    """What the executive would say instead: list, add and withdraw curators' corrections."""


@corrections.command("list")
@click.argument("slug")
@click.option("--status", type=click.Choice(["active", "withdrawn", "retired"]))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per correction.")
@with_database
def corrections_list(rt: Runtime, slug: str, status: str | None, as_json: bool) -> None:
    """List a twin's corrections (the current version of each), newest first."""
    from service.corpus import corrections as stored
    from service.corpus import store

    with rt.session() as s:
        data = stored.describe(s, stored.list_corrections(s, store.get_twin(s, slug), status=status))
    if as_json:
        for item in data:
            emit_json(item)
        return
    table("id", "v", "status", "kind", "question", "passages", "framing",
          rows=([item["id"], item["version"], item["status"], item["kind"], item["question"],
                 ", ".join(str(p["passage_id"]) for p in item["passages"]) or "-", item["framing"] or ""]
                for item in data))
    out.print(f"{counted(len(data), 'correction')}; a question matches one at a similarity of at least "
              f"{rt.settings.correction_similarity:.2f} (UNDERSTUDY_CORRECTION_SIMILARITY).")


@corrections.command("show")
@click.argument("correction_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="The correction and its versions as JSON.")
@with_database
def corrections_show(rt: Runtime, correction_id: int, as_json: bool) -> None:
    """Show a correction and its versions, newest first."""
    from service.corpus import corrections as stored

    with rt.session() as s:
        row = stored.get_correction(s, correction_id)
        current = stored.describe(s, [row])[0]
        versions = stored.describe(s, stored.correction_versions(s, row))
    if as_json:
        emit_json({"correction": current, "versions": versions})
        return
    for item in versions:
        print_correction(item)


@corrections.command("add")
@click.argument("slug")
@click.argument("question")
@click.option("--passage", "passages", type=int, multiple=True,
              help="A passage id that answers it (repeat, in the order they are to be said).")
@click.option("--framing", default="", help="A line of yours said before her words (no citation).")
@click.option("--refuse", is_flag=True, help="She would not answer this: the persona's refusal message.")
@click.option("--topic", default="", help="With --refuse: what the refusal names as the topic.")
@click.option("--phrasing", "phrasings", multiple=True, help="Another wording to answer the same way (repeatable).")
@click.option("--note", default="", help="Why, for the audit log.")
@click.option("--json", "as_json", is_flag=True, help="The new correction as JSON.")
@with_database
def corrections_add(rt: Runtime, slug: str, question: str, passages: tuple[int, ...], framing: str, refuse: bool,
                    topic: str, phrasings: tuple[str, ...], note: str, as_json: bool) -> None:
    """Say what the executive would say instead; in force at once for QUESTION and questions that mean the same."""
    from service.corpus import corrections as stored
    from service.corpus import store
    from service.twin import corrections as answering

    if refuse and passages:
        fail("--refuse takes no --passage: she would not answer at all")
    with rt.session() as s:
        row = answering.create(s, store.get_twin(s, slug), question, kind="refusal" if refuse else "answer",
                               passage_ids=list(passages), framing=framing, topic=topic, phrasings=list(phrasings),
                               note=note, actor=actor_name())
        item = stored.describe(s, [row])[0]
    if as_json:
        emit_json(item)
        return
    print_correction(item)
    out.print("In force now.")


@corrections.command("withdraw")
@click.argument("correction_id", type=int)
@click.option("--reason", default="", help="Why, for the audit log.")
@click.option("--json", "as_json", is_flag=True, help="The withdrawn correction as JSON.")
@with_database
def corrections_withdraw(rt: Runtime, correction_id: int, reason: str, as_json: bool) -> None:
    """Withdraw a correction: its questions are answered from the whole corpus again."""
    from service.corpus import corrections as stored

    with rt.session() as s:
        row = stored.withdraw_correction(s, correction_id, actor=actor_name(), reason=reason)
        item = stored.describe(s, [row])[0]
    if as_json:
        emit_json(item)
        return
    out.print(f"Withdrawn correction #{item['id']}: “{item['question']}” is answered from the sources again.")
