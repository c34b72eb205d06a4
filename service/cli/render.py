"""How the `understudy` command shows things: consoles, JSON lines, progress bars, the shapes and tables of its output."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from service.corpus.models import Passage, Source, Twin
    from service.ingest import Outcome

# Output that is not a terminal (a pipe, a file, a test) is laid out this wide, not at Rich's 80 columns.
PIPED_WIDTH = 160


class CommandConsole(Console):
    """A Rich console that lays tables out PIPED_WIDTH wide when its output is not a terminal (unless COLUMNS says)."""

    @property
    def size(self) -> ConsoleDimensions:
        dimensions = super().size
        if self._width is None and not self.is_terminal and not os.environ.get("COLUMNS"):
            return ConsoleDimensions(PIPED_WIDTH, dimensions.height)
        return dimensions

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


out = CommandConsole(highlight=False, soft_wrap=True)
err = CommandConsole(stderr=True, highlight=False)


def emit_json(obj: Any) -> None:
    """One JSON document on one line."""
    click.echo(json.dumps(obj, default=_json_default, ensure_ascii=False))


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def progress_bar(label: str) -> Progress:
    """A progress bar on stderr, shown only on a terminal and gone when done: label, bar, n/total, time, detail."""
    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.description}"), console=err, transient=True, disable=not err.is_terminal)


def advance(progress: Progress, task: TaskID, done: int, total: int) -> None:
    """A progress callback: done of total."""
    progress.update(task, completed=done, total=total)


def table(*columns: str, rows: Iterable[Iterable[Any]], title: str | None = None) -> None:
    """Print a table of these rows (None shows as empty)."""
    shown = Table(*columns, title=title)
    for row in rows:
        shown.add_row(*("" if cell is None else str(cell) for cell in row))
    out.print(shown)


# --- shapes of --json output -----------------------------------------------------------------------
# The CLI's twin and source objects predate the API's and differ in keys (consent nested, passage_count, sha256);
# scripts read them, so they stay as they are.

def iso(value: dt.date | dt.datetime | None) -> str | None:
    """ISO 8601 text, or None."""
    return value.isoformat() if value is not None else None


def twin_dict(twin: Twin) -> dict[str, Any]:
    """A twin as `understudy twin … --json` prints it (consent as one object, as the CLI always has)."""
    return {
        "slug": twin.slug, "name": twin.name, "title": twin.title, "paused": twin.paused,
        "speaker_labels": twin.speaker_labels,
        "consent": {"by": twin.consent_by, "scope": twin.consent_scope, "at": iso(twin.consent_at)}
        if twin.consent_at else None,
    }


def source_dict(src: Source, passages: int | None = None) -> dict[str, Any]:
    """A source as `understudy sources … --json` prints it."""
    data: dict[str, Any] = {
        "id": src.id, "title": src.title, "filename": src.filename, "kind": src.kind,
        "date": iso(src.date), "audience": src.audience, "status": src.display_status,
        "version": src.version, "current": src.superseded_by_id is None, "supersedes": src.supersedes_id,
        "superseded_by": src.superseded_by_id, "sha256": src.sha256, "uploaded_by": src.uploaded_by,
        "uploaded_at": iso(src.uploaded_at), "approved_by": src.approved_by, "approved_at": iso(src.approved_at),
    }
    if passages is not None:
        data["passage_count"] = passages
    return data


def outcome_dict(o: Outcome) -> dict[str, Any]:
    """What became of one file, as `understudy ingest --json` prints it."""
    return {"path": o.path, "status": o.status, "source_id": o.source_id, "passages": o.passages, "error": o.error,
            "code": o.code, "version": o.version, "speaker_hint": o.speaker_hint}


def passages_list(passages: Iterable[Passage]) -> list[dict[str, Any]]:
    """A source's passages with who spoke each and where it is (the API's passage shape)."""
    return [{"ordinal": p.ordinal, "text": p.text, "speaker": p.speaker, "executive": p.executive,
             "locator": p.locator, "heading": p.heading} for p in passages]


# --- what people read ------------------------------------------------------------------------------

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
    if data.get("correction"):
        fix = data["correction"]
        out.print(f"[bold]From a curator's correction[/] (#{fix['id']}, version {fix['version']})")
    note = f"mode: {data['mode']}" + (f" (fell back: {data['fallback_reason']})" if data.get("fallback_reason") else "")
    out.print(f"[dim]{data['disclaimer']} · {note} · conversation {data['conversation_id']}[/]")


def print_rehearsal(data: dict[str, Any]) -> None:
    """A rehearsal as a presenter reads it: questions, push-back, scorecard, each point cited."""
    from service.rehearsal.pushback import NO_PUSH_BACK
    from service.rehearsal.rubric import score_text

    out.print("[bold]Questions I would ask[/]")
    for q in data["questions"]:
        c = q["citation"]
        asked_of = f" ({q['context']})" if q.get("context") else ""
        out.print(f"  {q['n']}. {q['question']}{asked_of}  [dim][{c['n']}][/]")
    out.print("\n[bold]Where I would push back[/]")
    if not data["push_back"]:
        out.print(f"  {NO_PUSH_BACK}")
    else:
        for p in data["push_back"]:
            clash = " (your pitch contradicts this)" if p.get("contradicts") else ""  # as the web page marks it
            out.print(f"  - {p['priority']}{clash}: {p['why']}  [dim][{p['citation']['n']}][/]")
    card = data["scorecard"]
    # As the web page and Slack show it: "Scorecard: 28 of 30", each criterion "4/5".
    out.print(f"\n[bold]Scorecard: {score_text(card['total'])} of {score_text(card['max'])}[/]")
    width = min(60, max((len(c["label"]) for c in card["criteria"]), default=0))  # a curator's labels can be long
    for c in card["criteria"]:
        out.print(f"  {c['label']:<{width}} {score_text(c['score'])}/{score_text(c['max'])}  {c['reason']}")
    out.print("\n[bold]Sources[/]")
    for c in data["citations"]:
        out.print(f"  [{c['n']}] {c['title']}, {c['date'] or 'undated'}, {c['locator']}: “{c['quote']}”")
    out.print(f"\n[dim]{data['disclaimer']} · rehearsal {data['rehearsal_id']}[/]")


def print_turn(turn: dict[str, Any]) -> None:
    """The twin's reply in a rehearsal round, with its sources; the closing summary a line a point."""
    from service.rehearsal.engine import set_out

    closing = set_out(turn)
    if closing is None:
        out.print(f"\n{turn['text']}")
    else:
        reaction, lines, prepare = closing
        out.print(f"\n{reaction}\n")
        for line in lines:
            out.print(line)
        if prepare:
            out.print("Prepare for:")
            for question in prepare:
                out.print(f"  - {question}")
    for c in turn["citations"]:
        out.print(f"  [dim][{c['n']}] {c['title']}, {c['date'] or 'undated'}, {c['locator']}[/]")


def print_source(data: dict[str, Any], slug: str) -> None:
    """How a source was parsed: heading line, the speaker-label hint, its passages, what revises it."""
    out.print(f"[bold]{data['title']}[/] — {data['filename']} v{data['version']}, {data['kind']}, "
              f"{data['date'] or 'undated'}, audience {data['audience']}, {data['status']}")
    if data.get("metadata", {}).get("byline"):
        out.print(f"Byline (kept apart, not the executive's words): {data['metadata']['byline']}")
    if data["speaker_hint"]:
        label = data["speaker_hint"]["label"]
        out.print(f"[yellow]{data['speaker_hint']['message']}[/] No turn here is the executive's. If it is them: "
                  f"understudy twin labels {slug} --add {shlex.quote(label)}")
    table("#", "locator", "speaker", "exec", "text",
          rows=([p["ordinal"], p["locator"], p["speaker"], "yes" if p["executive"] else "no", p["text"]]
                for p in data["passages"]))
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
        table("#", "later source", "date", "why", "here", "later", title="Later sources that say otherwise",
              rows=([d["ordinal"], f"{d['source_id']} {d['title']}", d["date"], ", ".join(d["reasons"]), d["earlier"],
                     d["later"]] for d in revisions["detected"]))
        marked = {link["source_id"] for link in revisions["revised_by"]}
        for later in dict.fromkeys(d["source_id"] for d in revisions["detected"] if d["source_id"] not in marked):
            out.print(f"To mark it: understudy sources revise {source_id} --by {later}")
    elif not revisions["revised_by"]:
        out.print("No later source revises this one's position.")


def print_ingest_summary(outcomes: list[Outcome], elapsed: float, approved: bool) -> None:
    """A table of what each file became, then totals."""
    styles = {"failed": "red", "duplicate": "yellow", "updated": "cyan"}
    table("file", "status", "source", "version", "passages", "note", title="Ingest summary",
          rows=([Path(o.path).name, f"[{styles.get(o.status, 'green')}]{o.status}[/]", o.source_id or "",
                 o.version or "", o.passages or "", o.error or (o.speaker_hint or {}).get("message", "")]
                for o in outcomes))
    counts = {k: sum(1 for o in outcomes if o.status == k) for k in ("ingested", "updated", "duplicate", "failed")}
    out.print(", ".join(f"{v} {k}" for k, v in counts.items()) + f" in {elapsed:.1f} s.")
    if not approved and (counts["ingested"] or counts["updated"]):
        out.print("New sources are drafts: review them with `understudy sources show ID`, then "
                  "`understudy sources approve ID`.")


def print_label_hints(slug: str, name: str, outcomes: list[Outcome]) -> None:
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


def print_correction(item: dict[str, Any]) -> None:
    """One version of a correction: question, what it answers with, other phrasings, how it ended."""
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


def model_tolerance(precision: str) -> float:
    """How far the embedded model's similarities may stray from the published ones at this precision."""
    return 0.001 if precision == "fp32" else 0.03


def print_model_report(report: dict[str, Any], llm_enabled: bool) -> None:
    """Which semantic model runs, and for the embedded one how close it is to its published similarities."""
    backend = report["backend"]
    if backend == "endpoint":
        out.print(f"Embeddings from {report['model']} at {report['base_url']}")
        return
    if backend != "embedded":
        out.print(f"Semantic search is {backend}: searches and answers are lexical "
                  "(UNDERSTUDY_EMBEDDINGS_MODEL; see `understudy settings`).")
        return
    out.print(f"Embedded model {report['model']} ({report['precision']}, {report['size_mb']} MB) at "
              f"{report['file']}\nWeights: {report['weights']}")
    table("sentence A", "sentence B", "published", "here",
          rows=([c["a"], c["b"], f"{c['published']:.4f}", f"{c['here']:.4f}"] for c in report["reference"]))
    tolerance = model_tolerance(report["precision"])
    verdict = ("[green]OK[/]: within the tolerance for" if report["max_deviation"] <= tolerance
               else "[red]CHECK[/]: beyond the tolerance for")
    out.print(f"Largest deviation from the published similarities: {report['max_deviation']:.4f} "
              f"({verdict} {report['precision']}, {tolerance})")
    out.print("This model finds passages by meaning for search and for choosing answers; answers are written "
              + ("by the configured LLM." if llm_enabled else
                 "extractively, in the executive's own sentences (no LLM is configured)."))
