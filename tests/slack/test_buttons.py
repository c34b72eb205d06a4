"""Helpful / not helpful with a reason in a modal, and "Show sources" for answers with many sources."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus.models import Interaction
from slack_app import blocks as ui
from tests.slack.conftest import SlackDriver
from tests.slack.fake_slack import FakeSlack, Post


def first_answer(fake: FakeSlack) -> Post:
    return fake.wait_for(lambda f: next((p for p in f.posts if "answer_actions" in p.dumped), None))


def feedback_of(session: Session, interaction_id: int) -> tuple[str | None, str | None]:
    session.expire_all()
    row = session.get(Interaction, interaction_id)
    assert row is not None
    return row.feedback, row.feedback_reason


def test_helpful_is_recorded_at_once_and_a_reason_can_follow(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.command("/twin", "Why did you choose cold chain?")
    post = first_answer(fake_slack)
    interaction_id = int(post.button_value("feedback_helpful"))

    assert slack.click(post, "feedback_not_helpful").status_code == 200
    view = fake_slack.wait_for(lambda f: f.views[0] if f.views else None, what="the feedback modal")
    assert view["callback_id"] == ui.FEEDBACK_VIEW and view["trigger_id"].startswith("trigger-")
    assert "not helpful" in view["blocks"][0]["text"]["text"]
    assert feedback_of(session, interaction_id) == ("not_helpful", None)

    values = {ui.REASON_BLOCK: {ui.REASON_ACTION: {"type": "plain_text_input", "value": "It missed the pilot."}}}
    response = slack.submit_view(view, values)
    assert response.status_code == 200 and response.get_data(as_text=True) == ""  # the modal closes
    slack.drain()
    assert feedback_of(session, interaction_id) == ("not_helpful", "It missed the pilot.")


def test_only_the_asker_can_rate_an_answer(slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.mention("Why did you choose cold chain?")
    post = first_answer(fake_slack)
    slack.click(post, "feedback_helpful", user="U_LEAD")
    refusal = fake_slack.wait_for(lambda f: next((p for p in f.posts if "Only the person who asked" in p.dumped),
                                                 None))
    assert refusal.via == "response_url" and refusal.response_type == "ephemeral"
    assert not fake_slack.views
    assert feedback_of(session, int(post.button_value("feedback_helpful"))) == (None, None)


def test_show_sources_opens_them_in_a_modal(slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.mention("Why did you choose cold chain?")
    post = first_answer(fake_slack)
    interaction_id = post.button_value("feedback_helpful")
    slack.click(post, "show_sources", user="U_LEAD", value=interaction_id)  # a public answer: anyone may
    view = fake_slack.wait_for(lambda f: f.views[0] if f.views else None, what="the sources modal")
    assert view["type"] == "modal" and view["title"]["text"] == "Sources"
    assert "*[1]* *Why cold chain*" in view["blocks"][1]["text"]["text"]

    slack.command("/twin", "What about your list prices?", user="U_EMP")
    private = fake_slack.wait_for(lambda f: next((p for p in f.posts if p.via == "response_url"), None))
    slack.click(private, "show_sources", user="U_LEAD", value=private.button_value("feedback_helpful"))
    fake_slack.wait_for(lambda f: any("someone else's private answer" in p.dumped for p in f.posts))
    assert len(fake_slack.views) == 1
    assert session.scalar(select(Interaction.feedback)) is None


def citation(n: int, quote: str = "We keep our promises to customers.") -> dict:
    return {"n": n, "source_id": n, "title": f"Memo {n}", "date": f"2024-01-0{n % 9 + 1}",
            "locator": f"p. {n}", "quote": quote}


def test_many_sources_fold_behind_show_sources() -> None:
    answer = {"answer": "Here is where I land. [1] [2] [3] [4] [5]", "citations": [citation(n) for n in range(1, 6)],
              "disclaimer": "AI twin."}
    blocks = ui.answer_blocks(answer, twin_name="Dana Reyes", interaction_id=7, can_share=False)
    folded = next(b for b in blocks if b.get("accessory"))
    assert folded["accessory"]["action_id"] == ui.SOURCES_ACTION and folded["accessory"]["value"] == "7"
    assert folded["text"]["text"].startswith("*5 sources:* Memo 1; Memo 2")
    assert "We keep our promises" not in str(blocks)
    view = ui.sources_view(answer, "Dana Reyes")
    assert all(f"*[{n}]* *Memo {n}*" in str(view["blocks"]) for n in range(1, 6))

    few = {**answer, "citations": [citation(1), citation(2)]}
    inline = ui.answer_blocks(few, twin_name="Dana Reyes", interaction_id=7, can_share=True)
    assert not any(b.get("accessory") for b in inline)
    assert "> We keep our promises to customers." in str(inline)

    long_quotes = {**answer, "citations": [citation(1, "word " * 400)]}
    assert any(b.get("accessory") for b in ui.answer_blocks(long_quotes, twin_name="D", interaction_id=1,
                                                            can_share=False))


def test_blocks_stay_within_slacks_limits() -> None:
    huge = {"answer": "x" * 10_000, "citations": [citation(n, "y" * 5000) for n in range(1, 80)],
            "disclaimer": "z" * 5000}
    blocks = ui.answer_blocks(huge, twin_name="Dana", interaction_id=1, can_share=True, question="q" * 5000)
    assert len(blocks) <= ui.MESSAGE_BLOCKS
    assert all(len(t["text"]) <= ui.SECTION_CHARS for b in blocks for t in
               ([b["text"]] if b.get("text") else []) + list(b.get("elements", [])) if t.get("type") == "mrkdwn")
    view = ui.sources_view(huge, "Dana")
    assert len(view["blocks"]) <= ui.MODAL_BLOCKS
    assert all(len(b["text"]["text"]) <= ui.SECTION_CHARS for b in view["blocks"] if b["type"] == "section")


def test_a_curator_who_finds_an_answer_unhelpful_is_told_where_to_correct_it(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.command("/twin", "Why did you choose cold chain?", user="U_ADMIN")
    post = first_answer(fake_slack)
    assert slack.click(post, "feedback_not_helpful", user="U_ADMIN").status_code == 200
    view = fake_slack.wait_for(lambda f: f.views[0] if f.views else None, what="the feedback modal")
    assert "Correct the answer…" in view["blocks"][-1]["text"]["text"]


def test_an_employee_is_not_sent_to_the_console(slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.command("/twin", "Why did you choose cold chain?")
    post = first_answer(fake_slack)
    slack.click(post, "feedback_not_helpful")
    view = fake_slack.wait_for(lambda f: f.views[0] if f.views else None, what="the feedback modal")
    assert "Correct the answer" not in json.dumps(view)
