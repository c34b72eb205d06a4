"""`understudy rehearse` as a user runs it: the scorecard reads as on the web page, and --json stays JSON when the
pitch is refused."""

from __future__ import annotations

import json
import re

from tests.test_cli import cli, corpus, twin  # noqa: F401  (fixtures)

PITCH = ("I propose we run pharmacy deliveries at night from Eastgate: 9,140 prescriptions a month, 3.1% late on the "
         "pilot. We would pause new stores if on-time-in-full drops below 97 %. We ask you to approve $2.4m by "
         "30 June.")


def test_the_scorecard_reads_as_on_the_web_page_whole_numbers_whole(cli, twin, corpus, tmp_path) -> None:  # noqa: F811
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


def test_json_output_stays_json_when_the_pitch_is_too_short(cli, twin, corpus) -> None:  # noqa: F811
    cli("ingest", twin, str(corpus / "2025-03-01-cold-chain.docx"), "--approve")
    short = cli("rehearse", twin, "-", "--json", input="Let's buy more trucks.\n")
    assert short.exit_code != 0
    body = json.loads(short.stdout)
    assert body["error"]["code"] == "pitch_too_short"  # the API's 422 code
    assert body["error"]["message"].startswith("That is too short to rehearse (4 words). Tell me more:")
    missing = cli("rehearse", twin, "no-such-pitch.docx", "--json")
    assert missing.exit_code != 0 and json.loads(missing.stdout)["error"]["code"] == "not_found"
