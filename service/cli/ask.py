"""`understudy search|ask`: the passages that answer a query, and the twin's answer in the executive's voice."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from service.cli.render import emit_json, out, print_answer, table
from service.cli.runtime import Runtime, fail, read_batch, viewer_as, with_database
from service.errors import UnderstudyError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from service.corpus.access import Viewer


@click.command()
@click.argument("slug")
@click.argument("query", required=False)
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100), help="Number of passages.")
@click.option("--as", "as_email", help="Search as this user (their audiences apply).")
@click.option("--batch", type=click.Path(path_type=Path, allow_dash=True, exists=True, dir_okay=False),
              help="File of queries: one a line, or JSON lines with a 'query' field.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (always with --batch).")
@with_database
def search(rt: Runtime, slug: str, query: str | None, k: int, as_email: str | None, batch: Path | None,
           as_json: bool) -> None:
    """Find the passages of a twin's approved sources that answer a query."""
    from service.corpus import store
    from service.search import search_as_configured

    if not query and not batch:
        fail("give a QUERY or --batch FILE")
    with rt.session() as s:
        viewer, _user = viewer_as(rt, s, as_email)
        twin_row = store.get_twin(s, slug)
        for q in read_batch(batch, "query") if batch else iter([query or ""]):
            started = time.perf_counter()
            hits = search_as_configured(s, rt.settings, twin_row, q, viewer, k=k)
            ms = (time.perf_counter() - started) * 1000
            if as_json or batch:
                emit_json({"query": q, "hits": [h.to_dict() for h in hits], "ms": round(ms, 2)})
                continue
            table("#", "score", "source", "locator", "speaker", "text", title=f"{len(hits)} hits in {ms:.1f} ms",
                  rows=([i, f"{h.score:.3f}", f"{h.title} ({h.date or 'undated'})", h.locator,
                         (h.speaker or "") + ("" if h.executive else " (not the executive)"), h.text]
                        for i, h in enumerate(hits, 1)))


@click.command()
@click.argument("slug")
@click.argument("question", required=False)
@click.option("--as", "as_email", help="Ask as this user (their audiences apply).")
@click.option("--conversation", "conversation_id", help="Continue a conversation (follow-up question).")
@click.option("--batch", type=click.Path(path_type=Path, allow_dash=True, exists=True, dir_okay=False),
              help="File of questions: one a line, or JSON lines with a 'question' field.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (always with --batch).")
@with_database
def ask(rt: Runtime, slug: str, question: str | None, as_email: str | None, conversation_id: str | None,
        batch: Path | None, as_json: bool) -> None:
    """Ask the twin; it answers in the executive's voice with citations."""
    from service.twin.engine import answer_question

    if not question and not batch:
        fail("give a QUESTION or --batch FILE")
    for q in read_batch(batch, "question") if batch else iter([question or ""]):
        try:
            with rt.session() as s:
                viewer, _user = viewer_as(rt, s, as_email)
                data = answer_question(s, rt.settings, slug, q, viewer, conversation_id=conversation_id,
                                       channel="cli").to_dict()
                # Asked as nobody in particular, the operator is told what was not searched; asked as a user, the
                # answer is what that user gets, and the user is not told what sources exist beyond their reach.
                unseen = _unseen_audiences(s, slug, viewer) if not (as_email or data["grounded"]
                                                                    or data.get("refused_topic")
                                                                    or data.get("courtesy")) else []
        except UnderstudyError as exc:
            if not batch:
                raise
            emit_json({"question": q, "error": {"code": exc.code, "message": exc.message}})
            continue
        if as_json or batch:
            emit_json({"question": q, **data})
        else:
            print_answer(data)
            if unseen:
                out.print(f"[dim]Asked as no particular user (the default audience only): approved sources for "
                          f"{', '.join(unseen)} were not searched. "
                          f"--as EMAIL asks as a user who holds that audience.[/]")


def _unseen_audiences(s: Session, slug: str, viewer: Viewer) -> list[str]:
    """The audiences of the twin's approved sources that this viewer does not hold."""
    from service.corpus import store

    twin = store.get_twin(s, slug)
    return sorted(a for a in store.approved_audiences_by_twin(s).get(twin.id, ()) if not viewer.sees(a))
