"""`understudy ask` says whose audiences an answer was searched in when it found nothing to stand on."""

from __future__ import annotations

import json

from tests.cli.conftest import json_lines


def test_a_no_answer_says_which_approved_audiences_were_not_searched_and_how_to_ask_as_someone(cli, twin, corpus):
    rows = json_lines(cli("ingest", twin, str(corpus), "--audience", "leadership", "--json").output)
    cli("sources", "approve", *[str(r["source_id"]) for r in rows if r["source_id"]])
    shown = cli("ask", twin, "Why did you choose cold chain?").output
    assert "approved sources for leadership were not searched" in shown and "--as EMAIL" in shown

    cli("users", "add", "lee@example.com", "--role", "employee", "--audience", "leadership")
    answered = cli("ask", twin, "Why did you choose cold chain?", "--as", "lee@example.com").output
    assert "pharmaceutical customers pay for reliability" in answered and "were not searched" not in answered
    # The JSON output is unchanged: scripts read the answer alone.
    data = json.loads(cli("ask", twin, "Why did you choose cold chain?", "--json").output)
    assert data["grounded"] is False and "were not searched" not in json.dumps(data)


def test_asked_as_a_user_a_no_answer_does_not_tell_them_what_lies_beyond_their_audiences(cli, twin, corpus):
    # An employee's no-answer ended "approved sources for leadership were not searched": that tells staff that
    # confidential material exists on the subject.
    rows = json_lines(cli("ingest", twin, str(corpus), "--audience", "leadership", "--json").output)
    cli("sources", "approve", *[str(r["source_id"]) for r in rows if r["source_id"]])
    cli("users", "add", "sam@example.com", "--role", "employee")
    shown = cli("ask", twin, "Why did you choose cold chain?", "--as", "sam@example.com").output
    assert "Stands on: no answer" in shown, shown
    assert "leadership" not in shown and "not searched" not in shown, shown
