"""`understudy corrections list|show|add|withdraw`: curators' corrections from the command line (registered on the
`understudy` group by service/cli.py, which hands over its helpers: it may run as __main__). Passage ids come
from `understudy search SLUG QUERY --json`."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import click
from rich.table import Table


def build_group(cli: ModuleType) -> click.Group:
    """The `corrections` group, built with the `understudy` command's helpers (runtime, errors, output)."""
    out, pass_rt, guarded = cli.out, cli.pass_rt, cli.guarded
    check_schema, emit_json, fail, actor_name = cli.check_schema, cli.emit_json, cli.fail, cli.actor_name

    def _print(item: dict[str, Any]) -> None:
        out.print(f"[bold]#{item['id']}[/] v{item['version']} {item['status']} · {item['question']}")
        if item["kind"] == "refusal":
            topic = f" ({item['topic']})" if item["topic"] else ""
            out.print(f"  she would not answer this{topic}")
        if item["framing"]:
            out.print(f"  framing: {item['framing']}")
        for n, p in enumerate(item["passages"], start=1):
            where = f"{p.get('title', 'deleted passage')}{', ' + p['date'] if p.get('date') else ''} {p.get('locator', '')}"
            out.print(f"  {n}. passage {p['passage_id']} · {where.strip()}{'' if p['live'] else ' (no longer approved)'}")
        for phrasing in item["phrasings"]:
            out.print(f"  also: {phrasing}")
        if item["ended_reason"]:
            out.print(f"  {item['status']} by {item['ended_by']}: {item['ended_reason']}")


    @click.group("corrections")
    def corrections() -> None:
        """What the executive would say instead: list, add and withdraw curators' corrections."""


    @corrections.command("list")
    @click.argument("slug")
    @click.option("--status", type=click.Choice(["active", "withdrawn", "retired"]))
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per correction.")
    @pass_rt
    @guarded
    def corrections_list(rt: Any, slug: str, status: str | None, as_json: bool) -> None:
        """List a twin's corrections (the current version of each), newest first."""
        from service.corpus import corrections as stored
        from service.corpus import store

        check_schema(rt)
        with rt.session() as s:
            data = stored.describe(s, stored.list_corrections(s, store.get_twin(s, slug), status=status))
        if as_json:
            for item in data:
                emit_json(item)
            return
        table = Table("id", "v", "status", "kind", "question", "passages", "framing")
        for item in data:
            table.add_row(str(item["id"]), str(item["version"]), item["status"], item["kind"], item["question"],
                          ", ".join(str(p["passage_id"]) for p in item["passages"]) or "-", item["framing"] or "")
        out.print(table)
        out.print(f"{len(data)} correction{'' if len(data) == 1 else 's'}; a question matches one at a similarity of at least "
                  f"{float(rt.settings.correction_similarity):.2f} (UNDERSTUDY_CORRECTION_SIMILARITY).")


    @corrections.command("show")
    @click.argument("correction_id", type=int)
    @click.option("--json", "as_json", is_flag=True, help="The correction and its versions as JSON.")
    @pass_rt
    @guarded
    def corrections_show(rt: Any, correction_id: int, as_json: bool) -> None:
        """Show a correction and its versions, newest first."""
        from service.corpus import corrections as stored

        check_schema(rt)
        with rt.session() as s:
            row = stored.get_correction(s, correction_id)
            current = stored.describe(s, [row])[0]
            versions = stored.describe(s, stored.correction_versions(s, row))
        if as_json:
            emit_json({"correction": current, "versions": versions})
            return
        for item in versions:
            _print(item)


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
    @pass_rt
    @guarded
    def corrections_add(rt: Any, slug: str, question: str, passages: tuple[int, ...], framing: str, refuse: bool,
                        topic: str, phrasings: tuple[str, ...], note: str, as_json: bool) -> None:
        """Say what the executive would say instead; in force at once for QUESTION and questions that mean the same."""
        from service.corpus import corrections as stored
        from service.corpus import store
        from service.twin import corrections as answering

        if refuse and passages:
            fail("--refuse takes no --passage: she would not answer at all")
        check_schema(rt)
        with rt.session() as s:
            row = answering.create(s, store.get_twin(s, slug), question, kind="refusal" if refuse else "answer",
                                   passage_ids=list(passages), framing=framing, topic=topic, phrasings=list(phrasings),
                                   note=note, actor=actor_name())
            item = stored.describe(s, [row])[0]
        if as_json:
            emit_json(item)
            return
        _print(item)
        out.print("In force now.")


    @corrections.command("withdraw")
    @click.argument("correction_id", type=int)
    @click.option("--reason", default="", help="Why, for the audit log.")
    @click.option("--json", "as_json", is_flag=True, help="The withdrawn correction as JSON.")
    @pass_rt
    @guarded
    def corrections_withdraw(rt: Any, correction_id: int, reason: str, as_json: bool) -> None:
        """Withdraw a correction: its questions are answered from the whole corpus again."""
        from service.corpus import corrections as stored

        check_schema(rt)
        with rt.session() as s:
            row = stored.withdraw_correction(s, correction_id, actor=actor_name(), reason=reason)
            item = stored.describe(s, [row])[0]
        if as_json:
            emit_json(item)
            return
        out.print(f"Withdrawn correction #{item['id']}: “{item['question']}” is answered from the sources again.")

    return corrections
