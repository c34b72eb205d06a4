"""`understudy corrections list|show|add|withdraw`, driven as a curator would, on a real ingested memo."""

from __future__ import annotations

from tests.cli.conftest import json_lines

QUESTION = "How dependable are our refrigerated deliveries?"


def passage_about(cli, words: str) -> int:
    hits = json_lines(cli("search", "dana", words, "--json").output)
    return int(hits[0]["hits"][0]["passage_id"] if "hits" in hits[0] else hits[0]["passage_id"])


def test_a_curator_adds_lists_and_withdraws_a_correction(cli, twin, corpus) -> None:
    assert cli("ingest", "dana", str(corpus / "2025-03-01-cold-chain.docx"), "--approve").exit_code == 0
    before = json_lines(cli("ask", "dana", QUESTION, "--json").output)[0]
    pid = passage_about(cli, "on-time rate temperature-controlled lanes")
    added = cli("corrections", "add", "dana", QUESTION, "--passage", str(pid), "--framing", "The record speaks.",
                "--json")
    assert added.exit_code == 0, added.output
    made = json_lines(added.output)[0]
    assert made["status"] == "active" and [p["passage_id"] for p in made["passages"]] == [pid]
    after = json_lines(cli("ask", "dana", QUESTION, "--json").output)[0]
    assert after["answer"].startswith("The record speaks. ") and after["correction"]["id"] == made["id"]
    assert "From a curator's correction" not in cli("ask", "dana", "Which football team do you support?").output
    read = cli("ask", "dana", QUESTION).output  # as a person reads it
    assert f"From a curator's correction (#{made['id']}, version 1)" in read, read
    listed = cli("corrections", "list", "dana")
    assert "refrigerated" in listed.output and "UNDERSTUDY_CORRECTION_SIMILARITY" in listed.output
    assert [c["id"] for c in json_lines(cli("corrections", "list", "dana", "--json").output)] == [made["id"]]
    shown = json_lines(cli("corrections", "show", str(made["id"]), "--json").output)[0]
    assert shown["correction"]["version"] == 1 and len(shown["versions"]) == 1
    withdrawn = cli("corrections", "withdraw", str(made["id"]), "--reason", "not her view")
    assert withdrawn.exit_code == 0 and "answered from the sources again" in withdrawn.output
    assert json_lines(cli("ask", "dana", QUESTION, "--json").output)[0]["answer"] == before["answer"]
    again = cli("corrections", "withdraw", str(made["id"]))
    assert again.exit_code == 2 and "not in force" in again.output


def test_refusals_and_bad_input_are_clear(cli, twin, corpus) -> None:
    assert cli("ingest", "dana", str(corpus / "2025-03-01-cold-chain.docx"), "--approve").exit_code == 0
    refused = cli("corrections", "add", "dana", "Will you run for office?", "--refuse", "--topic", "her plans")
    assert refused.exit_code == 0 and "would not answer" in refused.output
    answer = json_lines(cli("ask", "dana", "Will you run for office?", "--json").output)[0]
    assert "her plans" in answer["answer"] and answer["grounded"] is False
    none = cli("corrections", "add", "dana", QUESTION)
    assert none.exit_code == 2 and "choose at least one passage" in none.output
    missing = cli("corrections", "add", "dana", QUESTION, "--passage", "999999")
    assert missing.exit_code == 2 and "no passage 999999" in missing.output
    both = cli("corrections", "add", "dana", QUESTION, "--refuse", "--passage", "1")
    assert both.exit_code == 2 and "--refuse takes no --passage" in both.output
