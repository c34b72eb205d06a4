"""Rehearsing a pitch: questions the executive really asked, push-back, scorecard, rounds, access and the model path."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.models import Interaction, Passage, Rehearsal, RehearsalTurn
from service.errors import BadInput, Conflict, NotFound, TwinUnavailable
from service.rehearsal import answer_turn, get_rehearsal, list_rehearsals, start_rehearsal
from service.rehearsal.bank import BANKS
from tests.rehearsal.conftest import GOOD_PITCH, WEAK_PITCH, World, build_docx, build_pdf
from tests.support.fake_openai import FakeOpenAI

OTHER_SPEAKERS_QUESTIONS = (
    "Can we also agree to repaint the canteen at Eastgate before the summer party?",
    "Should the new trailers carry the green livery from the brand refresh?",
    "Which budget line should the overtime come from?",
)
LISBON = "how much will the Lisbon warehouse expansion cost per pallet?"


def passage(session: Session, passage_id: int) -> Passage:
    row = session.get(Passage, passage_id)
    assert row is not None
    return row


def assert_quoted_from_the_executive(session: Session, citation: dict, quote: str) -> Passage:
    """The citation's passage is an executive turn and holds the quote word for word, at the cited locator."""
    row = passage(session, citation["passage_id"])
    assert row.executive, f"{quote!r} is cited to {row.speaker}'s turn"
    assert quote in row.text
    assert citation["quote"] == quote
    assert citation["locator"] == row.locator
    assert citation["source_id"] == row.source_id
    return row


def test_mined_questions_are_the_executives_own_turns_word_for_word(session: Session, settings: Settings,
                                                                   world: World) -> None:
    pitch = ("We propose sixty reefer trailers for inland pharma, a second night shift at the depot, a canteen "
             "repaint at Eastgate before the summer party, green livery from the brand refresh, and overtime "
             "from the budget line. We are asking for 6 million dollars.")
    result = start_rehearsal(session, settings, "dana", world.employee, pitch_text=pitch).to_dict()
    assert len(result["questions"]) == 5
    for q in result["questions"]:
        row = assert_quoted_from_the_executive(session, q["citation"], q["question"])
        if q["kind"] == "question":
            assert row.source.kind == "transcript"
            assert row.speaker in ("Dana Reyes", "DANA REYES")
            assert q["question"].rstrip().endswith("?") or q["question"].startswith(("Walk me", "Tell me", "Show me"))
    # The others' questions share the pitch's words, yet none becomes the executive's.
    everything = json.dumps(result)
    for theirs in OTHER_SPEAKERS_QUESTIONS:
        assert theirs not in everything
    # The whole bank, not just the top five: every question is an executive's, a sentence of their turn.
    bank = BANKS.get(session, world.twin)
    assert bank.items
    for item in bank.items:
        row = passage(session, item.hit.passage_id)
        assert row.executive and item.text in row.text
        assert item.text not in OTHER_SPEAKERS_QUESTIONS
    assert {i.hit.locator for i in bank.items if i.kind == "question"} >= {"00:16:40", "00:17:17", "00:18:09", "turn 3", "turn 5"}


def test_a_restricted_sources_questions_never_reach_a_viewer_outside_its_audience(
        session: Session, settings: Settings, world: World) -> None:
    pitch = ("Lisbon warehouse expansion: the lease needs signing, the landlord wants an answer, and the cost per "
             "pallet is nine euros. We ask you to approve the Lisbon lease this month.")
    outsider = start_rehearsal(session, settings, "dana", world.employee, pitch_text=pitch).to_dict()
    assert "Lisbon" not in json.dumps([outsider["questions"], outsider["push_back"], outsider["citations"]])
    assert world.leadership.id not in {c["source_id"] for c in outsider["citations"]}
    insider = start_rehearsal(session, settings, "dana", world.leader, pitch_text=pitch).to_dict()
    assert LISBON in [q["question"].split(": ", 1)[-1] for q in insider["questions"]] or any(
        LISBON in q["question"] for q in insider["questions"])
    assert world.leadership.id in {c["source_id"] for c in insider["citations"]}


def test_a_retired_source_drops_out_of_the_bank_at_once(session: Session, settings: Settings, world: World) -> None:
    pitch = "Ashby Road second night shift: late departures are fourteen percent. We ask for overtime budget."
    before = start_rehearsal(session, settings, "dana", world.employee, pitch_text=pitch).to_dict()
    assert world.qbr.id in {c["source_id"] for c in before["citations"]}
    store.retire_source(session, world.qbr.id)
    after = start_rehearsal(session, settings, "dana", world.employee, pitch_text=pitch).to_dict()
    assert world.qbr.id not in {c["source_id"] for c in after["citations"]}


def test_docx_and_pdf_pitches_are_read_like_ingested_files(session: Session, settings: Settings,
                                                           world: World) -> None:
    paragraphs = [p for p in GOOD_PITCH.split("\n\n") if p.strip()]
    from_docx = start_rehearsal(session, settings, "dana", world.employee,
                                file_bytes=build_docx(paragraphs, "Reefer capacity"),
                                filename="reefer-pitch.docx").to_dict()
    from_pdf = start_rehearsal(session, settings, "dana", world.employee, file_bytes=build_pdf(GOOD_PITCH),
                               filename="reefer-pitch.pdf").to_dict()
    for result, name in ((from_docx, "reefer-pitch.docx"), (from_pdf, "reefer-pitch.pdf")):
        assert result["filename"] == name
        assert result["analysis"]["ask"].startswith("We are asking you to approve 6.5 million dollars")
        assert "98.4%" in result["analysis"]["numbers"]
        assert result["scorecard"]["words"] > 100
        assert result["questions"]
        stored = session.get(Rehearsal, result["rehearsal_id"])
        assert stored is not None and "Corvane Pharma" in stored.pitch and stored.filename == name


@pytest.mark.parametrize("kwargs, message", [
    ({"pitch_text": "   \n "}, "empty"),
    ({"file_bytes": b"MZ\x90\x00binary", "filename": "pitch.exe"}, ".docx, .pdf, .md or .txt"),
    ({"file_bytes": b"", "filename": "pitch.txt"}, "empty"),
    ({"file_bytes": b"not a pdf at all", "filename": "pitch.pdf"}, "pitch.pdf"),
    ({"pitch_text": "x", "file_bytes": b"y", "filename": "p.txt"}, "not both"),
])
def test_bad_pitches_are_refused_with_a_reason(session: Session, settings: Settings, world: World,
                                               kwargs: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace(".", r"\.")):
        start_rehearsal(session, settings, "dana", world.employee, **kwargs)


def test_a_pitch_over_the_length_limit_is_refused(session: Session, settings: Settings, world: World) -> None:
    short_limit = settings.replace(rehearsal_max_pitch_words=50)
    with pytest.raises(BadInput, match="at most 50"):
        start_rehearsal(session, short_limit, "dana", world.employee, pitch_text=GOOD_PITCH)


def test_the_scorecard_reacts_to_an_ask_numbers_and_risks(session: Session, settings: Settings,
                                                          world: World) -> None:
    good = start_rehearsal(session, settings, "dana", world.employee, pitch_text=GOOD_PITCH).to_dict()["scorecard"]
    weak = start_rehearsal(session, settings, "dana", world.employee, pitch_text=WEAK_PITCH).to_dict()["scorecard"]
    good_by, weak_by = ({c["key"]: c for c in card["criteria"]} for card in (good, weak))
    assert [c["key"] for c in good["criteria"]] == ["ask", "impact", "evidence", "risks", "length", "clarity"]
    for key in ("ask", "impact", "evidence", "risks"):
        assert good_by[key]["score"] > weak_by[key]["score"], key
        assert good_by[key]["max"] == 5
    assert "“We are asking you to approve 6.5 million dollars" in good_by["ask"]["reason"]
    assert "fatigue" in good_by["risks"]["reason"] or "overtime" in good_by["risks"]["reason"]
    assert weak_by["ask"]["score"] == 0 and weak_by["risks"]["score"] == 0
    assert "synergy" in weak_by["clarity"]["reason"]
    assert good["total"] > weak["total"] and good["max"] == weak["max"] == 30
    assert good["speaking_minutes"] == round(good["words"] / 150, 1)


def test_curators_own_the_rubric(session: Session, settings: Settings, world: World) -> None:
    store.update_persona(session, "dana", {"rehearsal_rubric": [
        {"criterion": "ask", "label": "What's the ask?", "weight": 3},
        {"criterion": "length", "min_minutes": 0.5, "max_minutes": 1.5},
        "How does this affect the drivers?",
    ]})
    card = start_rehearsal(session, settings, "dana", world.employee, pitch_text=GOOD_PITCH).to_dict()["scorecard"]
    by_key = {c["key"]: c for c in card["criteria"]}
    assert by_key["ask"]["label"] == "What's the ask?" and by_key["ask"]["weight"] == 3
    assert by_key["length"]["score"] == 5  # 137 words is inside the curators' 0.5-1.5 minutes
    drivers = next(c for c in card["criteria"] if c["label"] == "How does this affect the drivers?")
    assert drivers["score"] == 5 and "driver" in drivers["reason"]
    assert card["max"] == 5 * (3 + 1 + 1)


@pytest.mark.parametrize("rubric, message", [
    ([], "non-empty"),
    ([{"criterion": "ask", "weight": -1}], "weight"),
    ([{"criterion": "length", "min_minutes": 9, "max_minutes": 2}], "min_minutes"),
    ([{"criterion": "ask"}, {"criterion": "ask"}], "twice"),
    ([{"criterion": "security"}], "keywords"),
    ([{"criterion": "clarity", "colour": "blue"}], "unknown settings"),
    ([{"criterion": "ask", "weight": 0}], "above 0"),
])
def test_a_bad_rubric_is_refused(rubric: list, message: str) -> None:
    from service.rehearsal import validate_rubric

    with pytest.raises(BadInput, match=message):
        validate_rubric(rubric)


def test_push_back_names_ignored_priorities_and_crossed_lines_with_their_source(
        session: Session, settings: Settings, world: World) -> None:
    pitch = ("Inland pharma trailers. To win Corvane we will price below the cost to serve for the first year. "
             "Revenue grows 2.4 million dollars. We ask you to approve 6 million dollars today.")
    result = start_rehearsal(session, settings, "dana", world.employee, pitch_text=pitch).to_dict()
    push = result["push_back"]
    assert push and push[0]["contradicts"]
    assert push[0]["citation"]["quote"] == "We do not price below the cost to serve, whatever the size of the customer."
    # These memos have no section headings: the point is headed in her own words, not with the memo's title.
    assert push[0]["priority"] == "We do not price below the cost to serve"
    for p in push:
        assert_quoted_from_the_executive(session, p["citation"], p["citation"]["quote"])
        assert p["priority"].rstrip("…").lower() in p["citation"]["quote"].lower()
        assert p["priority"] not in pitch.lower()


def test_rounds_follow_up_accept_and_end_with_a_summary(session: Session, settings: Settings,
                                                        world: World) -> None:
    start = start_rehearsal(session, settings, "dana", world.employee, pitch_text=WEAK_PITCH).to_dict()
    assert start["round"] == 0 and start["max_rounds"] == 3
    rid = start["rehearsal_id"]
    first_question = start["questions"][0]["question"]

    short = answer_turn(session, settings, rid, world.employee, "Yes, definitely.").to_dict()
    assert short["reaction"] == "follow_up" and not short["done"] and short["round"] == 1
    assert short["text"].startswith("Not yet.")
    assert short["next_question"]["question"] == first_question

    reply = ("The cost to serve on the inland reefer lanes is 41 dollars a pallet because we share trailers "
             "with the Marlow lane, and the drivers on night routes are capped at four shifts a week; the Marlow "
             "pilot ran twelve weeks, and Priya Nair's team owns it and will lead it, since that keeps the risk "
             "small and we stop if overtime rises above 5 percent. That's why we start with thirty trailers.")
    accepted = answer_turn(session, settings, rid, world.employee, reply).to_dict()
    assert accepted["reaction"] == "accept" and accepted["text"].startswith("That answers it.")
    assert accepted["next_question"] is not None
    last = answer_turn(session, settings, rid, world.employee, reply).to_dict()
    assert last["reaction"] == "summary" and last["done"] and last["round"] == 3
    summary = last["summary"]
    assert summary["prepare"] and summary["fix"]
    assert "end of this rehearsal" in last["text"]
    for turn in (short, accepted, last):
        for citation in turn["citations"]:
            assert f"[{citation['n']}]" in turn["text"]
            assert_quoted_from_the_executive(session, citation, citation["quote"])
    with pytest.raises(Conflict, match="finished"):
        answer_turn(session, settings, rid, world.employee, reply)
    stored = get_rehearsal(session, rid, world.employee)
    assert [t["reaction"] for t in stored["turns"]] == ["follow_up", "accept", "summary"]
    assert stored["done"] and stored["summary"]["text"] == summary["text"]
    with pytest.raises(BadInput, match="empty"):
        answer_turn(session, settings, start_rehearsal(session, settings, "dana", world.employee,
                                                       pitch_text=WEAK_PITCH).rehearsal_id, world.employee, "  ")


def test_a_rehearsal_is_its_authors_alone_and_counted_in_interactions(session: Session, settings: Settings,
                                                                    world: World) -> None:
    rid = start_rehearsal(session, settings, "dana", world.employee, pitch_text=GOOD_PITCH).rehearsal_id
    answer_turn(session, settings, rid, world.employee, "Yes.")
    for stranger in (world.colleague, world.leader, store.viewer_for(None)):
        with pytest.raises(NotFound):
            get_rehearsal(session, rid, stranger)
        with pytest.raises(NotFound):
            answer_turn(session, settings, rid, stranger, "Let me answer on their behalf with numbers: 12.")
    assert get_rehearsal(session, rid, world.employee)["rehearsal_id"] == rid
    assert [r["rehearsal_id"] for r in list_rehearsals(session, world.employee)] == [rid]
    assert list_rehearsals(session, world.colleague) == []
    rows = session.scalars(select(Interaction).where(Interaction.kind == "rehearsal")).all()
    assert len(rows) == 2 and {r.user_id for r in rows} == {world.employee.user_id}
    assert all(r.conversation_id == f"rehearsal-{rid}" for r in rows)
    # Counted, not shown: the pitch's words are not in the interaction rows curators read.
    assert all("Corvane" not in r.question + r.answer for r in rows)


def test_a_paused_or_unconsented_twin_does_not_rehearse(session: Session, settings: Settings,
                                                        world: World) -> None:
    rid = start_rehearsal(session, settings, "dana", world.employee, pitch_text=GOOD_PITCH).rehearsal_id
    store.set_twin_paused(session, "dana", True)
    with pytest.raises(TwinUnavailable, match="paused"):
        start_rehearsal(session, settings, "dana", world.employee, pitch_text=GOOD_PITCH)
    with pytest.raises(TwinUnavailable, match="paused"):
        answer_turn(session, settings, rid, world.employee, "The cost is 41 dollars a pallet.")
    store.set_twin_paused(session, "dana", False)
    store.revoke_consent(session, "dana")
    with pytest.raises(TwinUnavailable, match="consent"):
        start_rehearsal(session, settings, "dana", world.employee, pitch_text=GOOD_PITCH)


def test_forgetting_the_twin_erases_its_rehearsals(session: Session, settings: Settings, world: World) -> None:
    rid = start_rehearsal(session, settings, "dana", world.employee, pitch_text=GOOD_PITCH).rehearsal_id
    answer_turn(session, settings, rid, world.employee, "Yes.")
    session.commit()
    store.forget_twin(session, "dana")
    session.commit()
    assert session.scalar(select(func.count()).select_from(Rehearsal)) == 0
    assert session.scalar(select(func.count()).select_from(RehearsalTurn)) == 0


# --- the model path ---------------------------------------------------------------------------------------------

def _llm(settings: Settings, fake_openai: FakeOpenAI) -> Settings:
    return settings.replace(llm_base_url=fake_openai.base_url, llm_model="fake-gpt", llm_api_key="test",
                            llm_timeout=5.0)


def _good_reply() -> str:
    return ("The cost to serve on the inland reefer lanes is 41 dollars a pallet because we share trailers with "
            "the Marlow lane; the drivers on night routes are capped at four shifts a week, and Priya Nair's team "
            "owns it, so the risk stays small and we stop if overtime rises above 5 percent.")


def test_with_a_model_the_reaction_is_phrased_checked_and_cited(session: Session, settings: Settings, world: World,
                                                                fake_openai: FakeOpenAI) -> None:
    llm_settings = _llm(settings, fake_openai)
    rid = start_rehearsal(session, llm_settings, "dana", world.employee, pitch_text=GOOD_PITCH).rehearsal_id
    turn = answer_turn(session, llm_settings, rid, world.employee, _good_reply()).to_dict()
    assert turn["mode"] == "llm", turn.get("fallback_reason")
    assert fake_openai.requests, "the model was asked"
    prompt = json.dumps(fake_openai.last_request)
    assert "rehears" in prompt and "<source" in prompt
    assert turn["text"].startswith(("That answers it.", "Not yet."))
    numbers = {c["n"] for c in turn["citations"]}
    assert numbers and all(f"[{n}]" in turn["text"] for n in numbers if n != (turn["next_question"] or {})
                           .get("citation", {}).get("n"))
    for citation in turn["citations"]:
        assert_quoted_from_the_executive(session, citation, citation["quote"])
    assert session.get(Rehearsal, rid).mode == "llm"  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", ["unsupported", "error500", "cite_unknown"])
def test_a_failing_or_unfaithful_model_falls_back_to_the_extractive_reaction(
        session: Session, settings: Settings, world: World, fake_openai: FakeOpenAI, mode: str) -> None:
    fake_openai.set_mode(mode)
    llm_settings = _llm(settings, fake_openai)
    rid = start_rehearsal(session, llm_settings, "dana", world.employee, pitch_text=GOOD_PITCH).rehearsal_id
    turn = answer_turn(session, llm_settings, rid, world.employee, _good_reply()).to_dict()
    assert fake_openai.requests
    assert turn["mode"] == "extractive" and turn["fallback_reason"]
    assert "37%" not in turn["text"] and "pwned" not in turn["text"].lower()
    for citation in turn["citations"]:
        assert f"[{citation['n']}]" in turn["text"]
        assert_quoted_from_the_executive(session, citation, citation["quote"])


def test_a_persona_edit_checks_the_rubric_the_rehearsal_will_use() -> None:
    from service.rehearsal.rubric import validate_rubric
    from service.twin.persona import validate_persona_changes

    clean = validate_persona_changes({"rehearsal_rubric": ["What's the ask?", "How does this affect the drivers?"]},
                                     check_rubric=validate_rubric)
    assert [c["criterion"] for c in clean["rehearsal_rubric"]] == ["ask", "affect-drivers"]
    assert clean["rehearsal_rubric"][1]["keywords"] == ["affect", "drivers"]
    with pytest.raises(BadInput, match="min_minutes"):
        validate_persona_changes({"rehearsal_rubric": [{"criterion": "length", "min_minutes": 8, "max_minutes": 3}]},
                                 check_rubric=validate_rubric)


def test_a_twin_with_only_memos_rehearses_on_its_concerns(session: Session, settings: Settings) -> None:
    BANKS.clear()
    twin = store.create_twin(session, "cfo", "Sam Okafor")
    store.record_consent(session, "cfo", by="Sam Okafor", scope="rehearsal")
    from ingestion.pipeline import parse_bytes
    from tests.rehearsal.conftest import MEMO_PARAGRAPHS

    store.add_source(session, twin, parse_bytes(build_docx(MEMO_PARAGRAPHS), "memo.docx", kind="memo"), approve=True)
    user, _ = store.add_user(session, "analyst@x.com")
    viewer = store.viewer_for(user)
    result = start_rehearsal(session, settings, "cfo", viewer, pitch_text=GOOD_PITCH).to_dict()
    assert result["questions"] and {q["kind"] for q in result["questions"]} == {"concern"}
    for q in result["questions"]:
        assert_quoted_from_the_executive(session, q["citation"], q["question"])
    rid = result["rehearsal_id"]
    turns = [answer_turn(session, settings, rid, viewer, _good_reply()).to_dict() for _ in range(3)]
    assert turns[-1]["done"] and turns[-1]["reaction"] == "summary"
