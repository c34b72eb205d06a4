"""Who a Slack user is: matched by e-mail then by stored id; strangers get the default audience or a refusal;
a source for leadership is quoted only privately, and only to someone in leadership."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.models import Interaction, User
from tests.slack.conftest import SlackDriver, World
from tests.slack.fake_slack import FakeSlack, Post

ROTTERDAM_QUESTION = "What has the board approved for the winter season?"
ROTTERDAM_QUOTE = "distribution hub near Rotterdam"


def answer_posts(fake: FakeSlack, count: int) -> list[Post]:
    return fake.wait_for(lambda f: (lambda found: found if len(found) >= count else None)(
        [p for p in f.posts if "answer_actions" in p.dumped]), what=f"{count} answers")


def test_a_slack_user_is_matched_by_email_once_then_by_stored_id(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.command("/twin", "Why did you choose cold chain?", user="U_LEAD")
    answer_posts(fake_slack, 1)
    slack.command("/twin", "What about your list prices?", user="U_LEAD")
    answer_posts(fake_slack, 2)
    assert [c.args["user"] for c in fake_slack.calls_to("users.info")] == ["U_LEAD"]
    leader = store.get_user(session, "leader@example.com")
    session.refresh(leader)
    assert leader.slack_user_id == "U_LEAD"
    assert {row.user_id for row in session.scalars(select(Interaction))} == {leader.id}


def test_an_unknown_user_is_answered_from_sources_for_everyone(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.command("/twin", "Why did you choose cold chain?", user="U_STRANGER")
    assert "pharmaceutical customers" in answer_posts(fake_slack, 1)[0].dumped
    slack.command("/twin", ROTTERDAM_QUESTION, user="U_STRANGER")
    assert ROTTERDAM_QUOTE not in answer_posts(fake_slack, 2)[1].dumped
    assert [row.user_id for row in session.scalars(select(Interaction))] == [None, None]
    assert session.scalar(select(User).where(User.slack_user_id == "U_STRANGER")) is None


@pytest.mark.parametrize("slack_overrides", [{"SLACK_UNKNOWN_USERS": "refuse"}])
def test_an_unknown_user_gets_a_polite_refusal_when_so_configured(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.command("/twin", "Why did you choose cold chain?", user="U_STRANGER")
    refusal = fake_slack.wait_posts(1)[0]
    assert refusal.response_type == "ephemeral"
    assert "Sorry" in refusal.dumped and "Understudy account" in refusal.dumped
    slack.mention("Why did you choose cold chain?", user="U_NOBODY")  # users.info knows nothing of them
    second = fake_slack.wait_posts(2)[1]
    assert second.via == "chat.postEphemeral" and second.user == "U_NOBODY" and "Understudy account" in second.dumped
    slack.command("/twin", "Why did you choose cold chain?", user="U_EMP")
    assert "pharmaceutical customers" in answer_posts(fake_slack, 1)[0].dumped
    assert session.scalar(select(Interaction.user_id)) == store.get_user(session, "employee@example.com").id


def test_a_switched_off_account_is_refused(slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    store.update_user(session, "employee@example.com", active=False)
    session.commit()
    slack.command("/twin", "Why did you choose cold chain?", user="U_EMP")
    assert "switched off" in fake_slack.wait_posts(1)[0].dumped
    assert session.scalar(select(Interaction.id)) is None


def test_a_leadership_source_is_never_quoted_to_someone_outside_leadership(
        slack: SlackDriver, fake_slack: FakeSlack) -> None:
    slack.command("/twin", ROTTERDAM_QUESTION, user="U_EMP")
    slack.dm(ROTTERDAM_QUESTION, user="U_EMP", ts="1700000800.000100")
    slack.mention(ROTTERDAM_QUESTION, user="U_EMP", ts="1700000801.000100")
    posts = answer_posts(fake_slack, 3)
    assert all(ROTTERDAM_QUOTE not in p.dumped for p in posts)
    assert all("Board minutes" not in p.dumped for p in posts)


def test_a_leaders_restricted_answer_stays_private(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    slack.command("/twin", ROTTERDAM_QUESTION, user="U_LEAD")
    private = answer_posts(fake_slack, 1)[0]
    assert ROTTERDAM_QUOTE in private.dumped and "Board minutes" in private.dumped
    assert not private.public and "share_answer" not in private.action_ids()

    interaction_id = private.button_value("feedback_helpful")
    slack.click(private, "share_answer", user="U_LEAD", value=interaction_id)
    refusal = fake_slack.wait_for(lambda f: next((p for p in f.posts if "stays private" in p.dumped), None))
    assert refusal.response_type == "ephemeral"

    # In a channel, everyone reads the answer: it stands only on what everyone may see.
    slack.mention(ROTTERDAM_QUESTION, user="U_LEAD", ts="1700000900.000100")
    public = fake_slack.wait_for(lambda f: next((p for p in f.posts if p.via == "chat.postMessage"), None))
    assert public.thread_ts == "1700000900.000100" and ROTTERDAM_QUOTE not in public.dumped

    # In a direct message only they read it.
    slack.dm(ROTTERDAM_QUESTION, user="U_LEAD", ts="1700000901.000100")
    dm = fake_slack.wait_for(lambda f: next((p for p in f.posts if p.channel == "D_LEAD"), None))
    assert ROTTERDAM_QUOTE in dm.dumped
    slack.drain()
    assert all(ROTTERDAM_QUOTE not in p.dumped for p in fake_slack.posts if p.public and p.channel != "D_LEAD")


def test_an_answer_composed_with_a_restricted_passage_in_view_is_not_shared(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session, world: World) -> None:
    # A model saw the leadership passage but cited only a public one: the answer still may not go public.
    public, restricted = world.sources["pricing"], world.sources["rotterdam"]
    leader = store.get_user(session, "leader@example.com")
    row = store.record_interaction(
        session, twin=world.twin, user_id=leader.id, question="prices?", answer="Prices stay flat. [1]",
        conversation_id="c1", passages=[{"passage_id": 1, "source_id": public.id, "version": 1, "n": 1},
                                        {"passage_id": 2, "source_id": restricted.id, "version": 1, "n": None}],
        mode="llm", grounded=True, latency_ms=1.0, channel="slack")
    citation = {"n": 1, "source_id": public.id, "title": "Pricing memo", "date": None, "locator": "¶ 1",
                "quote": "Our list prices stay flat through next year."}
    store.save_slack_answer(session, row.id, slack_user_id="U_LEAD", channel_id="C_GENERAL", public=False,
                            twin_name="Dana Reyes", payload={"answer": row.answer, "citations": [citation],
                                                             "disclaimer": "AI twin.", "twin_slug": "dana"})
    store.link_slack_user(session, leader, "U_LEAD")
    session.commit()
    post = Post(via="response_url", channel=None, thread_ts=None, user=None, text="", blocks=[])
    slack.click(post, "share_answer", user="U_LEAD", value=str(row.id))
    fake_slack.wait_for(lambda f: any("stays private" in p.dumped for p in f.posts))
    slack.drain()
    assert not [p for p in fake_slack.posts if p.public]
