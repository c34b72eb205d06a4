"""`understudy sources show` lists the later sources that revise a source's position; `sources revise` marks one
(and `--withdraw` takes it back); `ask` says what the answer stands on."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import json_lines, write_memo


def flat(result) -> str:
    """A command's output with the terminal's line wrapping undone."""
    return " ".join(result.output.split())


def test_sources_show_lists_later_positions_and_revise_marks_one(cli, twin, tmp_path: Path) -> None:
    folder = tmp_path / "memos"
    folder.mkdir()
    write_memo(folder / "2025-01-20-plan.docx", "Plan for 2025",
               "We will open 12 new depots in 2025, most of them in the Midwest.")
    (folder / "update.md").write_text("Date: March 4, 2026\n\n# Where we stand\n\nWe will open 7 new depots this "
                                      "year, not 12, and put the rest of that money into dock automation.\n")
    rows = json_lines(cli("ingest", "dana", str(folder), "--approve", "--json").output)
    ids = {Path(r["path"]).name: r["source_id"] for r in rows}
    old, new = ids["2025-01-20-plan.docx"], ids["update.md"]

    shown = cli("sources", "show", str(old)).output
    assert "Later sources that" in shown and "Where" in shown  # the table (wrapped to the terminal's width)
    assert f"To mark it: understudy sources revise {old} --by {new}" in shown
    detected = json.loads(cli("sources", "show", str(old), "--json").output)["revisions"]["detected"]
    assert [d["source_id"] for d in detected] == [new] and "figures" in detected[0]["reasons"]

    marked = cli("sources", "revise", str(old), "--by", str(new), "--note", "fewer depots")
    assert marked.exit_code == 0 and "superseded by source" in marked.output
    assert f"Position superseded by source {new} (Where we stand, 2026-03-04)" in flat(cli("sources", "show", str(old)))
    assert f"Supersedes the position of source {old}" in flat(cli("sources", "show", str(new)))
    backwards = cli("sources", "revise", str(new), "--by", str(old))
    assert backwards.exit_code != 0 and "not later than" in flat(backwards)

    answer = flat(cli("ask", "dana", "How many depots are we opening?"))
    assert answer.startswith("As of the March 2026 memo, we will open 7 new depots")
    assert "In January 2025 I said" in answer and "Stands on: their words" in answer  # no pronoun set
    data = json.loads(cli("ask", "dana", "How many depots are we opening?", "--json").output)
    assert data["basis"] == "own_words" and data["positions"]["current"]["source_id"] == new

    assert cli("sources", "revise", str(old), "--by", str(new), "--withdraw").exit_code == 0
    assert "No later source" not in cli("sources", "show", str(old)).output  # still found by meaning
    assert json.loads(cli("sources", "show", str(old), "--json").output)["revisions"]["revised_by"] == []
