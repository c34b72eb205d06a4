"""Large uploads as background jobs on an rq queue (Redis), with progress per file; inline without a queue."""

from __future__ import annotations

import io
import signal
import socket

import pytest
from sqlalchemy import select

from service.config import Settings
from service.corpus import store
from service.corpus.models import Source
from service.ops import jobs
from tests.api.conftest import World
from tests.api.test_access import docx_bytes

pytest.importorskip("rq")

MEMOS = [f"Route {n} moves to two shifts because drivers deserve predictable weekends, said the memo {n}."
         for n in range(5)]


def files() -> list[tuple[bytes, str]]:
    uploads = [(docx_bytes(text), f"folder/2025-05-0{n + 1}-route-{n}.docx") for n, text in enumerate(MEMOS)]
    uploads.append((b"%PDF-1.7 truncated", "folder/broken.pdf"))
    return uploads


def upload(client, world: World, uploads: list[tuple[bytes, str]], **fields):
    data = {"file": [(io.BytesIO(content), name) for content, name in uploads], **fields}
    return client.post("/api/v1/twins/dana/sources", data=data, content_type="multipart/form-data",
                       headers=world.people["curator"].headers)


def work_burst(settings: Settings) -> None:
    """Run an rq worker in this process until the queue is empty (no fork: the test's own database). The worker takes
    SIGINT and SIGTERM for its warm shutdown and leaves them so: they are given back, or Ctrl-C (or scripts/test
    stopping its runs) would only fail the test running at the time."""
    from rq import SimpleWorker

    from service.ops.health import redis_client

    worker = SimpleWorker([jobs.ingestion_queue(settings)], connection=redis_client(settings.redis_url))
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.work(burst=True)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def queue_job(session_factory, *, audience: str, approve: bool) -> int:
    """A job over `files()` for twin dana, created but not processed; its id."""
    with session_factory() as session:
        job = store.create_ingestion_job(session, store.get_twin(session, "dana"),
                                         [(name, data) for data, name in files()], kind=None, audience=audience,
                                         approve=approve, created_by="curator@example.com")
        session.commit()
        return job.id


@pytest.fixture
def queued(make_app, redis_url: str, queue_name: str, database_url: str, monkeypatch):
    monkeypatch.setenv("UNDERSTUDY_DATABASE_URL", database_url)  # the worker's settings come from its environment
    app = make_app(redis_url=redis_url, ingest_queue_name=queue_name)
    yield app
    jobs.dispose_engines()


def test_a_folder_upload_becomes_a_job_whose_progress_the_console_reads(queued, world: World) -> None:
    client = queued.test_client()
    response = upload(client, world, files(), approve="true")
    assert response.status_code == 202, response.get_json()
    job = response.get_json()["job"]
    assert response.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert (job["status"], job["total"], job["done"], job["failed"], job["pending"]) == ("queued", 6, 0, 0, 6)
    assert [f["status"] for f in job["files"]] == ["pending"] * 6

    work_burst(queued.extensions["understudy"].settings)

    headers = world.people["curator"].headers
    done = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).get_json()
    assert (done["status"], done["total"], done["done"], done["failed"], done["pending"]) == ("done", 6, 6, 1, 0)
    by_path = {f["path"]: f for f in done["files"]}
    assert by_path["folder/broken.pdf"]["status"] == "error" and by_path["folder/broken.pdf"]["error"]
    ingested = [f for f in done["files"] if f["status"] == "ingested"]
    assert len(ingested) == 5 and all(f["passages"] >= 1 for f in ingested)
    source = client.get(f"/api/v1/sources/{ingested[0]['source_id']}", headers=headers).get_json()["source"]
    assert source["status"] == "approved" and source["uploaded_by"] == "curator@example.com"
    listed = client.get("/api/v1/twins/dana/jobs", headers=headers).get_json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]] and "files" not in listed[0]
    answer = client.post("/api/v1/twins/dana/ask", json={"question": "Why does route 3 move to two shifts?"},
                         headers=world.people["employee"].headers).get_json()
    assert answer["grounded"] and any("Route 3" in c["quote"] for c in answer["citations"])
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=world.people["employee"].headers).status_code == 403


def test_a_few_files_stay_inline_unless_background_is_asked_for(queued, world: World) -> None:
    client = queued.test_client()
    few = files()[:2]
    inline = upload(client, world, few)
    assert inline.status_code == 200 and [r["status"] for r in inline.get_json()["results"]] == ["ingested"] * 2
    asked = upload(client, world, [(docx_bytes("A memo on fuel."), "fuel.docx")], background="true")
    assert asked.status_code == 202 and asked.get_json()["job"]["total"] == 1


def test_without_a_queue_uploads_are_ingested_inline(client, world: World) -> None:
    response = upload(client, world, files(), background="true")
    assert response.status_code == 200
    assert [r["status"] for r in response.get_json()["results"]] == ["ingested"] * 5 + ["error"]


def test_a_queue_that_is_down_is_a_503_and_the_job_is_marked_failed(make_app, world: World,
                                                                     session_factory) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(redis_url=f"redis://127.0.0.1:{port}/0", ingest_queue="rq")
    response = upload(app.test_client(), world, files())
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "queue_unavailable"
    with session_factory() as session:
        twin = store.get_twin(session, "dana")
        [job] = store.list_ingestion_jobs(session, twin)
        assert job.status == "failed" and "unavailable" in (job.error or "")


def test_processing_is_per_file_and_a_second_delivery_changes_nothing(session_factory, settings: Settings,
                                                                      world: World) -> None:
    job_id = queue_job(session_factory, audience="finance", approve=False)
    counts = jobs.process_ingestion_job(session_factory, settings, job_id)
    assert (counts["ingested"], counts["error"], counts["pending"]) == (5, 1, 0)
    again = jobs.process_ingestion_job(session_factory, settings, job_id)
    assert again == counts
    with session_factory() as session:
        sources = list(session.scalars(select(Source).where(Source.filename.like("%route%"))))
        assert len(sources) == 5 and {s.audience for s in sources} == {"finance"}
        assert {s.status for s in sources} == {"draft"}
        rows = store.ingestion_job_files(session, job_id)
        assert all(row.status != "pending" for row in rows)
        job_row = store.get_ingestion_job(session, job_id)
        assert job_row.status == "done" and job_row.finished_at is not None
        body = jobs.job_dict(session, job_row)
        assert (body["total"], body["done"], body["failed"]) == (6, 6, 1)
        actions = [e.action for e in store.list_audit(session, twin_slug="dana")]
        assert actions.count("ingestion_job.finish") == 1 and "ingestion_job.create" in actions


def test_queue_choice_follows_the_settings(settings: Settings) -> None:
    assert jobs.queue_backend(settings) == "inline"
    with_redis = settings.replace(redis_url="redis://127.0.0.1:6379/0")
    assert jobs.queue_backend(with_redis) == "rq"
    assert jobs.queue_backend(with_redis.replace(ingest_queue="inline")) == "inline"
    with pytest.raises(ValueError):
        jobs.queue_backend(settings.replace(ingest_queue="rq"))
    assert not jobs.runs_in_background(with_redis, 4) and jobs.runs_in_background(with_redis, 5)
    assert jobs.runs_in_background(with_redis, 1, requested=True)
    assert not jobs.runs_in_background(settings, 500, requested=True)


def test_a_job_stores_passage_vectors_when_embeddings_are_on(session_factory, settings: Settings, world: World,
                                                             fake_openai) -> None:
    from sqlalchemy import func

    from service.corpus.models import Passage, PassageVector

    configured = settings.replace(embeddings_model="fake-embed", embeddings_base_url=fake_openai.base_url)
    job_id = queue_job(session_factory, audience="everyone", approve=True)
    assert jobs.process_ingestion_job(session_factory, configured, job_id)["ingested"] == 5
    with session_factory() as session:
        new = select(Passage.id).join(Source).where(Source.filename.like("%route%"))
        passages = session.scalar(select(func.count()).select_from(new.subquery()))
        vectors = session.scalar(select(func.count()).select_from(PassageVector)
                                 .where(PassageVector.passage_id.in_(new)))
    assert passages and vectors == passages


def test_a_jobs_file_outcome_names_a_transcripts_unknown_speaker_label(session_factory, settings: Settings,
                                                                        world: World) -> None:
    from tests.api.test_upload import TOWN_HALL

    with session_factory() as session:
        job = store.create_ingestion_job(session, store.get_twin(session, "dana"), [("town-hall.txt", TOWN_HALL)],
                                         kind=None, audience="everyone", approve=False)
        session.commit()
        job_id = job.id
    jobs.process_ingestion_job(session_factory, settings, job_id)
    with session_factory() as session:
        [row] = jobs.job_dict(session, store.get_ingestion_job(session, job_id))["files"]
    assert row["status"] == "ingested" and row["speaker_hint"]["label"] == "THE CEO"
    assert row["speaker_hint"]["message"].endswith("Is that Dana Reyes?")
