"""`understudy rehearse` as a user runs it: the scorecard reads as on the web page, --json stays JSON when the pitch
is refused, and the demo twin rehearses with twin.toml's rubric and refuses its topics."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

from tests.cli.conftest import write_memo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "dana-reyes"

PITCH = ("I propose we run pharmacy deliveries at night from Eastgate: 9,140 prescriptions a month, 3.1% late on the "
         "pilot. We would pause new stores if on-time-in-full drops below 97 %. We ask you to approve $2.4m by "
         "30 June.")


def test_the_scorecard_reads_as_on_the_web_page_whole_numbers_whole(cli, twin, corpus, tmp_path) -> None:
    cli("ingest", twin, str(corpus / "2025-03-01-cold-chain.docx"), "--approve")
    pitch = tmp_path / "pitch.txt"
    pitch.write_text(PITCH)
    card = json.loads(cli("rehearse", twin, str(pitch), "--json").output)["scorecard"]
    shown = cli("rehearse", twin, str(pitch), "--no-interactive")
    assert shown.exit_code == 0, shown.output
    total = f"{card['total']:g}"
    assert f"Scorecard: {total} of 30\n" in shown.output, shown.output
    assert not re.search(r"\d\.0\b", shown.output.split("Scorecard:")[1].split("Sources")[0]), shown.output
    ask = next(c for c in card["criteria"] if c["key"] == "ask")
    assert re.search(rf"States the ask\s+{ask['score']}/5  States a concrete ask", shown.output), shown.output


def test_json_output_stays_json_when_the_pitch_is_too_short(cli, twin, corpus) -> None:
    cli("ingest", twin, str(corpus / "2025-03-01-cold-chain.docx"), "--approve")
    short = cli("rehearse", twin, "-", "--json", input="Let's buy more trucks.\n")
    assert short.exit_code != 0
    body = json.loads(short.stdout)
    assert body["error"]["code"] == "pitch_too_short"  # the API's 422 code
    assert body["error"]["message"].startswith("That is too short to rehearse (4 words). Tell me more:")
    missing = cli("rehearse", twin, "no-such-pitch.docx", "--json")
    assert missing.exit_code != 0 and json.loads(missing.stdout)["error"]["code"] == "not_found"


def test_the_demo_applies_twin_tomls_rubric_and_refused_topics(cli, tmp_path) -> None:
    folder = tmp_path / "examples"
    folder.mkdir()
    for name in ("twin.toml", "2024-04-22-drivers-home-safe.docx", "2025-10-20-q3-2025-qbr-transcript.txt"):
        shutil.copy(EXAMPLES / name, folder / name)
    built = cli("demo", "--no-serve", "--examples", str(folder))
    assert built.exit_code == 0, built.output
    persona = tomllib.loads((EXAMPLES / "twin.toml").read_text(encoding="utf-8"))["persona"]
    labels = [r if isinstance(r, str) else r["criterion"] for r in persona["rubric"]]
    pitch = tmp_path / "pitch.txt"
    pitch.write_text(PITCH + " Drivers on the night routes would work four nights a week, never more than ten hours.")
    rehearsed = cli("rehearse", "dana-reyes", str(pitch), "--json", "--as", "employee@halvorsen.example")
    card = json.loads(rehearsed.output)["scorecard"]
    assert [c["label"] for c in card["criteria"]] == labels  # Dana's questions, not the built-in six
    assert card["max"] == 5 * len(labels)
    drivers = next(c for c in card["criteria"] if c["label"] == "How does this affect the drivers?")
    assert drivers["score"] == 5 and "Drivers on the night routes" in drivers["reason"]
    # A topic twin.toml adds to the built-in ones is refused, by its own keywords.
    asked = cli("ask", "dana-reyes", "How does the performance improvement plan process work?", "--json",
                "--as", "employee@halvorsen.example")
    assert json.loads(asked.output.splitlines()[-1])["refused_topic"] == "individual employees' pay or performance"


def test_a_clash_is_marked_as_on_the_web_page(cli, twin, tmp_path) -> None:
    memo = write_memo(tmp_path / "2024-03-01-pricing.docx", "Pricing memo",
                      "Our list prices stay flat through next year. Renewal customers deserve predictable bills, and "
                      "I will not surprise them with a mid-contract increase.")
    cli("ingest", twin, str(memo), "--approve")
    pitch = tmp_path / "pitch.txt"
    pitch.write_text("Mid-contract increases for renewal customers. Fuel rose fourteen percent last quarter. We will "
                     "surprise renewal customers with a mid-contract increase of 8% from 1 May. If churn rises above 3% "
                     "we stop. We ask you to approve it by 15 April.")
    data = json.loads(cli("rehearse", twin, str(pitch), "--json").output)
    clash = next(p for p in data["push_back"] if p["contradicts"])
    shown = cli("rehearse", twin, str(pitch), "--no-interactive").output
    assert f"  - {clash['priority']} (your pitch contradicts this): " in shown, shown


def test_the_closing_round_sets_the_summary_out_a_line_a_point(cli, tmp_path) -> None:
    # A trial's last round printed "That's the end of this rehearsal. Scorecard: 25 of 40. … Strong: …; …. To fix: …;
    # …. Prepare for: Q [1] Q [2] Q [3]" as one paragraph.
    folder = tmp_path / "examples"
    folder.mkdir()
    for name in ("twin.toml", "2025-10-20-q3-2025-qbr-transcript.txt"):
        shutil.copy(EXAMPLES / name, folder / name)
    assert cli("demo", "--no-serve", "--examples", str(folder)).exit_code == 0
    pitch = tmp_path / "pitch.txt"
    pitch.write_text(PITCH)
    played = cli("rehearse", "dana-reyes", str(pitch), "--interactive", "--as", "employee@halvorsen.example",
                 input="Our logo is blue.\nWe like the plan.\nThe vans are white.\n")
    assert played.exit_code == 0, played.output
    closing = played.output.split("That's the end of this rehearsal.", 1)[1]
    lines = closing.splitlines()
    assert any(line.startswith("To fix: ") for line in lines), closing
    prepare = lines.index("Prepare for:")
    assert lines[prepare + 1].startswith("  - ") and re.search(r"\? \[\d+\]$", lines[prepare + 1]), closing
    assert "Prepare for: " not in closing and not any("To fix:" in line and "Strong:" in line for line in lines)


def test_a_folder_or_an_empty_pitch_is_a_clear_error_in_terminal_words(cli, twin, tmp_path) -> None:
    folder = cli("rehearse", twin, str(tmp_path))
    assert folder.exit_code == 2 and "is a folder" in folder.output, folder.output
    empty = cli("rehearse", twin, "-", input="")
    assert empty.exit_code == 2 and "the pitch is empty" in empty.output and "paste" not in empty.output, empty.output

