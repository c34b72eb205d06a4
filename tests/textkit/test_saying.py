"""Counts and durations as people say them."""

from __future__ import annotations

import pytest

from textkit.saying import counted, spoken_duration


def test_a_count_agrees_with_its_noun() -> None:
    assert [counted(n, "sentence") for n in (0, 1, 2)] == ["0 sentences", "1 sentence", "2 sentences"]
    assert counted(1, "person", "people") == "1 person" and counted(3, "person", "people") == "3 people"


@pytest.mark.parametrize(("minutes", "said"), [
    (0.02, "about 5 seconds"), (0.5, "about 30 seconds"), (0.9, "about 55 seconds"), (1.0, "about 1 minute"),
    (1.1, "about 1 minute"), (1.5, "about 1.5 minutes"), (2.04, "about 2 minutes"), (2.3, "about 2.5 minutes"),
    (12.4, "about 12 minutes"),
])
def test_a_speaking_time_is_said_in_seconds_or_whole_and_half_minutes(minutes: float, said: str) -> None:
    assert spoken_duration(minutes) == said
