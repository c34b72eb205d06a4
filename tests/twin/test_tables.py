"""A memo's table beside the answer: shown when the question asks for what it lays out, as rows, never as speech."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from sqlalchemy.orm import Session

from ingestion.pipeline import parse_path
from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Source
from service.search.index import refresh_search_statistics
from service.search.vectors import index_new_sources
from service.twin.engine import answer_question, stream_answer
from service.twin.tables import SourceTable, cells, fitting_table, names_in, row_line
from tests.twin.conftest import hit

DEPOTS = [("Northgate", "310", "28%", "60%"), ("Eastfield", "260", "31%", "55%"), ("Quayside", "140", "10%", "45%"),
          ("Ashfield Road", "190", "6%", "20%"), ("Marlow Cross", "120", "0%", "10%"), ("Bridgewater", "95", "4%", "25%"),
          ("Kingsmoor", "88", "12%", "30%"), ("Harbour Lane", "76", "9%", "35%"), ("Westbrook", "64", "3%", "15%"),
          ("Elm Park", "58", "14%", "40%"), ("Stonebridge", "51", "0%", "12%"), ("Fairview", "47", "7%", "22%"),
          ("Oakhurst", "40", "5%", "18%"), ("Millbank", "33", "0%", "10%"), ("Redcliffe", "29", "2%", "14%"),
          ("Sandown", "25", "8%", "20%"), ("Thornbury", "22", "0%", "9%"), ("Whitmore", "18", "6%", "16%")]
PLAN = ("We will electrify the city van fleet depot by depot, where the routes, the power supply and the payback "
        "line up. A depot without a grid connection gets no electric vans, because a van that cannot charge earns "
        "nothing.")


def write_fleet_memo(path: Path) -> Path:
    """A .docx memo with a section of prose and a long table of depots (long enough to span several passages)."""
    document = docx.Document()
    document.add_heading("Why we electrify depot by depot", level=2)
    document.add_paragraph(PLAN)
    document.add_heading("Where each depot stands", level=2)
    table = document.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, ("Depot", "City vans", "Electric today", "Electric by 2026"),
                          strict=True):
        cell.text = text
    for row in DEPOTS:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def fleet(session: Session, settings: Settings, tmp_path: Path) -> Source:
    """Mara Lind's fleet memo, parsed from its .docx, approved and embedded."""
    twin = store.create_twin(session, "mara", "Mara Lind", title="CEO")
    store.record_consent(session, "mara", by="Mara Lind", scope="internal questions")
    memo = store.add_source(session, twin, parse_path(write_fleet_memo(tmp_path / "fleet.docx"), speaker_labels=[]),
                            approve=True).source
    session.flush()
    index_new_sources(session, settings, [memo.id])
    refresh_search_statistics(session)
    session.flush()
    return memo


def test_a_row_reads_as_its_label_and_its_columns_named() -> None:
    assert cells("Northgate | 310 | 28% | 60%") == ["Northgate", "310", "28%", "60%"]
    header = ["Depot", "City vans", "Electric today", "Electric by 2026"]
    assert row_line(header, ["Northgate", "310", "28%", "60%"]) == \
        "Northgate — City vans: 310; Electric today: 28%; Electric by 2026: 60%"
    assert row_line(header, ["Total"]) == "Total"
    assert names_in("How many electric vans will Calder North have by 2026?") >= {"calder", "north", "2026"}
    assert not names_in("What counts as a serious incident that I need to report?")


def test_asked_what_a_table_lays_out_the_answer_shows_its_rows(session: Session, settings: Settings,
                                                                fleet: Source) -> None:
    table_passages = [p for p in fleet.passages if "Northgate" in p.text or "Whitmore" in p.text]
    assert table_passages, "the table was stored"
    answer = answer_question(session, settings, "mara", "Which depots have electric vans today?", Viewer.public())
    assert answer.grounded
    assert "Where each depot stands" in answer.answer, answer.answer
    # Every row, the ones a later passage holds too, each with its columns named; never a raw row with its bars.
    for depot, vans, today, _ in DEPOTS:
        assert f"- {depot} — City vans: {vans}; Electric today: {today};" in answer.answer, answer.answer
    assert "|" not in answer.answer
    # Each passage the rows come from is cited with the rows it holds, word for word.
    cited = {c.passage_id: c for c in answer.citations}
    shown = [p for p in fleet.passages if " | " in p.text]
    assert {p.id for p in shown if any(d[0] in p.text for d in DEPOTS)} <= set(cited)
    for p in shown:
        if p.id in cited:
            assert all(line in p.text for line in cited[p.id].quote.splitlines())


def test_a_named_row_is_shown_alone(session: Session, settings: Settings, fleet: Source) -> None:
    answer = answer_question(session, settings, "mara", "How many of the vans at Eastfield will be electric by 2026?",
                             Viewer.public())
    assert answer.grounded
    assert "- Eastfield — City vans: 260; Electric today: 31%; Electric by 2026: 55%" in answer.answer, answer.answer
    assert "Northgate" not in answer.answer and "Whitmore" not in answer.answer


def test_a_question_the_table_does_not_lay_out_gets_no_rows(session: Session, settings: Settings,
                                                            fleet: Source) -> None:
    answer = answer_question(session, settings, "mara", "Why don't we buy electric vans for every depot now?",
                             Viewer.public())
    assert answer.grounded and "cannot charge" in answer.answer, answer.answer
    assert "Where each depot stands" not in answer.answer and "\n" not in answer.answer


def test_a_streamed_answer_with_rows_reads_the_same(session: Session, settings: Settings, fleet: Source) -> None:
    events = list(stream_answer(session, settings, "mara", "Which depots have electric vans today?",
                                Viewer.public()))
    text = "".join(e["text"] for e in events if e["event"] == "delta")
    final = events[-1]["data"]
    assert text == final["answer"] and "\n- Northgate — City vans: 310" in text


def test_a_header_cell_that_only_names_the_rows_kind_does_not_make_the_table_fit() -> None:
    # A trial: "How do you measure whether a depot is doing well?" was answered with a promotions table whose first
    # column is headed "Measure" and whose one row names depot managers.
    part = hit("Measure | 2023 | 2024\nDepot manager roles filled internally | 40% | 50%\n"
               "Drivers Academy graduates | 52 | 88", title="Promote From the Dock")
    table = SourceTable(heading="Where we are", header=["Measure", "2023", "2024"],
                        rows=[(["Depot manager roles filled internally", "40%", "50%"], part),
                              (["Drivers Academy graduates", "52", "88"], part)], passages=[part])
    assert fitting_table("How do you measure whether a depot is doing well?", [table]) is None
    found = fitting_table("How many depot manager roles were filled internally in 2024?", [table])
    assert found is not None and [row[0] for row, _ in found[1]] == ["Depot manager roles filled internally"]
