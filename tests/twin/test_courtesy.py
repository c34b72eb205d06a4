"""Thanks, greetings and acknowledgements are told apart from questions."""

from __future__ import annotations

import pytest

from service.twin.courtesy import courtesy_reply, without_address


@pytest.mark.parametrize("message", ["thanks!", "Thank you so much, Dana", "Cheers", "hi", "Good morning Dana!",
                                     "ok great", "great, got it"])
def test_courtesies_get_a_reply_in_kind(message: str) -> None:
    assert courtesy_reply(message, "Dana Reyes") is not None


@pytest.mark.parametrize("message", ["thanks, and what about 98?", "Thanks. Why cold chain?",
                                     "Great work on the depot plan, what comes next for Calder North"])
def test_anything_that_asks_or_says_more_is_a_question(message: str) -> None:
    assert courtesy_reply(message) is None


@pytest.mark.parametrize(("message", "question"), [
    ("Hey Dana, why did we go into cold chain in the first place?", "why did we go into cold chain in the first place?"),
    ("Hi Dana! What is the remote work policy?", "What is the remote work policy?"),
    ("Good morning Dana Reyes: why 97?", "why 97?"),
    ("Hello! Why 97?", "Why 97?"),
    ("Why do we promote from the dock, Dana?", "Why do we promote from the dock?"),
])
def test_a_question_is_answered_without_the_greeting_it_is_addressed_with(message: str, question: str) -> None:
    assert without_address(message, "Dana Reyes") == question


@pytest.mark.parametrize("message", ["Hey team, why 97?", "Why did Dana choose cold chain?", "Hey Dana",
                                     "Danaher bid too, why?"])
def test_words_that_are_not_an_address_stay(message: str) -> None:
    assert without_address(message, "Dana Reyes") == message
