"""Canaries: leadership-only words, another twin's words, a draft's words and another user's question never
reach anyone outside their audience, through any channel, in answers, citations, counts or error messages."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from service.cli import main
from service.corpus import store
from service.web.auth import make_dev_login_link
from tests.slack.fake_slack import FakeSlack
from tests.trust.conftest import (
    CANARY,
    CANARY_PROBES,
    CANARY_SECRETS,
    OTHER_TWIN_CANARY,
    SAFETY_QUESTION,
    SlackDriver,
    TrustWorld,
    leaked,
)

PITCH = ("Proposal: we should acquire a freight company for new ferry lanes this spring, like Project Halcyon. "
         "The deal would add forty ferry slots. We ask you to approve the acquisition budget by May.")


def api_texts(client, world: TrustWorld, who: str) -> list[str]:
    """Every API response body an employee can obtain about the canary topic."""
    headers = world.people[who].headers
    bodies = []
    for question in CANARY_PROBES:
        bodies.append(client.post("/api/v1/twins/dana/ask", json={"question": question}, headers=headers))
        bodies.append(client.post("/api/v1/twins/dana/ask", json={"question": question},
                                  headers={**headers, "Accept": "text/event-stream"}))
        bodies.append(client.get(f"/api/v1/twins/dana/search?q={question}", headers=headers))
    bodies.append(client.post("/api/v1/twins/dana/rehearsals", json={"pitch": PITCH}, headers=headers))
    for source_id in world.canaries:
        bodies.append(client.get(f"/api/v1/sources/{source_id}", headers=headers))
        bodies.append(client.post(f"/api/v1/sources/{source_id}/retire", json={"reason": "x"}, headers=headers))
    for path in ("/api/v1/twins", "/api/v1/twins/dana/sources", "/api/v1/twins/dana/persona",
                 "/api/v1/twins/dana/unanswered", "/api/v1/audit", "/api/v1/rehearsals", "/api/v1/twins/dana/jobs"):
        bodies.append(client.get(path, headers=headers))
    return [r.get_data(as_text=True) for r in bodies]


def test_the_leader_sees_the_canary_so_the_probes_can_find_it(client, world: TrustWorld) -> None:
    answer = client.post("/api/v1/twins/dana/ask", json={"question": CANARY_PROBES[0]},
                         headers=world.people["leader"].headers).get_json()
    assert "Nordwind" in answer["answer"]
    assert any(CANARY in c["title"] for c in answer["citations"])


def test_no_api_channel_leaks_the_canary_to_an_employee(client, world: TrustWorld) -> None:
    for body in api_texts(client, world, "employee"):
        assert not leaked(body), (leaked(body), body[:300])


def test_a_curator_outside_leadership_never_hears_the_canary_in_answers_or_search(client, world: TrustWorld) -> None:
    headers = world.people["curator"].headers
    for question in CANARY_PROBES:
        for response in (client.post("/api/v1/twins/dana/ask", json={"question": question}, headers=headers),
                         client.get(f"/api/v1/twins/dana/search?q={question}", headers=headers)):
            assert response.status_code == 200
            assert not leaked(response.get_data(as_text=True))


def test_employees_get_403_on_sources_and_the_error_names_nothing(client, world: TrustWorld) -> None:
    headers = world.people["employee"].headers
    for source_id in world.canaries:
        response = client.get(f"/api/v1/sources/{source_id}", headers=headers)
        assert response.status_code == 403
        assert "Leadership" not in response.get_data(as_text=True)
    missing = client.get("/api/v1/sources/999999", headers=headers)
    assert missing.status_code == 403  # the same answer whether the source exists or not: nothing to count


def test_the_answer_is_the_same_with_or_without_the_canary(client, world: TrustWorld,
                                                          session_factory: sessionmaker[Session]) -> None:
    headers = world.people["employee"].headers
    before = [client.post("/api/v1/twins/dana/ask", json={"question": q}, headers=headers).get_json()
              for q in CANARY_PROBES]
    with session_factory() as session:
        for source_id in world.canaries:
            store.retire_source(session, source_id, reason="trust test")
        session.commit()
    after = [client.post("/api/v1/twins/dana/ask", json={"question": q}, headers=headers).get_json()
             for q in CANARY_PROBES]
    strip = ("interaction_id", "conversation_id", "latency_ms")
    assert [{k: v for k, v in a.items() if k not in strip} for a in before] == \
           [{k: v for k, v in a.items() if k not in strip} for a in after]  # nothing hinted at, not even a count


def test_a_retired_source_disappears_from_every_answer_at_once(client, world: TrustWorld) -> None:
    leader = world.people["leader"].headers
    curator = world.people["curator"].headers
    for source_id in world.canaries:  # acting on a source needs its audience, whatever the role
        assert client.post(f"/api/v1/sources/{source_id}/retire", json={"reason": "x"}, headers=curator).status_code == 403
    client.patch("/api/v1/users/curator@example.com", json={"audiences": ["leadership"]},
                 headers=world.people["admin"].headers)
    assert "Nordwind" in client.post("/api/v1/twins/dana/ask", json={"question": CANARY_PROBES[0]},
                                     headers=leader).get_json()["answer"]
    for source_id in world.canaries:
        assert client.post(f"/api/v1/sources/{source_id}/retire", json={"reason": "superseded"},
                           headers=curator).status_code == 200
    for response in (client.post("/api/v1/twins/dana/ask", json={"question": CANARY_PROBES[0]}, headers=leader),
                     client.post("/api/v1/twins/dana/ask", json={"question": CANARY_PROBES[0]},
                                 headers={**leader, "Accept": "text/event-stream"}),
                     client.post("/api/v1/twins/dana/rehearsals", json={"pitch": PITCH}, headers=leader)):
        assert "Nordwind" not in response.get_data(as_text=True)


def test_a_twin_never_cites_another_twins_sources(client, world: TrustWorld) -> None:
    headers = world.people["admin"].headers
    question = "Why did you choose cold chain hedging for pharmaceutical customers?"
    dana = client.post("/api/v1/twins/dana/ask", json={"question": question}, headers=headers).get_json()
    sam = client.post("/api/v1/twins/sam/ask", json={"question": question}, headers=headers).get_json()
    assert OTHER_TWIN_CANARY not in json.dumps(dana)
    assert world.other_twin_source not in {c["source_id"] for c in dana["citations"]}
    assert {c["source_id"] for c in sam["citations"]} == {world.other_twin_source}
    search = client.get(f"/api/v1/twins/dana/search?q={OTHER_TWIN_CANARY}", headers=headers).get_json()
    assert search["hits"] == []


def cli(database_url: str, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, ["--database-url", database_url, *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_no_cli_command_leaks_the_canary(database_url: str, world: TrustWorld) -> None:
    outputs = []
    for question in CANARY_PROBES:
        for who in ("employee@example.com", None):
            as_ = ["--as", who] if who else []
            outputs.append(cli(database_url, "ask", "dana", question, *as_, "--json"))
            outputs.append(cli(database_url, "search", "dana", question, *as_, "--json"))
    outputs.append(cli(database_url, "rehearse", "dana", "-", "--as", "employee@example.com", "--json", stdin=PITCH))
    for output in outputs:
        assert not leaked(output), output[:300]
    assert "Nordwind" in cli(database_url, "ask", "dana", CANARY_PROBES[0], "--as", "leader@example.com", "--json")


def answer_posts(fake: FakeSlack, count: int) -> list:
    return fake.wait_for(lambda f: (lambda found: found if len(found) >= count else None)(
        [p for p in f.posts if "answer_actions" in p.dumped]), what=f"{count} answers")


def test_no_slack_channel_leaks_the_canary(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    for i, question in enumerate(CANARY_PROBES):
        slack.command("/twin", f"dana {question}")
        slack.mention(f"dana {question}", ts=f"17000001{i}.000100")
        slack.dm(f"dana {question}", ts=f"17000002{i}.000100")
        slack.mention(f"dana {question}", user="U_STRANGER", ts=f"17000003{i}.000100")
    answer_posts(fake_slack, 4 * len(CANARY_PROBES))
    slack.drain()
    for post in fake_slack.posts:
        assert not leaked(post.dumped), post.dumped[:300]


def test_a_leaders_slack_answer_cannot_be_shared_or_opened_by_an_employee(slack: SlackDriver,
                                                                          fake_slack: FakeSlack) -> None:
    slack.command("/twin", f"dana {CANARY_PROBES[0]}", user="U_LEAD")
    post = answer_posts(fake_slack, 1)[0]
    assert "Nordwind" in post.dumped and not post.public
    assert "share_answer" not in post.action_ids()  # restricted sources: no share button
    interaction = post.button_value("feedback_helpful")
    before = len(fake_slack.posts)
    slack.click(post, "share_answer", user="U_LEAD", value=interaction)  # a forged click
    slack.click(post, "show_sources", user="U_EMP", value=interaction)
    slack.click(post, "share_answer", user="U_EMP", value=interaction)
    slack.drain()
    for later in fake_slack.posts[before:]:
        assert not leaked(later.dumped) or not later.public, later.dumped[:300]
        if later.user == "U_EMP" or later.via == "response_url":
            assert not leaked(later.dumped), later.dumped[:300]
    for view in fake_slack.views:
        assert not leaked(json.dumps(view))


def test_the_style_profile_the_model_sees_holds_no_restricted_words(make_app, world: TrustWorld, fake_openai) -> None:
    app = make_app(llm_base_url=fake_openai.base_url, llm_model="fake-gpt", llm_api_key="k", llm_timeout=2.0)
    client = app.test_client()
    headers = world.people["employee"].headers
    for question in ("Why did you choose cold chain for pharmaceutical customers?", SAFETY_QUESTION):
        assert client.post("/api/v1/twins/dana/ask", json={"question": question}, headers=headers).status_code == 200
    prompts = [json.dumps(r["body"]) for r in fake_openai.requests if r["path"] == "/v1/chat/completions"]
    assert prompts
    for prompt in prompts:
        assert not leaked(prompt), leaked(prompt)
    rehearsal = client.post("/api/v1/twins/dana/rehearsals", json={"pitch": PITCH}, headers=headers)
    assert not leaked(rehearsal.get_data(as_text=True))


def restricted(text: str) -> list[str]:
    """The leadership-only words in a text (curators and admins see drafts and others' questions by design)."""
    return [w for w in CANARY_SECRETS if w.lower() in text.lower()]


def page_texts(app, world: TrustWorld, who: str) -> list[str]:
    """Every page a curator or admin can open that shows passage text, about the canary topic."""
    browser = app.test_client()
    page = browser.get(make_dev_login_link(app, f"{who}@example.com"), follow_redirects=True)
    csrf = page.get_data(as_text=True).split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    paths = ["/curate/dana", "/curate/dana?status=approved", "/curate/dana?q=Leadership", "/curate/dana/unanswered",
             "/curate/dana/audit", "/curate/dana/audit?scope=all", "/curate/dana/persona", "/admin",
             "/ask?twin=dana", "/rehearse"]
    paths += [f"/curate/sources/{source_id}" for source_id in world.canaries]
    paths += [f"/curate/dana/search?q={q}" for q in CANARY_PROBES]
    bodies = [browser.get(path) for path in paths]
    for question in CANARY_PROBES:
        bodies.append(browser.post("/ask", data={"twin": "dana", "question": question, "csrf_token": csrf},
                                   follow_redirects=True))
    bodies.append(browser.post("/rehearse", data={"twin": "dana", "pitch": PITCH, "csrf_token": csrf},
                               follow_redirects=True))
    for source_id in world.canaries:
        for action, data in (("approve", {}), ("audience", {"audience": "everyone"}), ("retire", {"reason": "x"})):
            bodies.append(browser.post(f"/curate/sources/{source_id}/{action}", data={**data, "csrf_token": csrf},
                                       follow_redirects=True))
    return [r.get_data(as_text=True) for r in bodies]


def leader_feedback(client, world: TrustWorld) -> None:
    """A leader's answer quoting the canary, marked unhelpful with a reason that quotes it too."""
    leader = world.people["leader"].headers
    for question in CANARY_PROBES[:2]:
        answer = client.post("/api/v1/twins/dana/ask", json={"question": question}, headers=leader).get_json()
        client.post(f"/api/v1/interactions/{answer['interaction_id']}/feedback",
                    json={"helpful": False, "reason": f"not quite: {answer['answer'][:200]}"}, headers=leader)


@pytest.mark.parametrize("who", ["curator", "admin"])
def test_no_endpoint_leaks_restricted_text_to_a_curator_or_admin_outside_its_audience(
        app, client, world: TrustWorld, who: str) -> None:
    leader_feedback(client, world)
    texts = api_texts(client, world, who)
    headers = world.people[who].headers
    for source_id in world.canaries:
        for path, body in ((f"/api/v1/sources/{source_id}/approve", None),
                           (f"/api/v1/sources/{source_id}/audience", {"audience": "everyone"}),
                           (f"/api/v1/sources/{source_id}/restore", {"reason": "x"})):
            texts.append(client.post(path, json=body, headers=headers).get_data(as_text=True))
    texts.append(client.get("/api/v1/audit?twin=dana", headers=headers).get_data(as_text=True))
    texts += page_texts(app, world, who)
    assert len(texts) > 40
    leaks = [(restricted(t), t[:200]) for t in texts if restricted(t)]
    assert not leaks, leaks
    # ...and nothing was widened on the way: the employee is still not quoted the canary.
    answer = client.post("/api/v1/twins/dana/ask", json={"question": CANARY_PROBES[0]},
                         headers=world.people["employee"].headers).get_data(as_text=True)
    assert not leaked(answer)


def test_an_admin_who_grants_themselves_leadership_then_reads_it(client, world: TrustWorld) -> None:
    admin = world.people["admin"].headers
    assert client.get(f"/api/v1/sources/{world.canaries[0]}", headers=admin).status_code == 403
    client.patch("/api/v1/users/admin@example.com", json={"audiences": ["leadership"]}, headers=admin)
    assert "Nordwind" in client.get(f"/api/v1/sources/{world.canaries[0]}", headers=admin).get_data(as_text=True)
    events = client.get("/api/v1/audit", headers=admin).get_json()["events"]
    assert any(e["action"] == "user.update" and e["detail"].get("self_granted") for e in events)


def test_an_admin_cannot_open_a_leaders_slack_sources(slack: SlackDriver, fake_slack: FakeSlack) -> None:
    slack.command("/twin", f"dana {CANARY_PROBES[0]}", user="U_LEAD")
    post = answer_posts(fake_slack, 1)[0]
    interaction = post.button_value("feedback_helpful")
    before = len(fake_slack.posts)
    slack.click(post, "show_sources", user="U_ADMIN", value=interaction)
    slack.click(post, "share_answer", user="U_ADMIN", value=interaction)
    slack.drain()
    for later in fake_slack.posts[before:]:
        assert not restricted(later.dumped), later.dumped[:300]
    for view in fake_slack.views:
        assert not restricted(json.dumps(view))
