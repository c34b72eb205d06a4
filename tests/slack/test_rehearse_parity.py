"""The /rehearse modal gives what the web page gives for the same pitch (one engine): the same questions, the same
push-back with a clash marked as a clash, the same scorecard, written the same way; it takes the same files."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.rehearsal import start_rehearsal
from tests.slack.conftest import PITCH, SlackDriver
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_rehearse import attached, dm_posts, open_modal, pasted

# Crosses the pricing memo ("I will not surprise them with a mid-contract increase") and asks for a night shift.
CLASHING_PITCH = """Proposal: mid-contract increases for renewal customers.

Fuel and overtime rose fourteen percent last quarter, up from nine. We will surprise renewal customers with a
mid-contract increase of 8% from 1 May, without waiting for the renewal date, to pay for a second night shift at
Ashby Road. The biggest risk is that customers leave; if churn rises above 3% we stop and refund the increase.
We are asking you to approve it by 15 April."""


def test_the_modal_shows_what_the_web_page_shows_for_the_same_pitch(slack: SlackDriver, fake_slack: FakeSlack,
                                                                    session: Session, settings: Settings) -> None:
    viewer = store.viewer_for(store.get_user(session, "employee@example.com"))
    web = start_rehearsal(session, settings, "dana", viewer, pitch_text=CLASHING_PITCH, channel="web").to_dict()
    session.commit()
    assert any(p["contradicts"] for p in web["push_back"]), web["push_back"]

    slack.submit_view(open_modal(slack, fake_slack, "dana"), pasted(CLASHING_PITCH))
    posts = dm_posts(fake_slack, 3)
    intro, reaction = posts[0].dumped, posts[1].block_texts()
    shown = "\n".join(reaction)
    total, top = f"{web['scorecard']['total']:g}", f"{web['scorecard']['max']:g}"
    assert f"scorecard {total} of {top}" in intro and f"*Scorecard: {total} of {top}*" in shown
    for q in web["questions"]:
        assert f"{q['n']}. {q['question']}".replace("'", "&#39;") in shown or f"{q['n']}. {q['question']}" in shown
    for p in web["push_back"]:
        marked = re.search(rf"_{re.escape(p['priority'])}_ \*\(your pitch contradicts this\)\*", shown) is not None
        assert marked == p["contradicts"], (p, shown)
    for c in web["scorecard"]["criteria"]:
        assert f"• {c['label']}: *{c['score']:g}/{c['max']:g}*" in shown
    # Counted as people count: "3 figures", "1 sentence", never "figure(s)".
    assert "(s)" not in shown and re.search(r"\d figures? \(", shown), shown


def test_the_modal_takes_the_files_the_web_page_takes(slack: SlackDriver, fake_slack: FakeSlack,
                                                      session: Session) -> None:
    info = fake_slack.add_file("F9", "ashby-pitch.md", ("# Night shift at Ashby Road\n\n" + PITCH).encode())
    view = open_modal(slack, fake_slack, "dana")
    assert slack.submit_view(view, attached(info)).get_data(as_text=True) == ""  # no error in the modal
    posts = dm_posts(fake_slack, 3)
    assert "Rehearsal of ashby-pitch.md with Dana Reyes's twin: scorecard" in posts[0].dumped
    assert "*Questions Dana Reyes would ask*" in posts[1].dumped
