"""`understudy gaps`: the messaging-gap map in a terminal, as JSON and as CSV."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from service.cli import main

PARKING = ["Is the company going to pay for parking near the new office?",
           "Will staff get free car park spaces at the new building?",
           "Do I have to pay for my own parking spot when we move?"]
PENSION = ["When can I join the company pension scheme?", "What does the company put into my pension?"]


def test_gaps_lists_themes_of_unanswered_questions_as_json_csv_and_a_table(cli, twin, corpus, database_url) -> None:
    assert cli("ingest", twin, str(corpus / "2025-03-01-cold-chain.docx"), "--approve").exit_code == 0
    assert cli("users", "add", "lee@example.com", "--role", "employee").exit_code == 0
    for question in [*PARKING, *PENSION, "Why did you choose cold chain?"]:
        assert cli("ask", twin, question, "--as", "lee@example.com", "--json").exit_code == 0
    result = cli("gaps", twin, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["grouping"] == "meaning" and body["questions"] == 5
    assert [sorted(t["examples"]) for t in body["themes"]] == [sorted(PARKING), sorted(PENSION)]
    assert all(t["askers"] == 1 and t["audiences"] is None for t in body["themes"])
    assert "lee@example.com" not in result.output
    table = CliRunner().invoke(main, ["gaps", twin], env={"UNDERSTUDY_DATABASE_URL": database_url,
                                                          "COLUMNS": "160"})
    assert table.exit_code == 0 and body["themes"][0]["name"] in table.output
    assert "lee@example.com" not in table.output and "audiences hidden" in table.output
    exported = cli("gaps", twin, "--csv")
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert [r["questions"] for r in rows] == ["3", "2"]
    later = cli("gaps", twin, "--since", "2999-01-01", "--json")
    assert json.loads(later.output)["themes"] == []


def test_gaps_says_what_is_wrong(cli, twin) -> None:
    bad_date = cli("gaps", twin, "--since", "yesterday")
    assert bad_date.exit_code == 2 and "--since" in bad_date.output
    missing = cli("gaps", "nobody")
    assert missing.exit_code == 2 and "nobody" in missing.output
    empty = cli("gaps", twin)
    assert empty.exit_code == 0 and "0 themes" in empty.output
