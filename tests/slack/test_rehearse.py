"""/rehearse: the modal, a pasted or attached pitch, the DM thread with questions, push-back and scorecard, the
rounds played by replying in it; and files that are too big or broken."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.models import Rehearsal, SlackAnswer, SlackChannelSetting, SlackThread
from slack_app import blocks as ui
from tests.slack.conftest import PITCH, SlackDriver, build_docx
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack, Post


def open_modal(slack: SlackDriver, fake: FakeSlack, text: str = "") -> dict[str, Any]:
    response = slack.command("/rehearse", text)
    assert response.status_code == 200
    return fake.wait_for(lambda f: f.views[-1] if f.views else None, what="the rehearse modal")


def pasted(text: str) -> dict[str, Any]:
    return {ui.PITCH_TEXT_BLOCK: {ui.PITCH_TEXT_ACTION: {"type": "plain_text_input", "value": text}},
            ui.PITCH_FILE_BLOCK: {ui.PITCH_FILE_ACTION: {"type": "file_input", "files": []}}}


def attached(*files: dict[str, Any]) -> dict[str, Any]:
    return {ui.PITCH_TEXT_BLOCK: {ui.PITCH_TEXT_ACTION: {"type": "plain_text_input", "value": None}},
            ui.PITCH_FILE_BLOCK: {ui.PITCH_FILE_ACTION: {"type": "file_input", "files": list(files)}}}


def dm_posts(fake: FakeSlack, count: int) -> list[Post]:
    return fake.wait_for(lambda f: (lambda found: found if len(found) >= count else None)(
        [p for p in f.posts if p.channel == "D_EMP"]), what=f"{count} direct messages")


def assert_rehearsal_thread(posts: list[Post], root: str) -> None:
    reaction, first_round = posts[-2], posts[-1]
    assert reaction.thread_ts == root and first_round.thread_ts == root
    texts = reaction.block_texts()
    assert texts[0].startswith("*Questions Dana Reyes would ask*\n1. ")
    assert "What's the number on late departures" in reaction.dumped or "overtime budget" in reaction.dumped
    assert any(t.startswith("*Scorecard: ") for t in texts)
    assert any("*[1]*" in t for t in texts)  # numbered sources with their quotes
    assert "AI twin of Dana Reyes" in texts[-1]
    assert first_round.block_texts()[0].startswith("*Round 1 of 3.* ")
    assert "Reply in this thread" in first_round.dumped


def test_rehearse_opens_a_modal_with_a_text_box_and_a_file_input(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    view = open_modal(slack, fake_slack)
    assert view["callback_id"] == ui.REHEARSE_VIEW and view["trigger_id"].startswith("trigger-")
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements[ui.PITCH_TEXT_BLOCK]["type"] == "plain_text_input" and elements[ui.PITCH_TEXT_BLOCK]["multiline"]
    assert elements[ui.PITCH_FILE_BLOCK]["type"] == "file_input"
    assert elements[ui.PITCH_FILE_BLOCK]["filetypes"] == ["docx", "pdf", "md", "txt"]


def test_an_empty_or_doubled_submission_is_refused_in_the_modal(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    view = open_modal(slack, fake_slack)
    response = slack.submit_view(view, pasted("   "))
    assert response.status_code == 200
    assert response.get_json()["response_action"] == "errors"
    assert ui.PITCH_TEXT_BLOCK in response.get_json()["errors"]
    info = fake_slack.add_file("F1", "pitch.docx", build_docx(PITCH))
    both = pasted(PITCH)
    both[ui.PITCH_FILE_BLOCK] = attached(info)[ui.PITCH_FILE_BLOCK]
    response = slack.submit_view(view, both)
    assert "not both" in response.get_json()["errors"][ui.PITCH_FILE_BLOCK]
    slack.drain()
    assert not fake_slack.posts


def test_a_one_line_pitch_is_asked_for_more_in_the_modal(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    view = open_modal(slack, fake_slack)
    response = slack.submit_view(view, pasted("Let's buy more trucks."))
    assert response.get_json()["response_action"] == "errors"
    message = response.get_json()["errors"][ui.PITCH_TEXT_BLOCK]
    assert message.startswith("That is too short to rehearse (4 words). Tell me more:")
    slack.drain()
    assert not fake_slack.posts


def test_a_pasted_pitch_is_rehearsed_in_a_dm_thread_and_replies_play_the_rounds(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    view = open_modal(slack, fake_slack, "dana")
    response = slack.submit_view(view, pasted(PITCH))
    assert response.status_code == 200 and response.get_data(as_text=True) == ""

    posts = dm_posts(fake_slack, 3)
    intro = posts[0]
    assert intro.via == "chat.postMessage" and intro.thread_ts is None
    assert "Rehearsal of your pitch with Dana Reyes's twin: scorecard" in intro.dumped
    assert_rehearsal_thread(posts, intro.ts or "")
    thread = session.scalar(select(SlackThread).where(SlackThread.thread_ts == intro.ts))
    assert thread is not None and thread.rehearsal_id is not None and thread.channel_id == "D_EMP"

    slack.dm("Late departures were nine percent the quarter before and fourteen percent last quarter; the pilot "
             "brought them to six percent.", ts="1700002000.000100", thread_ts=intro.ts)
    turn = dm_posts(fake_slack, 4)[3]
    assert turn.thread_ts == intro.ts and turn.block_texts()[0].startswith("*Round 1 of 3.* ")
    session.expire_all()
    rehearsal = session.get(Rehearsal, thread.rehearsal_id)
    assert rehearsal is not None and rehearsal.round == 1 and rehearsal.channel == "slack"


def test_an_attached_docx_is_downloaded_with_the_bot_token_and_rehearsed(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    info = fake_slack.add_file("F1", "ashby-pitch.docx", build_docx(PITCH))
    view = open_modal(slack, fake_slack)
    assert slack.submit_view(view, attached(info)).get_data(as_text=True) == ""
    posts = dm_posts(fake_slack, 3)
    assert "Rehearsal of ashby-pitch.docx" in posts[0].dumped
    assert_rehearsal_thread(posts, posts[0].ts or "")
    assert fake_slack.downloads == [("F1", f"Bearer {BOT_TOKEN}")]
    assert session.scalar(select(Rehearsal.filename)) == "ashby-pitch.docx"


@pytest.mark.parametrize("slack_overrides", [{"MAX_FILE_MB": 0.01}])
def test_a_file_too_big_is_refused_before_it_is_downloaded(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    big = fake_slack.add_file("F2", "huge.pdf", b"%PDF-1.4 " + b"0" * 20_000)
    view = open_modal(slack, fake_slack)
    response = slack.submit_view(view, attached(big))  # Slack told us the size: the modal says so
    error = response.get_json()["errors"][ui.PITCH_FILE_BLOCK]
    assert "huge.pdf" in error and "0.01 MB" in error

    unsized = {"id": "F2", "name": "huge.pdf"}  # no size in the submission: files.info tells
    assert slack.submit_view(view, attached(unsized)).get_data(as_text=True) == ""
    notice = dm_posts(fake_slack, 1)[0]
    assert "huge.pdf" in notice.dumped and "the largest file I can read is 0.01 MB" in notice.dumped
    slack.drain()
    assert not fake_slack.downloads


def test_a_broken_file_gets_a_clear_message(slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    broken = fake_slack.add_file("F3", "broken.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF")
    view = open_modal(slack, fake_slack)
    slack.submit_view(view, attached(broken))
    notice = dm_posts(fake_slack, 1)[0]
    assert "broken.pdf" in notice.dumped and notice.thread_ts is None
    assert "something went wrong" not in notice.dumped.lower()
    slack.drain()
    assert len([p for p in fake_slack.posts if p.channel == "D_EMP"]) == 1
    assert session.scalar(select(Rehearsal.id)) is None


def test_a_docx_shared_in_a_dm_is_rehearsed_in_its_thread(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    info = fake_slack.add_file("F4", "shared-pitch.docx", build_docx(PITCH))
    slack.dm("", ts="1700003000.000100", files=[{"id": info["id"], "name": info["name"]}])
    posts = dm_posts(fake_slack, 2)
    assert_rehearsal_thread(posts, "1700003000.000100")
    assert fake_slack.downloads == [("F4", f"Bearer {BOT_TOKEN}")]


def test_rehearse_names_an_unknown_twin(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    slack.command("/rehearse", "nobody")
    notice = fake_slack.wait_posts(1)[0]
    assert notice.response_type == "ephemeral" and "no twin called “nobody”" in notice.dumped
    assert not fake_slack.views


def test_forgetting_the_twin_erases_its_slack_threads_and_kept_answers(
        slack: SlackDriver, fake_slack: FakeSlack, session: Session) -> None:
    slack.command("/twin", "config twin=dana public=no", user="U_ADMIN", channel="C_QUIET")
    slack.dm("Why did you choose cold chain?", ts="1700005000.000100")
    view = open_modal(slack, fake_slack)
    slack.submit_view(view, pasted(PITCH))
    dm_posts(fake_slack, 4)
    slack.drain()
    assert len(list(session.scalars(select(SlackThread)))) == 2
    assert session.scalar(select(SlackAnswer.id)) is not None

    store.forget_twin(session, "dana")
    session.commit()
    assert list(session.scalars(select(SlackThread))) == []
    assert list(session.scalars(select(SlackAnswer))) == []
    setting = session.scalar(select(SlackChannelSetting))
    assert setting is not None and setting.twin_id is None and setting.public is False


def test_the_closing_round_sets_the_summary_out_a_line_a_point(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    # A trial's last round in the DM thread ran "That's the end of this rehearsal. Scorecard: 19 of 30. … Strong: …;
    # …. To fix: …. Prepare for: Q [1] Q [2] Q [3]" into the round's one paragraph.
    slack.submit_view(open_modal(slack, fake_slack, "dana"), pasted(PITCH))
    intro = dm_posts(fake_slack, 3)[0]
    for i, reply in enumerate(("Our logo is blue.", "We like the plan a lot.", "The vans are white.")):
        slack.dm(reply, ts=f"17000060{i}0.000100", thread_ts=intro.ts)
    closing = dm_posts(fake_slack, 6)[5]
    texts = closing.block_texts()
    assert texts[0].startswith("*Round 3 of 3.* ") and "Strong:" not in texts[0] and "Prepare for" not in texts[0]
    summary = texts[1].split("\n")
    assert summary[0] == "*Summary*" and summary[1].startswith("That's the end of this rehearsal. Scorecard: ")
    prepare = summary.index("*Prepare for*")
    assert summary[prepare + 1].startswith("• ") and summary[prepare + 1].endswith("[1]"), summary
    assert "This rehearsal is finished" in closing.dumped
