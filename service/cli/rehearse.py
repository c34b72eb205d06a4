"""`understudy rehearse`: a pitch against the twin, then round by round when run in a terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from service.cli.render import emit_json, out, print_rehearsal, print_turn
from service.cli.runtime import EXIT_USER_ERROR, Runtime, explained, fail, viewer_as, with_database
from service.errors import BadInput, NotFound, UnderstudyError


@click.command()
@click.argument("slug")
@click.argument("pitch", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--as", "as_email", help="Rehearse as this user (their audiences apply).")
@click.option("--interactive/--no-interactive", default=None,
              help="Answer the questions round by round (default: on when run in a terminal without --json).")
@click.option("--json", "as_json", is_flag=True, help="Print the rehearsal as JSON.")
@with_database
def rehearse(rt: Runtime, slug: str, pitch: Path, as_email: str | None, interactive: bool | None,
             as_json: bool) -> None:
    """Rehearse a pitch (.docx, .pdf, .md, .txt, or - for standard input) against the twin."""
    from service.rehearsal.engine import start_rehearsal

    try:
        if str(pitch) == "-":
            kwargs: dict[str, Any] = {"pitch_text": sys.stdin.read()}
        elif pitch.is_dir():
            raise BadInput(f"{pitch} is a folder: give the pitch's file (.docx, .pdf, .md or .txt), or - for standard "
                           "input")
        elif not pitch.is_file():
            raise NotFound(f"no such file: {pitch}")
        else:
            kwargs = {"file_bytes": pitch.read_bytes(), "filename": pitch.name}
        with rt.session() as s:
            viewer, _user = viewer_as(rt, s, as_email)
            data = start_rehearsal(s, rt.settings, slug, viewer, channel="cli", **kwargs).to_dict()
    except UnderstudyError as exc:
        if not as_json:
            fail(explained(rt, exc))
        # The API's error body and code (a one-line pitch: pitch_too_short), so scripts read one shape.
        emit_json({"error": {"code": exc.code, "message": explained(rt, exc)}})
        sys.exit(EXIT_USER_ERROR)
    if as_json:
        emit_json(data)
    else:
        print_rehearsal(data)
    play = interactive if interactive is not None else (not as_json and sys.stdin.isatty() and str(pitch) != "-")
    if play and data["questions"]:
        play_rounds(rt, data, as_email, as_json)


def play_rounds(rt: Runtime, data: dict[str, Any], as_email: str | None, as_json: bool) -> None:
    """Ask the first question, then answer the presenter's replies until they stop or the twin sums up."""
    from service.rehearsal.engine import answer_turn

    out.print(f"\n[bold]{data['questions'][0]['question']}[/]")
    while True:
        reply = click.prompt("Your answer (empty to stop)", default="", show_default=False)
        if not reply.strip():
            return
        with rt.session() as s:
            viewer, _user = viewer_as(rt, s, as_email)
            turn = answer_turn(s, rt.settings, data["rehearsal_id"], viewer, reply).to_dict()
        emit_json(turn) if as_json else print_turn(turn)
        if turn["done"]:
            return
