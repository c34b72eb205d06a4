"""/twin through the Flask service: a private answer with sources and buttons, shared on request, channel settings."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.models import Interaction, SlackAnswer, User
from tests.slack.conftest import SlackDriver, World
from tests.slack.fake_slack import FakeSlack, Post


def answer_post(fake: FakeSlack) -> Post:
    return fake.wait_for(lambda f: next((p for p in f.posts if "answer_actions" in p.dumped), None),
                         what="an answer")


def test_twin_answers_only_the_asker_with_numbered_sources_disclaimer_and_buttons(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session, world: World) -> None:
    response = slack.command("/twin", "Why did you choose cold chain?")
    assert response.status_code == 200
    assert "Thinking" in response.get_data(as_text=True)

    post = answer_post(fake_slack)
    assert post.via == "response_url" and post.response_type == "ephemeral" and not post.public
    assert post.raw["unfurl_links"] is False and post.raw["unfurl_media"] is False
    texts = post.block_texts()
    assert texts[0].endswith("Why did you choose cold chain?")
    assert "pharmaceutical customers pay for reliability" in texts[1]
    assert "*[1]* *Why cold chain* · 2023-11-05 · ¶ 1\n> I chose cold chain" in texts[2]
    assert post.blocks[3]["type"] == "context" and "AI twin of Dana Reyes" in texts[3]
    assert post.action_ids() == ["feedback_helpful", "feedback_not_helpful", "share_answer"]

    row = session.scalar(select(Interaction).where(Interaction.id == int(post.button_value("feedback_helpful"))))
    assert row is not None and row.channel == "slack"
    assert row.user_id == store.get_user(session, "employee@example.com").id


def test_the_ack_goes_back_before_the_answer_is_posted(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    fake_slack.hold.clear()  # the response_url does not answer until released
    responses = []
    sender = threading.Thread(target=lambda: responses.append(slack.command("/twin", "Why cold chain?")))
    sender.start()
    sender.join(timeout=20)
    assert not sender.is_alive(), "the slash command was not acknowledged while the answer was still pending"
    assert responses[0].status_code == 200 and "Thinking" in responses[0].get_data(as_text=True)
    assert not fake_slack.posts
    fake_slack.hold.set()
    assert "cold chain" in answer_post(fake_slack).dumped


def test_share_in_channel_posts_the_answer_publicly_and_removes_the_private_copy(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.command("/twin", "Why did you choose cold chain?")
    private = answer_post(fake_slack)

    assert slack.click(private, "share_answer").status_code == 200
    public = fake_slack.wait_for(lambda f: next((p for p in f.posts if p.via == "chat.postMessage"), None))
    assert public.channel == "C_GENERAL" and public.thread_ts is None and public.public
    assert public.raw["unfurl_links"] is False
    assert "Shared by <@U_EMP>" in public.block_texts()[0]
    assert "pharmaceutical customers pay for reliability" in public.dumped
    assert "share_answer" not in public.action_ids()
    fake_slack.wait_for(lambda f: any(p.via == "response_url:delete" for p in f.posts), what="private copy deleted")
    slack.drain()
    interaction_id = int(private.button_value("share_answer"))
    assert session.scalar(select(SlackAnswer.public).where(SlackAnswer.interaction_id == interaction_id)) is True


def test_only_the_asker_can_share_an_answer(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    slack.command("/twin", "Why did you choose cold chain?")
    private = answer_post(fake_slack)
    slack.click(private, "share_answer", user="U_LEAD")
    refusal = fake_slack.wait_for(lambda f: next((p for p in f.posts if "Only the person who asked" in p.dumped),
                                                 None))
    assert refusal.response_type == "ephemeral"
    slack.drain()
    assert not [p for p in fake_slack.posts if p.public]


def test_share_goes_through_the_response_url_when_the_bot_is_not_in_the_channel(
        slack: SlackDriver, fake_slack: FakeSlack) -> None:
    fake_slack.not_in_channel.add("C_GENERAL")
    slack.command("/twin", "Why did you choose cold chain?")
    slack.click(answer_post(fake_slack), "share_answer")
    shared = fake_slack.wait_for(lambda f: next((p for p in f.posts if p.response_type == "in_channel"), None))
    assert "Shared by <@U_EMP>" in shared.dumped and "cold chain" in shared.dumped


def test_twin_without_a_question_explains_the_commands(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    response = slack.command("/twin", "")
    assert response.status_code == 200 and "Thinking" not in response.get_data(as_text=True)
    usage = fake_slack.wait_posts(1)[0]
    assert "/rehearse" in usage.dumped and "/twin config" in usage.dumped


def test_a_second_twin_must_be_named_when_there_is_no_default(slack: SlackDriver, fake_slack: FakeSlack,
                                                             session: Session) -> None:
    twin = store.create_twin(session, "omar", "Omar Lind", title="CFO")
    store.record_consent(session, "omar", by="Omar Lind", scope="internal questions")
    session.commit()
    slack.command("/twin", "Why did you choose cold chain?")
    assert "Which twin?" in fake_slack.wait_posts(1)[0].dumped
    slack.command("/twin", "dana Why did you choose cold chain?")
    assert "pharmaceutical customers" in answer_post(fake_slack).dumped
    assert twin.slug == "omar"


@pytest.mark.parametrize("slack_overrides", [{"SLACK_DEFAULT_TWIN": "dana"}])
def test_admins_set_a_channels_twin_and_keep_its_answers_private(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.command("/twin", "config public=no", user="U_EMP", channel="C_QUIET")
    assert "Only Understudy admins" in fake_slack.wait_posts(1)[0].dumped

    slack.command("/twin", "config twin=dana public=no", user="U_ADMIN", channel="C_QUIET")
    confirmation = fake_slack.wait_posts(2)[1]
    assert "`dana` answers" in confirmation.dumped and "may not be posted" in confirmation.dumped
    admin = session.scalar(select(User).where(User.email == "admin@example.com"))
    assert admin is not None and admin.slack_user_id == "U_ADMIN"

    slack.command("/twin", "Why did you choose cold chain?", channel="C_QUIET")
    private = answer_post(fake_slack)
    assert "share_answer" not in private.action_ids()
    forged = private.button_value("feedback_helpful")  # a stale or forged share button is refused too
    slack.click(private, "share_answer", channel="C_QUIET", value=forged)
    fake_slack.wait_for(lambda f: any("cannot be posted publicly" in p.dumped for p in f.posts))

    slack.mention("Why did you choose cold chain?", channel="C_QUIET", ts="1700000200.000100")
    reply = fake_slack.wait_for(lambda f: next((p for p in f.posts if p.via == "chat.postEphemeral"), None))
    assert reply.user == "U_EMP" and reply.thread_ts == "1700000200.000100" and reply.channel == "C_QUIET"
    slack.drain()
    assert not [p for p in fake_slack.posts if p.public]


@pytest.mark.parametrize("slack_overrides", [{"RATELIMIT_ASK": "2/minute"}])
def test_slack_questions_spend_from_the_same_allowance_as_the_api(slack: SlackDriver, fake_slack: FakeSlack,
                                                                  flask_app, session: Session) -> None:
    token = store.rotate_token(session, "employee@example.com")
    session.commit()
    slack.command("/twin", "Why did you choose cold chain?")
    slack.mention("dana Why did you choose cold chain?", ts="1700000200.000100")
    slack.drain()
    answers = [p for p in fake_slack.posts if "answer_actions" in p.dumped]
    assert len(answers) == 2
    slack.command("/twin", "Why did you choose cold chain?")
    slack.drain()
    assert "too many requests" in fake_slack.posts[-1].dumped
    assert len([p for p in fake_slack.posts if "answer_actions" in p.dumped]) == 2
    api = flask_app.test_client().post("/api/v1/twins/dana/ask", json={"question": "Why cold chain?"},
                                       headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 429


def test_the_answer_says_what_it_stands_on(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    slack.command("/twin", "Why did you choose cold chain?")
    texts = answer_post(fake_slack).block_texts()
    assert "*Stands on:* their words" in texts  # the persona's pronoun, "they" until a curator sets she or he
    fake_slack.posts.clear()
    slack.command("/twin", "What is our policy on moon bases?")
    assert "*Stands on:* no answer" in answer_post(fake_slack).block_texts()
