"""Mentions and direct messages: threads, conversations, retries, signatures and Slack's rate limits."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus.models import Interaction, SlackThread
from tests.slack.conftest import SlackDriver
from tests.slack.fake_slack import FakeSlack


def interactions(session: Session) -> list[Interaction]:
    session.expire_all()
    return list(session.scalars(select(Interaction).order_by(Interaction.id)))


def test_a_mention_is_answered_in_its_thread_for_the_channel(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    assert slack.mention("Why did you choose cold chain?", ts="1700000300.000100").status_code == 200
    post = fake_slack.wait_posts(1)[0]
    assert post.via == "chat.postMessage" and post.public
    assert post.channel == "C_GENERAL" and post.thread_ts == "1700000300.000100"
    assert post.raw["unfurl_links"] is False and post.raw["unfurl_media"] is False
    assert "pharmaceutical customers pay for reliability" in post.block_texts()[0]
    assert "*[1]* *Why cold chain*" in post.block_texts()[1]
    assert "AI twin of Dana Reyes" in post.block_texts()[2]
    assert post.action_ids() == ["feedback_helpful", "feedback_not_helpful"]


def test_a_follow_up_mention_in_the_thread_continues_the_conversation(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.mention("Why did you choose cold chain?", ts="1700000400.000100")
    fake_slack.wait_posts(1)
    slack.mention("What about your list prices next year?", ts="1700000401.000100", thread_ts="1700000400.000100")
    second = fake_slack.wait_posts(2)[1]
    assert second.thread_ts == "1700000400.000100"
    assert "list prices stay flat" in second.dumped
    first_row, second_row = interactions(session)
    assert first_row.conversation_id == second_row.conversation_id


def test_direct_messages_hold_one_conversation_per_thread(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.dm("Why did you choose cold chain?", ts="1700000500.000100")
    first = fake_slack.wait_posts(1)[0]
    assert first.via == "chat.postMessage" and first.channel == "D_EMP" and first.thread_ts == "1700000500.000100"
    assert "pharmaceutical customers" in first.dumped

    slack.dm("What about your list prices next year?", ts="1700000501.000100", thread_ts="1700000500.000100")
    follow_up = fake_slack.wait_posts(2)[1]
    assert follow_up.thread_ts == "1700000500.000100" and "list prices stay flat" in follow_up.dumped

    slack.dm("What about your list prices?", ts="1700000600.000100")
    fresh = fake_slack.wait_posts(3)[2]
    assert fresh.thread_ts == "1700000600.000100"

    rows = interactions(session)
    assert rows[0].conversation_id == rows[1].conversation_id != rows[2].conversation_id
    threads = {t.thread_ts: t.conversation_id for t in session.scalars(select(SlackThread))}
    assert threads == {"1700000500.000100": rows[0].conversation_id, "1700000600.000100": rows[2].conversation_id}


def test_a_retried_event_is_answered_once(slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    assert slack.mention("Why did you choose cold chain?", event_id="EvSAME").status_code == 200
    assert slack.mention("Why did you choose cold chain?", event_id="EvSAME", retry=1).status_code == 200
    assert slack.mention("Why did you choose cold chain?", event_id="EvSAME", retry=2).status_code == 200
    fake_slack.wait_posts(1)
    slack.drain()
    assert len(fake_slack.posts) == 1
    assert len(interactions(session)) == 1


def test_a_bad_signature_is_refused_with_401(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    body = slack.event_body({"type": "app_mention", "user": "U_EMP", "text": "<@UBOT> hi", "ts": "1.1",
                             "channel": "C_GENERAL"})
    assert slack.signed(body, "application/json", secret="not-the-secret").status_code == 401
    unsigned = slack.client.post("/slack/events", data=body, content_type="application/json")
    assert unsigned.status_code == 401
    assert slack.command("/twin", "Why cold chain?", secret="not-the-secret").status_code == 401
    slack.drain()
    assert not fake_slack.posts


def test_a_stale_timestamp_is_refused_with_401(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    stale = int(time.time()) - 6 * 60
    assert slack.command("/twin", "Why cold chain?", timestamp=stale).status_code == 401
    body = slack.event_body({"type": "app_mention", "user": "U_EMP", "text": "<@UBOT> hi", "ts": "1.1",
                             "channel": "C_GENERAL"})
    assert slack.signed(body, "application/json", timestamp=stale).status_code == 401
    slack.drain()
    assert not fake_slack.posts


def test_the_apps_own_and_other_bots_messages_are_ignored(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    for event in ({"type": "message", "channel_type": "im", "channel": "D_EMP", "user": "UBOT", "bot_id": "BBOT",
                   "text": "an answer of ours", "ts": "1700000700.000100"},
                  {"type": "message", "channel_type": "im", "channel": "D_EMP", "user": "U_OTHER", "bot_id": "B2",
                   "text": "another bot", "ts": "1700000701.000100"},
                  {"type": "message", "subtype": "message_changed", "channel_type": "im", "channel": "D_EMP",
                   "ts": "1700000702.000100"}):
        assert slack.event(event).status_code == 200
    slack.drain()
    assert not fake_slack.posts


def test_a_429_from_slack_is_retried_after_retry_after(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    fake_slack.fail_once("chat.postMessage", status=429, retry_after=1)
    slack.mention("Why did you choose cold chain?")
    post = fake_slack.wait_posts(1)[0]
    assert "pharmaceutical customers" in post.dumped
    slack.drain()
    attempts = fake_slack.calls_to("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert len(fake_slack.posts) == 1
    # A lower bound only: the client slept at least Retry-After before trying again.
    assert attempts[1].at - attempts[0].at >= 1.0
