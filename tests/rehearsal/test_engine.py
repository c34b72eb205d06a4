"""The end of a rehearsal: its summary lists each point once."""

from __future__ import annotations

from types import SimpleNamespace

from service.rehearsal.engine import build_summary


def test_an_answered_question_worded_as_a_strong_criterion_is_one_row_of_the_summary() -> None:
    drivers = "How does this affect the drivers?"
    criteria = [{"label": drivers, "score": 5, "reason": "2 mentions (“drivers”)."},
                {"label": "What's the ask?", "score": 5, "reason": "States a concrete ask."}]
    history = [{"question": drivers, "accepted": True, "reply": "Dispatchers stay on shift to pull a plan back."},
               {"question": "What's the ask, exactly?", "accepted": True, "reply": "A three-month trial."}]
    row = SimpleNamespace(result={"scorecard": {"criteria": criteria, "total": 10, "max": 10}}, round=1)
    summary = build_summary(row, {"history": history, "queue": []}, SimpleNamespace(items=[]), None)
    points = [p["point"] for p in summary["strong"]]
    assert points.count(drivers) == 1, points
    row_of = next(p for p in summary["strong"] if p["point"] == drivers)
    assert row_of == {"point": drivers, "detail": "Your answer: Dispatchers stay on shift to pull a plan back.",
                      "round": True}
    assert "What's the ask?" in points  # a strong criterion worded otherwise keeps its row
    assert "What's the ask, exactly?" in points  # a question worded otherwise keeps its own row

