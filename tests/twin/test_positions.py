"""Positions with their dates: real dated files (.docx with a memo header, .md), the embedded model, both composers.

When approved sources disagree over time on the point asked about, the newest position leads ("As of the March 2026
memo, …") and the earlier one follows ("In January 2025 I said …"), both cited with their dates; sources that agree
never get "I said"; a curator's mark makes a pair a change whatever the wording."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from sqlalchemy.orm import Session

from ingestion.pipeline import parse_path
from service.config import Settings
from service.corpus import revisions, store
from service.corpus.access import Viewer
from service.corpus.models import Source, Twin
from service.errors import BadInput, NotFound
from service.search.vectors import index_new_sources
from service.twin.engine import answer_question, stream_answer
from service.twin.positions import differs, figures
from tests.support.fake_openai import FakeOpenAI, parse_prompt
from tests.twin.conftest import World, add_document

OLD_DEPOTS = "We will open 12 new depots in 2025, most of them in the Midwest."
NEW_DEPOTS = "We will open 7 new depots this year, not 12, and put the rest of that money into dock automation."
OLD_SAFETY = "Safety on our loading docks comes before speed, on every shift."
NEW_SAFETY = "On our loading docks, safety still comes before speed."
OLD_MARKET = "Our focus for growth is the Midwest, where our customers already are."
NEW_MARKET = "Our focus for growth is the Pacific Northwest, where the new ports are."
EARLIER_RE = re.compile(r"In (?:January|March) 20\d\d I said")


def write_docx(path: Path, header: list[str], sections: list[tuple[str, str]]) -> Path:
    """A .docx memo: routing lines (To/From/Date/Subject), then a heading and a paragraph per section."""
    document = docx.Document()
    for line in header:
        document.add_paragraph(line)
    for heading, text in sections:
        document.add_heading(heading, level=2)
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


@dataclass
class Dated:
    twin: Twin
    old: Source
    new: Source
    viewer: Viewer


@pytest.fixture
def dated(session: Session, settings: Settings, tmp_path: Path) -> Dated:
    """Mara Lind's January 2025 memo (.docx) and March 2026 memo (.md), parsed from files, approved, embedded."""
    twin = store.create_twin(session, "mara", "Mara Lind", title="CEO")
    store.record_consent(session, "mara", by="Mara Lind", scope="internal questions")
    store.update_persona(session, "mara", {"pronoun": "she"})
    old_path = write_docx(tmp_path / "plan-2025.docx",
                          ["To: All staff", "From: Mara Lind", "Date: 20 January 2025", "Subject: Our plan for 2025"],
                          [("Depots", OLD_DEPOTS), ("Docks", OLD_SAFETY), ("Growth", OLD_MARKET)])
    new_path = tmp_path / "update-2026.md"
    new_path.write_text("To: All staff\nFrom: Mara Lind\nDate: March 4, 2026\nSubject: Where we stand\n\n"
                        f"## Depots\n\n{NEW_DEPOTS}\n\n## Docks\n\n{NEW_SAFETY}\n\n## Growth\n\n{NEW_MARKET}\n")
    old = store.add_source(session, twin, parse_path(old_path, speaker_labels=[]), approve=True).source
    new = store.add_source(session, twin, parse_path(new_path, speaker_labels=[]), approve=True).source
    session.flush()
    index_new_sources(session, settings, [old.id, new.id])
    session.flush()
    return Dated(twin, old, new, Viewer.public())


def test_the_files_carry_their_dates(dated: Dated) -> None:
    assert dated.old.date == dt.date(2025, 1, 20) and dated.new.date == dt.date(2026, 3, 4)


def test_a_changed_figure_gives_the_newest_position_first_then_the_earlier_one(session: Session, settings: Settings,
                                                                                 dated: Dated) -> None:
    answer = answer_question(session, settings, "mara", "How many depots are we opening?", dated.viewer)
    assert answer.grounded and answer.mode == "extractive"
    assert answer.answer.startswith("As of the March 2026 memo, we will open 7 new depots"), answer.answer
    assert "In January 2025 I said: “We will open 12 new depots in 2025" in answer.answer
    assert [c.source_id for c in answer.citations] == [dated.new.id, dated.old.id]
    assert [c.date for c in answer.citations] == ["2026-03-04", "2025-01-20"]
    assert answer.answer.index("[1]") < answer.answer.index("[2]")
    assert answer.positions is not None and answer.positions["current"]["source_id"] == dated.new.id
    assert "figures" in answer.positions["reasons"]
    assert answer.to_dict()["basis_label"] == "her words"


@pytest.mark.parametrize(("pronoun", "label"), [(None, "their words"), ("he", "his words"), ("they", "their words")])
def test_the_basis_label_names_the_executive_by_the_personas_pronoun(
        session: Session, settings: Settings, dated: Dated, pronoun: str | None, label: str) -> None:
    if pronoun is None:  # a twin whose curator never chose: "their words", not "her words"
        dated.twin.persona = {k: v for k, v in (dated.twin.persona or {}).items() if k != "pronoun"}
    else:
        store.update_persona(session, "mara", {"pronoun": pronoun})
    session.flush()
    answer = answer_question(session, settings, "mara", "How many depots are we opening?", dated.viewer).to_dict()
    assert answer["basis_label"] == label
    refused = answer_question(session, settings, "mara", "Which football team do you support?", dated.viewer)
    assert refused.to_dict()["basis_label"] == "no answer"


def test_sources_that_agree_never_get_earlier_i_said(session: Session, settings: Settings, dated: Dated) -> None:
    answer = answer_question(session, settings, "mara", "On the docks, what matters more: being quick or being safe?",
                             dated.viewer)
    assert answer.grounded, answer.answer
    assert not EARLIER_RE.search(answer.answer) and "As of the" not in answer.answer
    assert answer.positions is None


def test_a_curators_mark_makes_a_change_of_wording_a_change_of_position(session: Session, settings: Settings,
                                                                          dated: Dated) -> None:
    question = "Where are we focusing our growth?"
    before = answer_question(session, settings, "mara", question, dated.viewer)
    assert before.grounded and before.positions is None, before.answer  # nothing in the words says it changed
    revisions.mark_revised(session, dated.old.id, dated.new.id, actor="curator@example.com", note="new ports")
    after = answer_question(session, settings, "mara", question, dated.viewer)
    assert after.answer.startswith("As of the March 2026 memo, our focus for growth is the Pacific Northwest")
    assert "In January 2025 I said: “Our focus for growth is the Midwest" in after.answer
    assert after.positions is not None and after.positions["marked"] is True
    revisions.unmark_revised(session, dated.old.id, dated.new.id, actor="curator@example.com")
    again = answer_question(session, settings, "mara", question, dated.viewer)
    assert again.positions is None


def test_marks_refuse_what_cannot_be_a_later_position(session: Session, dated: Dated, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not later than"):
        revisions.mark_revised(session, dated.new.id, dated.old.id)
    with pytest.raises(BadInput, match="cannot revise itself"):
        revisions.mark_revised(session, dated.old.id, dated.old.id)
    undated_path = tmp_path / "notes.md"
    undated_path.write_text("## Depots\n\nWe will open 9 new depots, all in the south.\n")
    undated = store.add_source(session, dated.twin, parse_path(undated_path, speaker_labels=[]), approve=True).source
    with pytest.raises(BadInput, match="has no date"):
        revisions.mark_revised(session, dated.old.id, undated.id)
    draft_path = tmp_path / "2026-06-01-draft.md"
    draft_path.write_text("## Depots\n\nWe will open 5 new depots.\n")
    draft = store.add_source(session, dated.twin, parse_path(draft_path, speaker_labels=[])).source
    with pytest.raises(BadInput, match="is draft"):
        revisions.mark_revised(session, dated.old.id, draft.id)
    with pytest.raises(NotFound):
        revisions.unmark_revised(session, dated.old.id, dated.new.id)
    row = revisions.mark_revised(session, dated.old.id, dated.new.id, actor="curator@example.com")
    assert revisions.mark_revised(session, dated.old.id, dated.new.id).id == row.id  # marking twice is one mark
    assert [link.other.id for link in revisions.revised_by(session, dated.old)] == [dated.new.id]
    assert [link.other.id for link in revisions.revises(session, dated.new)] == [dated.old.id]
    actions = [e.action for e in store.list_audit(session, twin_slug="mara")]
    assert "source.position_superseded" in actions


def _numbers(fake: FakeOpenAI, dated: Dated) -> tuple[int, int]:
    """The [n] the model was given for the March 2026 and the January 2025 depot passages."""
    prompt = parse_prompt(fake.last_request["body"]["messages"])
    new = next(n for n, text in prompt.passages.items() if "7 new depots" in text)
    old = next(n for n, text in prompt.passages.items() if "12 new depots in 2025" in text)
    return new, old


QUESTION = "How many depots are we opening?"


def test_the_model_is_told_which_source_is_current_and_may_answer_in_order(
        session: Session, llm_settings: Settings, fake: FakeOpenAI, dated: Dated) -> None:
    answer_question(session, llm_settings, "mara", QUESTION, dated.viewer)
    messages = fake.last_request["body"]["messages"]
    new, old = _numbers(fake, dated)
    assert new < old  # the current position is numbered first
    assert f"[{new}] is the current position" in messages[-1]["content"]
    assert "the newest is the current position" in messages[0]["content"]
    fake.set_mode("scripted", script=f"As of the March 2026 memo, we will open 7 new depots this year, not 12. [{new}] "
                                     f"In January 2025 I said we would open 12 new depots in 2025. [{old}]")
    answer = answer_question(session, llm_settings, "mara", QUESTION, dated.viewer)
    assert answer.mode == "llm", answer.fallback_reason
    assert [c.source_id for c in answer.citations] == [dated.new.id, dated.old.id]
    assert answer.to_dict()["basis_label"] == "her words, rephrased (checked)"


@pytest.mark.parametrize("streamed", [False, True])
def test_a_model_that_puts_the_earlier_position_first_falls_back(
        session: Session, llm_settings: Settings, fake: FakeOpenAI, dated: Dated, streamed: bool) -> None:
    answer_question(session, llm_settings, "mara", QUESTION, dated.viewer)
    new, old = _numbers(fake, dated)
    fake.set_mode("scripted", script=f"We will open 12 new depots in 2025. [{old}] "
                                     f"We will open 7 new depots this year, not 12. [{new}]")
    if streamed:
        events = list(stream_answer(session, llm_settings, "mara", QUESTION, dated.viewer))
        data = events[-1]["data"]
        assert "".join(e["text"] for e in events if e["event"] == "delta") == data["answer"]
    else:
        data = answer_question(session, llm_settings, "mara", QUESTION, dated.viewer).to_dict()
    assert data["mode"] == "extractive" and data["fallback_reason"] == "position_order"
    assert data["answer"].startswith("As of the March 2026 memo")
    assert data["basis_label"] == "her words"


@pytest.mark.parametrize("streamed", [False, True])
def test_a_model_that_leaves_out_the_earlier_position_gets_it_added_in_her_words(
        session: Session, llm_settings: Settings, fake: FakeOpenAI, dated: Dated, streamed: bool) -> None:
    answer_question(session, llm_settings, "mara", QUESTION, dated.viewer)
    new, old = _numbers(fake, dated)
    fake.set_mode("scripted", script=f"As of the March 2026 memo, we will open 7 new depots this year. [{new}]")
    if streamed:
        events = list(stream_answer(session, llm_settings, "mara", QUESTION, dated.viewer))
        data = events[-1]["data"]
        assert "".join(e["text"] for e in events if e["event"] == "delta") == data["answer"]
    else:
        data = answer_question(session, llm_settings, "mara", QUESTION, dated.viewer).to_dict()
    assert data["mode"] == "llm"
    assert data["answer"].endswith(f"In January 2025 I said: “{OLD_DEPOTS}” [{old}]"), data["answer"]
    assert [c["source_id"] for c in data["citations"]] == [dated.new.id, dated.old.id]


def test_figures_and_what_differs_between_statements() -> None:
    assert figures("Free shipping now starts at $75.") == {"$": {75.0}}
    assert figures("three days a week, 4 percent, by 2029") == {"dai": {3.0}, "%": {4.0}, "year": {2029.0}}
    assert differs("Online orders over $50 ship free.", "Free shipping now starts at $75.") == ["figures"]
    assert "polarity" in differs("We will not launch a paid membership program.",
                                 "We are launching a paid membership tier in November.")
    assert "reversal" in differs("We will build a second distribution center in Reno.",
                                 "We are no longer building the Reno distribution center.")
    assert "opposite" in differs("Our stores stay closed on Sundays.", "Our stores open on Sunday afternoons.")
    # Agreeing statements in other words, a negation in one clause only, the same figure.
    assert differs("Safety comes before speed, every shift.",
                   "No shipment is worth an injury: safety still comes before speed.") == []
    assert differs("Employees buy shares at a 15 percent discount.", "The share plan keeps its 15 percent discount.") == []
    assert differs("We don't run outlet stores and we won't start.", "Outlet stores are still not for us.") == []
    # A denial in a subordinate clause, or a double negative, is not a change of position.
    assert differs("Medicare should provide coverage for the cost of prescription drugs.",
                   "No one creating a Medicare program today would think of excluding coverage for prescription "
                   "drugs.") == []
    assert differs("The law guarantees up to 12 weeks of leave to care for a newborn child.",
                   "The law has helped millions care for a newborn without risking their jobs.") == []
    # A denial sharing only two words is weak evidence ("negation"): it counts only between very close statements.
    # A target against a result or progress, unrelated measures, and a narrating earlier sentence are no change.
    assert differs("Our on-time in full target is 97%.", "In the third quarter we delivered 97.1% on time.") == []
    assert differs("Cold chain at 18% of revenue by the end of 2026.", "Cold chain reached 14.2% of revenue.") == []
    assert differs("Calder North ran at 97.4% last October.", "Failed first attempts at Calder North are down 22%.") == []
    assert differs("Three weeks ago I promised to explain why our target is 97%.", "Our target is 98% by 2027.") == []
    assert differs("Cold chain at 18% of revenue by the end of 2026.",
                   "Our working target is cold chain at 24% of revenue by the end of 2028.") == ["figures"]
    assert differs("Cold chain will run to a higher standard.",
                   "Cold chain is running above 98%, because in cold chain 97 is not good enough.") == []
    # Names shared say what both speak of, not what one denies: "Americans … will not be quick" denies nothing here.
    assert differs("It is important for Americans to know this war will not be quick.",
                   "Many Americans have questions about the cost of this war.") == []


def test_what_differs_in_everyday_wording() -> None:
    # A move to a new level is a new position; "From April" is a date, not a change from a figure.
    assert differs("Parental leave is 12 weeks at full pay, for every parent.",
                   "From April, parental leave rises to 20 weeks at full pay.") == ["figures"]
    assert differs("Half of our delivery vans will be electric by 2027.",
                   "All of our delivery vans will be electric by 2027, not half as we first planned.") == ["reversal"]
    # A contrast with something the earlier statement did not say is no reversal; with its figure it is.
    assert differs("Every park contract reprices to the standard floor if the park volume is below the density.",
                   "For the new park we built a density-based floor, rather than buying volume below cost.") == []
    assert "reversal" in differs("We will open 40 new stores in 2025.",
                                 "We will open 25 new stores this year rather than 40.")
    # A figure for each one against a total, and the same measure for each one.
    assert differs("That's roughly thirty million dollars of revenue we didn't have to win again.",
                   "Each point of retention is worth about thirteen million dollars of freight.") == []
    assert differs("Each point is roughly twelve million dollars of freight.",
                   "Each point of retention is worth about thirteen million dollars of freight.") == ["figures"]
    # Labels, conditions, quotes and results deny or change nothing.
    assert differs("We brought wave 1 forward by five months.", "Wave 3 moves to the third quarter of 2026.") == []
    assert differs("For 40% by the end of 2026, the Quay Street upgrade has to land on time.",
                   "If Quay Street's approval isn't in by the end of January, we say so publicly.") == []
    assert differs('Not "most of the pallets arrived".', "Thousands of pallets arrived when they should have.") == []
    assert differs("Nobody will be disciplined for reporting a near miss honestly.",
                   "Near-miss reports more than doubled.") == []
    # Keeping against suspending is an opposite; keeping one thing and stopping another is not.
    assert "opposite" in differs("We will keep paying a dividend every quarter.",
                                 "We are suspending the dividend for the rest of the year.")
    assert differs("A customer who keeps a second carrier is one bad week away from moving the work.",
                   "97 is where our customers told us they stop hedging.") == []
    # "at least" qualifies a figure; the same 60% is no change.
    assert differs("This year we are above 50%, and I want it to be at least 60%.", "This year I want 60%.") == []
    # A denial of something else beside a clause that restates the earlier statement; a bare correction stands.
    assert differs("Our renewal conversations now start with cost to serve, shown openly.",
                   "We do not price below the cost to serve, and our renewal conversations now start with that cost, "
                   "shown openly.") == []
    assert "negation" in differs("I am asking everyone at headquarters to work from the office three days a week.",
                                 "We are moving to two office days a week at headquarters, not three.")


@pytest.mark.parametrize("streamed", [False, True])
def test_a_model_that_gives_the_earlier_position_without_its_date_is_not_shown_so(
        session: Session, llm_settings: Settings, fake: FakeOpenAI, dated: Dated, streamed: bool) -> None:
    answer_question(session, llm_settings, "mara", QUESTION, dated.viewer)
    new, old = _numbers(fake, dated)
    fake.set_mode("scripted", script=f"We will open 7 new depots this year, not 12. [{new}] "
                                     f"We will open 12 new depots, most of them in the Midwest. [{old}]")
    if streamed:  # the current position was sent already: the earlier one follows, dated, in her words
        events = list(stream_answer(session, llm_settings, "mara", QUESTION, dated.viewer))
        data = events[-1]["data"]
        assert data["mode"] == "llm" and "stopped:position_undated" in data["flags"]
        assert data["answer"] == (f"We will open 7 new depots this year, not 12. [{new}] "
                                  f"In January 2025 I said: “{OLD_DEPOTS}” [{old}]")
    else:
        data = answer_question(session, llm_settings, "mara", QUESTION, dated.viewer).to_dict()
        assert data["mode"] == "extractive" and data["fallback_reason"] == "position_undated"
        assert data["answer"].startswith("As of the March 2026 memo")


def test_the_demo_corpus_lists_no_result_progress_or_narrative_as_a_later_position(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    from service.twin.positions import detect_revisions

    why_97 = [(d.earlier_text, d.later_text, d.reasons)
              for d in detect_revisions(session, settings, demo["2024-02-26-why-97-percent.docx"])]
    # "our target is 97%" is not revised by "we delivered 97.1%" (a result), nor "ran at 97.4%" by "down 22%".
    assert not [p for p in why_97 if "97.1%" in p[1] or "22%" in p[1] or "promised to explain" in p[0]], why_97
    # "above 98% … because in cold chain 97 is not good enough" agrees with "cold chain will run to a higher standard".
    assert not [p for p in why_97 if "negation" in p[2] and "98%" in p[1]], why_97
    cold = detect_revisions(session, settings, demo["2024-11-04-why-cold-chain.docx"])
    assert not [d for d in cold if "14.2%" in d.later_text], [d.later_text for d in cold]  # progress, not a target
    assert [d.reasons for d in cold if "24% of revenue by the end of 2028" in d.later_text] == [["figures"]]
    scorecard = detect_revisions(session, settings, demo["2024-07-29-q2-2024-scorecard.docx"])
    assert not [d for d in scorecard if "22%" in d.earlier_text], [d.earlier_text for d in scorecard]


def test_the_demo_corpus_keeps_its_cold_chain_revision_and_none_of_the_false_ones(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    from service.twin.positions import detect_revisions

    found = [(d.earlier_text, d.later_text, d.reasons) for source in demo.values()
             for d in detect_revisions(session, settings, source)]
    assert [r for e, later, r in found if "18% of revenue by the end of 2026" in e
            and "24% of revenue by the end of 2028" in later] == [["figures"]], found
    false = {
        "a word quoted after 'Not'": "most of the pallets arrived",
        "a result ('reports more than doubled')": "Near-miss reports more than doubled",
        "a shared name ('a heroic fix on Calder Dispatch')": "heroic fix",
        "a condition ('If … isn't in by the end of January')": "If Quay Street's approval",
        "a label ('wave 1', 'wave 3')": "wave 1 forward",
        "a sentence cut by a page break": "Page 2 departures",
        "a contrast with something else ('rather than buying volume below cost')": "rather than buying volume",
        "a denial ending in another sentence ('we are not building one. The dispatcher …')": "automatic dispatch",
        "a past narration ('So in 2024 we set ourselves a strategy')": "So in 2024 we set",
        "a total against a figure for each point ('thirty million dollars of revenue')": "thirty million dollars",
        "a dated past action ('in August we approved $9 million')": "in August we approved",
        "a denial of something else beside a restatement ('We do not price below the cost to serve, and…')":
            "We do not price below the cost to serve",
    }
    for why, words in false.items():
        assert not [p for p in found if words in p[0] or words in p[1]], (why, found)
    # The revised cold chain target, wherever it is said again (the annual letter's "• Bring cold chain to 18% of
    # revenue…", a bullet read as its own sentence since PDF bullets are read as bullets), is one revision, true.
    others = [f for f in found if not ("24% of revenue by the end of 2028" in f[1] and "18% of revenue" in f[0])]
    assert len(others) <= 3, found  # 19 before these rules (most of them false)


def test_the_demo_on_time_target_is_answered_plainly_and_the_cold_chain_target_with_its_revision(
        session: Session, settings: Settings, demo: dict[str, Source]) -> None:
    employee = Viewer.public()
    plain = answer_question(session, settings, "dana-reyes", "What is our on-time target?", employee)
    assert plain.grounded and "97%" in plain.answer, plain.answer
    assert plain.positions is None and " I said" not in plain.answer and "As of the" not in plain.answer
    assert "18%" not in plain.answer  # the cold chain revenue target is another point
    curator = Viewer(audiences=frozenset({"everyone", "leadership"}))
    revised = answer_question(session, settings, "dana-reyes", "What is our cold chain revenue target?", curator)
    assert revised.answer.startswith("As of the May 2026 memo, with Kestrel, our working target is cold chain at "
                                     "24% of revenue by the end of 2028."), revised.answer
    assert "In November 2024 I said: “Cold chain at 18% of revenue by the end of 2026" in revised.answer
    assert revised.positions is not None and revised.positions["reasons"] == ["figures"]


def test_a_quoted_statement_keeps_its_own_capitals_after_its_date() -> None:
    from service.twin.positions import _lead

    assert _lead("the November 2024 memo", "Cold chain at 18% of revenue.") == \
        "As of the November 2024 memo: Cold chain at 18% of revenue."
    assert _lead("the March 2026 memo", "We will open 7 new depots.") == "As of the March 2026 memo, we will open 7 new depots."


@pytest.mark.parametrize(("statement", "expected"), [
    ("We will open 7 new depots.", "As of the March 2026 memo, we will open 7 new depots."),
    ("And we will stop describing it as automatic.", "As of the March 2026 memo: And we will stop describing it as automatic."),
    ("Cold chain stays our growth bet.", "As of the March 2026 memo: Cold chain stays our growth bet."),
])
def test_the_dated_lead_never_stitches_a_conjunction_on_after_a_comma(statement: str, expected: str) -> None:
    from service.twin.positions.compose import _lead

    assert _lead("the March 2026 memo", statement) == expected


FIRST_VANS = "We will convert 40% of our city delivery vans to electric by the end of 2026."
REVISED_VANS = ("We will now convert 30% of our city delivery vans to electric by the end of 2026, not 40%, because the "
                "grid connections are late.")
LATEST_VANS = ("We are converting our city delivery vans to electric, and we will do it at the pace the charging, the "
               "routes and the payback allow.")


def test_a_later_statement_of_the_position_leads_though_it_gives_no_figure(session: Session, settings: Settings,
                                                                          world: World) -> None:
    sources = [add_document(session, world.twin, f"{name}.md", [(text, None, True)], title=title, date=date)
               for name, text, title, date in (
                   ("plan", FIRST_VANS, "Fleet plan", dt.date(2024, 1, 15)),
                   ("update", REVISED_VANS, "Fleet update", dt.date(2024, 8, 5)),
                   ("memo", LATEST_VANS, "Fleet memo", dt.date(2025, 6, 2)))]
    session.flush()
    index_new_sources(session, settings, [s.id for s in sources])
    session.flush()
    answer = answer_question(session, settings, "dana", "Are we going to switch all our delivery vans to electric soon?",
                             world.employee)
    # Her newest word on it leads (June 2025), and the figure she changed in August 2024 follows with its date.
    assert answer.answer.startswith("As of the June 2025 memo, we are converting our city delivery vans"), answer.answer
    assert "In August 2024 I said: “We will now convert 30%" in answer.answer
    assert answer.positions is not None and answer.positions["current"]["source_id"] == sources[2].id
