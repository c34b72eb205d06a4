"""Thanks, greetings and acknowledgements are told apart from questions."""

from __future__ import annotations

import pytest

from service.twin.courtesy import asked_of_them, courtesy_reply, request_reply, without_address


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


@pytest.mark.parametrize(("message", "name", "question"), [
    ("What questions will Dana ask me in a meeting?", "Dana Reyes", "What questions will you ask me in a meeting?"),
    ("What does Dana Reyes think about electric vans?", "Dana Reyes", "What do you think about electric vans?"),
    ("Is Dana OK with remote work?", "Dana Reyes", "Are you OK with remote work?"),
    ("What's Dana's view on anchor days?", "Dana Reyes", "What's your view on anchor days?"),
    ("What did President Obama say about Iraq?", "Barack Obama", "What did you say about Iraq?"),
    ("Obama said what about health care?", "Barack Obama", "You said what about health care?"),
])
def test_a_question_about_the_executive_is_put_to_them(message: str, name: str, question: str) -> None:
    assert asked_of_them(message, name) == question


@pytest.mark.parametrize(("message", "name"), [
    ("What did you think of Michelle Obama?", "Barack Obama"),  # another person of that name
    ("Did Jeb Bush run in 2016?", "George W. Bush"),
    ("What will the bill do for farmers?", "Bill Clinton"),  # a word, not the name
    ("Danaher bid too, why?", "Dana Reyes"),
])
def test_other_people_and_words_like_the_name_stay(message: str, name: str) -> None:
    assert asked_of_them(message, name) == message


@pytest.mark.parametrize("message", ["Can you approve my leave request for next week?", "Could you sign off my expenses?",
                                     "Please approve my holiday", "can you book me a van for Friday?",
                                     "Could you move me to the day shift?", "Can you process my refund?"])
def test_a_request_to_act_gets_a_reply_that_the_twin_cannot_act(message: str) -> None:
    reply = request_reply(message, "Dana Reyes")
    assert reply is not None and "can't act" in reply and "Dana Reyes" in reply


@pytest.mark.parametrize("message", ["Will you sign the bill to raise the minimum wage?", "Would you approve the pipeline?",
                                     "Can you give me an example of a good pitch?", "Will you give us a tax cut?",
                                     "Can you explain our pricing to me?", "Can you tell me why we chose cold chain?"])
def test_a_question_about_her_stance_or_asking_her_to_explain_is_no_request(message: str) -> None:
    assert request_reply(message, "Dana Reyes") is None
