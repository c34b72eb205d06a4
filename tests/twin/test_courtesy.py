"""Thanks, greetings and acknowledgements are told apart from questions."""

from __future__ import annotations

import pytest

from service.twin.courtesy import courtesy_reply


@pytest.mark.parametrize("message", ["thanks!", "Thank you so much, Dana", "Cheers", "hi", "Good morning Dana!",
                                     "ok great", "great, got it"])
def test_courtesies_get_a_reply_in_kind(message: str) -> None:
    assert courtesy_reply(message, "Dana Reyes") is not None


@pytest.mark.parametrize("message", ["thanks, and what about 98?", "Thanks. Why cold chain?",
                                     "Great work on the depot plan, what comes next for Calder North"])
def test_anything_that_asks_or_says_more_is_a_question(message: str) -> None:
    assert courtesy_reply(message) is None
