"""The `understudy` command, driven as a user would, on real files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from service.cli import main
from tests.cli.conftest import json_lines, write_memo


def test_init_is_idempotent(cli):
    result = cli("init", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["to"] == json.loads(result.output)["from"]


def test_commands_refuse_an_empty_database_with_advice(tmp_path):
    result = CliRunner().invoke(main, ["twin", "list"], env={"UNDERSTUDY_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.exit_code == 2
    assert "understudy init" in result.output


def test_ingest_reports_each_file_and_fails_bad_ones_alone(cli, twin, corpus):
    result = cli("ingest", twin, str(corpus), "--json")
    assert result.exit_code == 1, "a failed file must make the exit code non-zero"
    rows = {Path(r["path"]).name: r for r in json_lines(result.output)}
    assert set(rows) == {"2025-03-01-cold-chain.docx", "2025-04-02-fleet.docx", "broken.pdf", "empty.txt"}
    assert rows["2025-03-01-cold-chain.docx"]["status"] == "ingested"
    assert rows["2025-03-01-cold-chain.docx"]["passages"] >= 1
    for bad in ("broken.pdf", "empty.txt"):
        assert rows[bad]["status"] == "failed" and rows[bad]["error"] and rows[bad]["source_id"] is None
    listed = json_lines(cli("sources", "list", twin, "--json").output)
    assert sorted(r["filename"] for r in listed) == ["2025-03-01-cold-chain.docx", "2025-04-02-fleet.docx"]
    assert {"id", "title", "filename", "kind", "date", "audience", "status", "version"} <= set(listed[0])
    assert {r["status"] for r in listed} == {"draft"}
    assert {r["date"] for r in listed} == {"2025-03-01", "2025-04-02"}

    again = json_lines(cli("ingest", twin, str(corpus / "2025-03-01-cold-chain.docx"), "--json").output)
    assert again[0]["status"] == "duplicate"


def test_new_content_under_the_same_name_is_a_new_version(cli, twin, corpus, tmp_path):
    memo = corpus / "2025-04-02-fleet.docx"
    first = json_lines(cli("ingest", twin, str(memo), "--approve", "--json").output)[0]
    write_memo(memo, "Electric vans", "I now want half of our urban vans electric by 2027.")
    second = json_lines(cli("ingest", twin, str(memo), "--json").output)[0]
    assert second["status"] == "updated" and second["version"] == 2
    assert cli("sources", "approve", str(second["source_id"])).exit_code == 0
    shown = json.loads(cli("sources", "show", str(first["source_id"]), "--json").output)
    assert shown["current"] is False and shown["superseded_by"] == second["source_id"]


def test_show_gives_passages_with_speaker_executive_and_locator(cli, twin, corpus):
    row = json_lines(cli("ingest", twin, str(corpus / "2025-03-01-cold-chain.docx"), "--json").output)[0]
    shown = json.loads(cli("sources", "show", str(row["source_id"]), "--json").output)
    assert shown["passages"], "a parsed memo must have passages"
    first = shown["passages"][0]
    assert set(first) >= {"ordinal", "text", "speaker", "executive", "locator"}
    assert first["executive"] is True and first["locator"] == "§ Why cold chain"
    assert "cold chain" in first["text"]


def test_a_talks_byline_is_shown_and_found_but_never_quoted_as_her_words(cli, twin):
    talk = Path(__file__).resolve().parents[2] / "examples" / "dana-reyes" / "2025-10-08-customer-forum-talk.md"
    row = json_lines(cli("ingest", twin, str(talk), "--kind", "talk", "--approve", "--json").output)[0]
    shown = json.loads(cli("sources", "show", str(row["source_id"]), "--json").output)
    byline = shown["passages"][0]
    assert byline["text"].startswith("Dana Reyes, Chief Executive Officer. Opening talk") and not byline["executive"]
    assert shown["metadata"]["byline"] == byline["text"]
    assert "Byline (kept apart, not the executive's words): Dana Reyes" in cli("sources", "show", str(row["source_id"])).output
    question = "Who gave the opening talk at the Halvorsen Customer Forum at Port Calder Maritime Centre?"
    hits = json.loads(cli("search", twin, question, "--json").output)["hits"]
    assert any(h["text"] == byline["text"] and not h["executive"] for h in hits), "the byline stays searchable"
    answer = json.loads(cli("ask", twin, question, "--json").output)
    quoted = " ".join([answer["answer"], *(c["quote"] for c in answer["citations"])])
    assert "Chief Executive Officer" not in quoted and "Maritime Centre" not in quoted, quoted


def test_search_and_ask_only_stand_on_approved_sources(cli, twin, corpus):
    rows = json_lines(cli("ingest", twin, str(corpus), "--json").output)
    cold = next(r for r in rows if r["path"].endswith("cold-chain.docx"))
    fleet = next(r for r in rows if r["path"].endswith("fleet.docx"))
    assert json.loads(cli("search", twin, "why did you choose cold chain", "--json").output)["hits"] == []
    cli("sources", "approve", str(cold["source_id"]), str(fleet["source_id"]))

    result = json.loads(cli("search", twin, "why did you choose cold chain", "--json").output)
    assert result["hits"][0]["source_id"] == cold["source_id"]
    assert {"source_id", "title", "date", "locator", "speaker", "executive", "text", "score"} <= set(result["hits"][0])

    answer = json.loads(cli("ask", twin, "Why did you choose cold chain?", "--json").output)
    assert answer["grounded"] is True and answer["mode"] == "extractive"
    assert answer["citations"][0]["source_id"] == cold["source_id"]
    passages = json.loads(cli("sources", "show", str(cold["source_id"]), "--json").output)["passages"]
    assert any(answer["citations"][0]["quote"] in p["text"] for p in passages), "a quote must be the source's words"
    assert "[1]" in answer["answer"]
    assert "Dana Reyes" in answer["disclaimer"]

    cli("sources", "retire", str(cold["source_id"]))
    hits = json.loads(cli("search", twin, "why did you choose cold chain", "--json").output)["hits"]
    assert cold["source_id"] not in {h["source_id"] for h in hits}


def test_batch_search_and_ask_print_one_json_line_each(cli, twin, corpus, tmp_path):
    cli("ingest", twin, str(corpus), "--approve")
    queries = tmp_path / "q.txt"
    queries.write_text('electric vans\n{"query": "cold chain reliability"}\n\n')
    lines = json_lines(cli("search", twin, "--batch", str(queries)).output)
    assert [line["query"] for line in lines] == ["electric vans", "cold chain reliability"]
    assert all("ms" in line for line in lines)
    questions = tmp_path / "a.jsonl"
    questions.write_text('{"question": "Why electric vans?"}\n{"question": "What is your favourite film?"}\n')
    answers = json_lines(cli("ask", twin, "--batch", str(questions)).output)
    assert [a["question"] for a in answers] == ["Why electric vans?", "What is your favourite film?"]
    assert answers[0]["grounded"] is True and answers[1]["grounded"] is False


def test_a_missing_batch_file_is_a_clear_error_not_a_traceback(cli, twin, tmp_path):
    for command in ("search", "ask"):
        result = cli(command, twin, "--batch", str(tmp_path / "questions.txt"))
        assert result.exit_code == 2 and "does not exist" in result.output and "Traceback" not in result.output


def test_audiences_limit_search_for_users(cli, twin, corpus):
    row = json_lines(cli("ingest", twin, str(corpus / "2025-04-02-fleet.docx"), "--approve", "--audience",
                         "leadership", "--json").output)[0]
    token_out = cli("users", "add", "lead@x.com", "--role", "employee", "--audience", "leadership")
    assert token_out.exit_code == 0 and "us_" in token_out.output
    cli("users", "add", "emp@x.com")
    query = "electric vans drivers"
    assert json.loads(cli("search", twin, query, "--json").output)["hits"] == []
    assert json.loads(cli("search", twin, query, "--as", "emp@x.com", "--json").output)["hits"] == []
    hits = json.loads(cli("search", twin, query, "--as", "lead@x.com", "--json").output)["hits"]
    assert hits and hits[0]["source_id"] == row["source_id"]


def test_pause_consent_and_forget(cli, twin, corpus):
    cli("ingest", twin, str(corpus / "2025-04-02-fleet.docx"), "--approve")
    cli("twin", "pause", twin)
    paused = cli("ask", twin, "Why electric vans?")
    assert paused.exit_code == 2 and "paused" in paused.output.lower()
    cli("twin", "resume", twin)
    assert cli("ask", twin, "Why electric vans?").exit_code == 0
    refused = cli("twin", "forget", twin, input="n\n")
    assert refused.exit_code != 0
    forgot = cli("twin", "forget", twin, "--yes", "--json")
    assert json.loads(forgot.output)["erased"]["sources"] == 1
    assert cli("sources", "list", twin).exit_code == 2


def test_unknown_twin_and_user_are_clear_errors(cli, twin):
    result = cli("sources", "list", "nobody")
    assert result.exit_code == 2 and "no twin 'nobody'" in result.output
    assert "`understudy twin list` shows the twins" in result.output and "did you mean" not in result.output
    typo = cli("ask", "danna", "Why electric vans?")
    assert typo.exit_code == 2 and "did you mean 'dana'?" in typo.output, typo.output
    result = cli("search", twin, "x", "--as", "ghost@x.com")
    assert result.exit_code == 2 and "no user ghost@x.com" in result.output


def test_export_then_import_under_a_new_slug_keeps_sources_versions_and_answers(cli, twin, corpus, tmp_path):
    cli("ingest", twin, str(corpus / "2025-03-01-cold-chain.docx"), "--approve")
    cli("ingest", twin, str(corpus / "2025-04-02-fleet.docx"))
    backup = tmp_path / "dana.jsonl.gz"
    exported = json.loads(cli("export", twin, str(backup), "--json").output)
    assert exported["sources"] == 2 and backup.stat().st_size > 0
    imported = json.loads(cli("import", str(backup), "--slug", "dana-copy", "--json").output)
    assert imported["slug"] == "dana-copy" and imported["sources"] == 2
    copied = json_lines(cli("sources", "list", "dana-copy", "--json").output)
    assert sorted((r["filename"], r["status"]) for r in copied) == [
        ("2025-03-01-cold-chain.docx", "approved"), ("2025-04-02-fleet.docx", "draft")]
    again = cli("import", str(backup), "--slug", "dana-copy")
    assert again.exit_code == 2 and "already exists" in again.output
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text('{"type": "nonsense"}\n')
    assert cli("import", str(garbage)).exit_code == 2


def test_ingest_stores_passage_vectors_when_embeddings_are_on(database_url, twin, corpus, fake_openai):
    env = {"UNDERSTUDY_DATABASE_URL": database_url, "UNDERSTUDY_EMBEDDINGS_MODEL": "fake-embed",
           "UNDERSTUDY_EMBEDDINGS_BASE_URL": fake_openai.base_url}
    result = CliRunner().invoke(main, ["ingest", "dana", str(corpus), "--approve"], env=env)
    assert result.exit_code == 1, result.output  # the broken files fail alone
    assert "Stored 2 passage vectors (fake-embed)" in result.output
    again = CliRunner().invoke(main, ["embed", "dana"], env=env)
    assert "dana: stored 0 passage vectors" in again.output, "nothing was left for `understudy embed`"


def test_a_superseded_version_lists_as_superseded_and_keeps_current(cli, twin, corpus):
    memo = corpus / "2025-04-02-fleet.docx"
    first = json_lines(cli("ingest", twin, str(memo), "--approve", "--json").output)[0]
    write_memo(memo, "Electric vans", "I now want half of our urban vans electric by 2027.")
    second = json_lines(cli("ingest", twin, str(memo), "--approve", "--json").output)[0]
    listed = {row["id"]: row for row in json_lines(cli("sources", "list", twin, "--json").output)}
    assert listed[first["source_id"]]["status"] == "superseded" and listed[first["source_id"]]["current"] is False
    assert listed[second["source_id"]]["status"] == "approved" and listed[second["source_id"]]["current"] is True
    only_old = json_lines(cli("sources", "list", twin, "--status", "superseded", "--json").output)
    assert [row["id"] for row in only_old] == [first["source_id"]]
    approved = json_lines(cli("sources", "list", twin, "--status", "approved", "--json").output)
    assert [row["id"] for row in approved] == [second["source_id"]]


def test_a_retired_source_is_restored_and_answers_again(cli, twin, corpus):
    added = json_lines(cli("ingest", twin, str(corpus / "2025-04-02-fleet.docx"), "--approve", "--json").output)[0]
    source_id = str(added["source_id"])
    assert cli("sources", "retire", source_id, "--reason", "checking").exit_code == 0
    assert json.loads(cli("ask", twin, "Why electric vans?", "--json").output)["citations"] == []
    restored = cli("sources", "restore", source_id)
    assert restored.exit_code == 0 and "approved" in restored.output
    assert json.loads(cli("sources", "show", source_id, "--json").output)["status"] == "approved"
    assert json.loads(cli("ask", twin, "Why electric vans?", "--json").output)["citations"]
    again = cli("sources", "restore", source_id)
    assert again.exit_code == 2 and "not retired" in again.output


def test_consent_is_recorded_again_without_retyping_who_and_what(cli, twin):
    assert cli("twin", "pause", twin).exit_code == 0
    again = cli("twin", "consent", twin, "--json")
    assert again.exit_code == 0
    consent = json.loads(again.output)["consent"]
    assert consent["by"] == "Dana Reyes" and consent["scope"] == "internal Q&A"
    assert cli("twin", "create", "sam", "--name", "Sam Ortiz").exit_code == 0
    never = cli("twin", "consent", "sam")
    assert never.exit_code == 2 and "--by" in never.output


def test_users_link_prints_a_fresh_one_time_link_that_signs_in(cli, twin, database_url, tmp_path, monkeypatch):
    from service.app import create_app

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert cli("users", "add", "lee@example.com", "--role", "curator").exit_code == 0
    printed = cli("users", "link", "lee@example.com")
    assert printed.exit_code == 0 and "works once, within 15 minutes" in printed.output
    link = printed.output.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8000/auth/dev/")
    as_json = json.loads(cli("users", "link", "lee@example.com", "--url", "https://twin.example", "--json").output)
    assert as_json["expires_in_s"] == 900 and as_json["url"].startswith("https://twin.example/auth/dev/")
    from service.cli import development_secret

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": development_secret(), "SECURE_COOKIES": False})
    client = app.test_client()
    path = link.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).headers["Location"].endswith("/")
    assert client.get("/ask").status_code == 200
    reused = app.test_client().get(path, follow_redirects=True)
    assert "already been used" in reused.get_data(as_text=True)
    assert cli("users", "link", "ghost@example.com").exit_code == 2


TOWN_HALL = """THE CEO: Good morning, everyone. Thank you for coming in so early on a Friday. I want to talk about the
electric vans, because the timing of the fleet electrification is the question I get asked most often.

MS. OKAFOR: Thank you. When will the depots get chargers?

THE CEO: Every urban depot gets chargers before the vans arrive, starting with Calder North next spring. We
electrify depot by depot, and a depot only switches once its chargers have run for a full winter.

MR. WEBER: And the regional depots?

THE CEO: The regional depots wait until the range of the trucks covers a full route in January.
"""


def test_an_unknown_speaker_label_is_named_and_adding_it_reattributes_the_stored_transcript(cli, twin, tmp_path):
    path = tmp_path / "2025-01-30-town-hall.txt"
    path.write_text(TOWN_HALL, encoding="utf-8")
    ingested = json_lines(cli("ingest", twin, str(path), "--approve", "--json").output)[0]
    hint = ingested["speaker_hint"]
    assert hint["label"] == "THE CEO" and 0.75 < hint["share"] < 0.95
    assert hint["message"] == f"THE CEO: {round(hint['share'] * 100)} % of the words. Is that Dana Reyes?"
    table = cli("ingest", twin, str(path)).output
    assert "THE CEO:" in table and "Is that Dana Reyes?" in table and "twin labels dana --add 'THE CEO'" in table
    source_id = str(ingested["source_id"])
    shown = json.loads(cli("sources", "show", source_id, "--json").output)
    assert shown["speaker_hint"]["label"] == "THE CEO"
    assert not any(p["executive"] for p in shown["passages"])
    question = "When do the depots get chargers for the electric vans?"
    assert json.loads(cli("ask", twin, question, "--json").output)["grounded"] is False

    changed = json.loads(cli("twin", "labels", twin, "--add", "The CEO", "--json").output)
    assert "The CEO" in changed["speaker_labels"]
    assert changed["reattributed"]["sources"] == 1 and changed["reattributed"]["to_executive"] >= 3
    shown = json.loads(cli("sources", "show", source_id, "--json").output)
    assert shown["speaker_hint"] is None
    assert {p["speaker"] for p in shown["passages"] if p["executive"]} == {"THE CEO"}
    assert not any(p["executive"] for p in shown["passages"] if p["speaker"] != "THE CEO")
    answer = json.loads(cli("ask", twin, question, "--json").output)
    assert answer["grounded"] is True
    assert any("chargers" in c["quote"] for c in answer["citations"])

    removed = cli("twin", "labels", twin, "--remove", "THE CEO")
    assert "DANA REYES" in removed.output and "The CEO" not in removed.output
    assert f"{changed['reattributed']['to_executive']} no longer are" in removed.output


def test_a_label_given_at_ingest_survives_a_reattribution(cli, twin, tmp_path):
    path = tmp_path / "town-hall.txt"
    path.write_text(TOWN_HALL, encoding="utf-8")
    row = json_lines(cli("ingest", twin, str(path), "--speaker", "THE CEO", "--json").output)[0]
    assert row["speaker_hint"] is None
    cli("twin", "labels", twin, "--add", "MS. OKAFOR")
    shown = json.loads(cli("sources", "show", str(row["source_id"]), "--json").output)
    assert {p["speaker"] for p in shown["passages"] if p["executive"]} == {"THE CEO", "MS. OKAFOR"}


def test_model_reports_the_embedded_model_and_its_fidelity(cli):
    shown = json.loads(cli("model", "--json").output)
    assert shown["backend"] == "embedded" and shown["model"] == "all-MiniLM-L6-v2-int8"
    assert shown["max_deviation"] < 0.03 and len(shown["reference"]) == 3
    assert shown["reference"][0]["published"] == 0.666
    text = cli("model").output
    assert "OK" in text and "extractively" in text


def test_rehearsing_a_one_line_pitch_asks_for_more_and_a_real_one_is_scored(cli, twin, corpus, tmp_path):
    cli("ingest", twin, str(corpus / "2025-03-01-cold-chain.docx"), "--approve")
    short = cli("rehearse", twin, "-", input="Let's buy more trucks.\n")
    assert short.exit_code == 2
    assert "That is too short to rehearse (4 words). Tell me more:" in " ".join(short.output.split())
    pitch = tmp_path / "pitch.txt"
    pitch.write_text("Pharmacy deliveries at night: 9,140 prescriptions a month, 3.1% late on the pilot. We would "
                     "pause new stores if on-time-in-full drops below 97 %. We ask you to approve $2.4m by 30 June.")
    scored = cli("rehearse", twin, str(pitch), "--json")
    assert scored.exit_code == 0, scored.output
    criteria = {c["key"]: c for c in json.loads(scored.output)["scorecard"]["criteria"]}
    assert criteria["risks"]["score"] == 5 and "9,140" in criteria["evidence"]["reason"]


def test_a_question_without_words_is_refused_not_answered_with_a_no_answer(cli, twin):
    for asked in ("?", "..."):
        result = cli("ask", twin, asked)
        assert result.exit_code == 2 and "the question has no words" in result.output, result.output

