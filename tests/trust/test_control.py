"""The executive's control: pause stops every channel at once; forget leaves no row of the twin in any table."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from service.cli import main
from service.corpus import store
from service.corpus.models import AuditEvent, Base
from tests.slack.fake_slack import FakeSlack
from tests.trust.conftest import SlackDriver, TrustWorld

QUESTION = "Why did you choose cold chain for pharmaceutical customers?"
PITCH = "Proposal: a night shift at the depot. We ask you to approve an overtime budget by May."


def cli(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--database-url", database_url, *args])
    return result.exit_code, result.output


def test_pause_stops_api_web_cli_slack_and_rehearsal_at_once(database_url: str, slack: SlackDriver,
                                                             fake_slack: FakeSlack, world: TrustWorld) -> None:
    client = slack.client
    headers = world.people["employee"].headers
    assert client.post("/api/v1/twins/dana/ask", json={"question": QUESTION}, headers=headers).status_code == 200
    assert cli(database_url, "twin", "pause", "dana")[0] == 0
    ask = client.post("/api/v1/twins/dana/ask", json={"question": QUESTION}, headers=headers)
    stream = client.post("/api/v1/twins/dana/ask", json={"question": QUESTION},
                         headers={**headers, "Accept": "text/event-stream"})
    rehearse = client.post("/api/v1/twins/dana/rehearsals", json={"pitch": PITCH}, headers=headers)
    for response in (ask, stream, rehearse):
        assert response.status_code in (409, 503), response.status_code
        assert "pharmaceutical" not in response.get_data(as_text=True)
    code, output = cli(database_url, "ask", "dana", QUESTION)
    assert code != 0 and "pharmaceutical" not in output
    slack.command("/twin", f"dana {QUESTION}")
    slack.mention(f"dana {QUESTION}", ts="1700009000.000100")
    slack.drain()
    posts = fake_slack.wait_posts(2)
    assert all("pharmaceutical" not in p.dumped for p in posts)
    assert cli(database_url, "twin", "resume", "dana")[0] == 0
    assert client.post("/api/v1/twins/dana/ask", json={"question": QUESTION}, headers=headers).status_code == 200


def test_no_consent_no_answer_on_any_channel(database_url: str, slack: SlackDriver, fake_slack: FakeSlack,
                                             world: TrustWorld, session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        store.create_twin(session, "ari", "Ari Lind", title="CTO")
        twin = store.get_twin(session, "ari")
        store.add_source(session, twin, __import__("tests.api.conftest", fromlist=["parsed"]).parsed(
            "Why cold chain", "cold.docx", "I chose cold chain because pharmaceutical customers pay for reliability."),
            approve=True)
        session.commit()
    headers = world.people["employee"].headers
    assert slack.client.post("/api/v1/twins/ari/ask", json={"question": QUESTION},
                             headers=headers).status_code in (409, 503)
    assert slack.client.post("/api/v1/twins/ari/rehearsals", json={"pitch": PITCH},
                             headers=headers).status_code in (409, 503)
    code, output = cli(database_url, "ask", "ari", QUESTION)
    assert code != 0 and "pharmaceutical" not in output
    slack.command("/twin", f"ari {QUESTION}")
    slack.drain()
    assert all("pharmaceutical" not in p.dumped for p in fake_slack.wait_posts(1))


def test_forget_leaves_no_row_of_the_twin_in_any_table(database_url: str, slack: SlackDriver, fake_slack: FakeSlack,
                                                       world: TrustWorld, session: Session) -> None:
    client = slack.client
    headers = world.people["employee"].headers
    client.post("/api/v1/twins/dana/ask", json={"question": QUESTION}, headers=headers)
    client.post("/api/v1/twins/dana/rehearsals", json={"pitch": PITCH}, headers=headers)
    slack.command("/twin", f"dana {QUESTION}")
    slack.mention(f"dana {QUESTION}", ts="1700009100.000100")
    slack.drain()
    fake_slack.wait_posts(2)
    twin_id = store.get_twin(session, "dana").id
    session.rollback()
    with_twin = [t for t in Base.metadata.sorted_tables if "twin_id" in t.c]
    before = {t.name: session.scalar(select(func.count()).select_from(t).where(t.c.twin_id == twin_id))
              for t in with_twin}
    assert before["sources"] and before["passages"] and before["interactions"] and before["rehearsals"]
    assert before["slack_threads"]
    code, output = cli(database_url, "twin", "forget", "dana", "--yes")
    assert code == 0, output
    session.rollback()
    for table in with_twin:
        if table.name == "audit_events":
            continue
        count = session.scalar(select(func.count()).select_from(table).where(table.c.twin_id == twin_id))
        assert count == 0, (table.name, count)
    for table in Base.metadata.sorted_tables:  # no row left pointing at a row that is gone
        for fk in table.foreign_keys:
            target = fk.column
            orphans = session.scalar(select(func.count()).select_from(table).where(
                fk.parent.isnot(None), fk.parent.not_in(select(target))))
            assert orphans == 0, (table.name, fk.parent.name, orphans)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.twin_slug == "dana")).all()
    assert "twin.forget" in actions
    assert client.post("/api/v1/twins/dana/ask", json={"question": QUESTION}, headers=headers).status_code == 404
