"""Bad input: any search text and any JSON body are answered, never a crash; structured parser fuzz; a 1 GB upload
is refused before it is read; a slow-loris client does not block others under gunicorn; a flood is 429 JSON."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from ingestion.model import IngestError, ParsedDocument
from ingestion.pipeline import parse_bytes
from service.corpus import store
from service.search import search_passages
from tests.api.test_gunicorn import gunicorn_url  # noqa: F401  (the project's gunicorn config, port of its own)
from tests.support.live_server import serving
from tests.trust.conftest import TrustWorld

QUERY_NOISE = st.text(alphabet=st.sampled_from(list('abc xyz"*^:()-+~NEAROR AND NOT\'\\/%_.,;!?[]{}<>|&@#$`\u00e9\u4e2d\u0000\U0001F600')),
                      max_size=120)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                max_size=4), max_leaves=12)
FUZZ = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def test_any_search_text_gives_a_list(session: Session, world: TrustWorld) -> None:
    twin = store.get_twin(session, "dana")
    viewer = store.viewer_for(store.get_user(session, "employee@example.com"))

    @FUZZ
    @given(query=st.one_of(QUERY_NOISE, st.text(max_size=300)))
    def run(query: str) -> None:
        hits = search_passages(session, twin, query, viewer, k=5)
        assert isinstance(hits, list)
        session.rollback()

    run()


def test_any_json_to_ask_is_2xx_or_4xx_json(client, world: TrustWorld) -> None:
    headers = world.people["employee"].headers

    @FUZZ
    @given(body=st.one_of(JSON, st.fixed_dictionaries({"question": JSON}),
                          st.fixed_dictionaries({"question": st.text(max_size=300),
                                                 "conversation_id": JSON})))
    def run(body: object) -> None:
        response = client.post("/api/v1/twins/dana/ask", data=json.dumps(body), content_type="application/json",
                               headers=headers)
        assert 200 <= response.status_code < 500, (body, response.status_code)
        assert response.is_json

    run()


CUE_TIME = st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.integers(0, 9999)).map(
    lambda t: f"{t[0]:02d}:{t[1]:02d}:{t[2]:02d}.{t[3]:03d}")
LINE = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60)


@FUZZ
@given(cues=st.lists(st.tuples(CUE_TIME, CUE_TIME, st.sampled_from(["", "<v DANA REYES>", "DANA REYES: ", "-->"]),
                               LINE), max_size=8), srt=st.booleans())
def test_structured_vtt_and_srt_fuzz_gives_a_document_or_a_clean_error(cues: list, srt: bool) -> None:
    if srt:
        body = "\n\n".join(f"{i + 1}\n{a.replace('.', ',')} --> {b.replace('.', ',')}\n{who}{text}"
                           for i, (a, b, who, text) in enumerate(cues))
        name = "talk.srt"
    else:
        body = "WEBVTT\n\n" + "\n\n".join(f"{a} --> {b}\n{who}{text}" for a, b, who, text in cues)
        name = "talk.vtt"
    outcome(body.encode(), name)


@FUZZ
@given(headers=st.dictionaries(st.sampled_from(["From", "To", "Subject", "Date", "Content-Type",
                                                "Content-Transfer-Encoding", "MIME-Version"]), LINE, max_size=7),
       body=LINE, boundary=st.booleans())
def test_structured_email_fuzz_gives_a_document_or_a_clean_error(headers: dict, body: str, boundary: bool) -> None:
    head = "".join(f"{k}: {v}\r\n".replace("\n", " ").rstrip() + "\r\n" for k, v in headers.items())
    if boundary:
        head += 'Content-Type: multipart/alternative; boundary="b1"\r\n'
        body = f"--b1\r\nContent-Type: text/plain\r\n\r\n{body}\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>{body}"
    outcome((head + "\r\n" + body).encode("utf-8", "surrogatepass"), "mail.eml")


@FUZZ
@given(tags=st.lists(st.tuples(st.sampled_from(["p", "div", "h1", "script", "style", "table", "td", "li", "br",
                                                "img", "a", "!--", "title"]), LINE, st.booleans()), max_size=30))
def test_structured_html_fuzz_gives_a_document_or_a_clean_error(tags: list) -> None:
    body = "<html><body>" + "".join(f"<{t}>{text}" + (f"</{t}>" if close else "") for t, text, close in tags)
    outcome(body.encode("utf-8", "surrogatepass"), "page.html")


def outcome(data: bytes, name: str) -> ParsedDocument | IngestError:
    try:
        return parse_bytes(data, name)
    except IngestError as error:
        assert error.code and error.message
        return error


@pytest.fixture
def live_url(app) -> Iterator[str]:
    with serving(app) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def raw_request(url: str, head: str, body: bytes = b"", read_timeout: float = 20) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=read_timeout) as sock:
        sock.sendall(head.encode() + body)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b'"error"' in b"".join(chunks):
                break
        return b"".join(chunks)


@pytest.mark.parametrize("server", ["werkzeug", "gunicorn"])
def test_a_1gb_upload_is_refused_before_it_is_read(request, world: TrustWorld, server: str) -> None:
    url = request.getfixturevalue("live_url" if server == "werkzeug" else "gunicorn_url")
    token = world.people["curator"].token
    head = (f"POST /api/v1/twins/dana/sources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1073741824\r\n\r\n")
    response = raw_request(url, head, b"--b\r\n" + b"x" * 65536)  # 64 KB of the promised 1 GB, then silence
    status_line = response.split(b"\r\n", 1)[0]
    assert b" 413 " in status_line, response[:300]
    assert b'"too_large"' in response


def test_a_slow_loris_does_not_block_others_on_gunicorn(gunicorn_url: str, world: TrustWorld) -> None:  # noqa: F811
    host, port = gunicorn_url.removeprefix("http://").split(":")
    # Ten times the worker's threads (4 here): plain gthread gives each of these a thread while it reads the headers
    # and stops answering anyone; the project's worker reads heads on its event loop instead.
    slow = [socket.create_connection((host, int(port)), timeout=30) for _ in range(40)]
    stop = threading.Event()

    def drip() -> None:
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 400
        for i in range(len(head)):
            if stop.is_set():
                return
            for sock in slow:
                with contextlib.suppress(OSError):  # the server may close a slow client: fine
                    sock.send(head[i:i + 1])
            time.sleep(0.05)

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        time.sleep(1.0)  # every slow client has started its headers
        answers = [requests.get(gunicorn_url + "/healthz", timeout=4).status_code for _ in range(5)]
        asked = requests.post(gunicorn_url + "/api/v1/twins/dana/ask",
                              json={"question": "Why did you choose cold chain for pharmaceutical customers?"},
                              headers=world.people["employee"].headers, timeout=10)
    finally:
        stop.set()
        dripper.join(timeout=10)
        for sock in slow:
            sock.close()
    assert answers == [200] * 5
    assert asked.status_code == 200 and asked.json()["citations"]


def test_a_slow_head_gets_408_and_a_huge_one_431_on_gunicorn(gunicorn_url: str) -> None:  # noqa: F811
    host, port = gunicorn_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.monotonic()
        response = sock.recv(65536)
        waited = time.monotonic() - started
    assert response.startswith(b"HTTP/1.1 408 ") and b'"request_timeout"' in response
    assert waited < 10  # the fixture's GUNICORN_HEADER_TIMEOUT is 2 s
    huge = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000)
                                                             for i in range(100))
    assert raw_request(gunicorn_url, huge.decode()).startswith(b"HTTP/1.1 431 ")
    # A keep-alive connection still serves one request after another, pipelined or not.
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        one = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(one + one)
        received = b""
        while received.count(b"HTTP/1.1 200 ") < 2:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
        time.sleep(0.2)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while chunk := sock.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 200 ") == 3 and received.count(b'"status":"ok"') == 3


def test_a_flood_from_one_user_is_429_json_never_5xx(make_app, world: TrustWorld) -> None:
    # A window the flood cannot outlast however slow the machine (per second, a loaded CI spread 400 requests thin).
    client = make_app(ratelimit_ask="100/hour").test_client()
    headers = world.people["employee"].headers
    statuses = []
    for _ in range(400):  # far above the limit, as fast as one client can send
        response = client.post("/api/v1/twins/dana/ask", json={}, headers=headers)
        statuses.append(response.status_code)
        if response.status_code == 429:
            body = response.get_json()
            assert body["error"]["code"] == "rate_limited" and response.headers.get("Retry-After")
    assert 429 in statuses and all(s < 500 for s in statuses)
    other = client.post("/api/v1/twins/dana/ask", json={"question": "Why cold chain?"},
                        headers=world.people["finance"].headers)
    assert other.status_code == 200  # another user is not held back


def test_a_nul_character_anywhere_is_a_4xx_on_every_database(client, world: TrustWorld) -> None:
    headers = world.people["admin"].headers
    for method, path, body in [("POST", "/api/v1/twins/dana/ask", {"question": "cold\x00chain"}),
                               ("POST", "/api/v1/users", {"email": "a\x00@example.com", "role": "employee"}),
                               ("GET", "/api/v1/twins/da%00na/sources", None),
                               ("PATCH", "/api/v1/users/employee@example.com", {"name": "e\x00"}),
                               ("POST", "/api/v1/twins/dana/consent", {"by": "a\x00", "scope": "b\x00"}),
                               ("POST", "/api/v1/twins/dana/rehearsals",
                                {"pitch": "Approve\x00 the night shift at the depot by May."})]:
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.status_code < 500 and response.is_json, (path, response.status_code)
