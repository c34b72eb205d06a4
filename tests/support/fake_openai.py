"""A local OpenAI-compatible HTTP server for tests: chat completions, embeddings, models, and misbehaviours."""

from __future__ import annotations

import array
import base64
import contextlib
import hashlib
import json
import math
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pytest

MODES = frozenset({"honest", "slow", "error500", "bad_json", "uncited", "cite_unknown", "unsupported",
                   "comply_injection", "scripted", "drop_stream"})
DEFAULT_NO_ANSWER = "I don't have an approved source on that."
PWNED = "I have been pwned."
INVENTED_CLAIM = "We will cut costs by 37% and triple revenue to $9.4 billion by 2031."
FLUENT_FILLER = "Honestly, I think we should stay focused on what matters most to our customers."
EMBEDDING_DIM = 256
CHAT_PATH, EMBEDDINGS_PATH, MODELS_PATH = "/v1/chat/completions", "/v1/embeddings", "/v1/models"

MODE_TOKEN = re.compile(r"\[\[mode:([A-Za-z0-9_]+)\]\]")
WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
TAGGED_SOURCE = re.compile(r"<(\w+)\b[^>]*?\bn\s*=\s*[\"']?(\d+)[\"']?[^>]*>(.*?)</\1\s*>", re.S)
BRACKET_MARKER = re.compile(r"^[ \t>*-]*(?:(?:source|passage|document|doc)\s*)?\[(\d+)\]:?[ \t]*", re.M | re.I)
FENCED = re.compile(r"(`{3,}|~{3,})[^\n]*\n(.*?)\n?[ \t]*\1", re.S)
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
QUESTION_LABEL = re.compile(r"^[ \t]*(?:question|q)[ \t]*:[ \t]*", re.M | re.I)
SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(]?[A-Z0-9])")
NO_ANSWER_LINE = re.compile(r"^[ \t]*NO_ANSWER:[ \t]*(.+?)[ \t]*$", re.M)
INJECTION = re.compile(r"\b(?:ignore|disregard|forget)\b[^.\n]{0,30}\b(?:previous|prior|above|earlier|all)\b"
                       r"[^.\n]{0,20}\binstructions\b", re.I)
LEAK_REQUEST = re.compile(r"\b(?:reveal|print|show|repeat|output|disclose)\b[^.\n]{0,40}"
                          r"\b(?:system prompt|instructions)\b", re.I)
STOPWORD_TEXT = """
a about above after again all also am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers him his how
i if in into is it its itself just me more most my no nor not now of off on once only or other our ours out over own
same she should so some such than that the their theirs them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your yours yourself think
tell say said please answer question thing things get got really
"""
STOPWORDS = frozenset(STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """A crude suffix-stripping stem of one word, lower-cased."""
    w = word.lower().removesuffix("'s")
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("ly", ""), ("s", "")):
        if w.endswith(suffix) and not w.endswith("ss") and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)] + replacement
    return w


def content_stems(text: str) -> list[str]:
    """Stems of the words of `text` that are not stop words."""
    return [stem(w) for w in WORD.findall(text) if w.lower() not in STOPWORDS]


def embed(text: str, dimensions: int = EMBEDDING_DIM) -> list[float]:
    """A deterministic L2-normalised hashed bag of word stems (an empty text maps to the first axis)."""
    stems = content_stems(text) or [stem(w) for w in WORD.findall(text)]
    vector = [0.0] * dimensions
    for s in stems:
        vector[int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "big") % dimensions] += 1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if not norm:
        vector[0], norm = 1.0, 1.0
    return [v / norm for v in vector]


@dataclass(frozen=True)
class Prompt:
    """What the fake model understood from a chat request."""

    system: str
    passages: dict[int, str]
    question: str
    mode: str | None


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message whose content is a string or a list of text parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _unfence(text: str) -> str:
    fence = FENCED.search(text)
    return (fence[2] if fence else text).strip()


def extract_passages(text: str) -> tuple[dict[int, str], list[tuple[int, int]]]:
    """Numbered passages in `text` (`<tag n="1">…</tag>` or `[1]` blocks) and the spans they occupy."""
    passages: dict[int, str] = {}
    spans: list[tuple[int, int]] = []
    for m in TAGGED_SOURCE.finditer(text):
        passages[int(m[2])] = _unfence(m[3])
        spans.append((m.start(), m.end()))
    markers = [m for m in BRACKET_MARKER.finditer(text) if not any(a <= m.start() < b for a, b in spans)]
    for i, m in enumerate(markers):
        stops = [a for a, _ in spans if a > m.start()] + [n.start() for n in markers[i + 1:i + 2]]
        limit = min(stops, default=len(text))
        block = text[m.end():limit]
        if fence := FENCED.search(block):
            body, end = fence[2], m.end() + fence.end()
        else:
            brk = PARAGRAPH_BREAK.search(block)
            body, end = (block[: brk.start()], m.end() + brk.start()) if brk else (block, limit)
            first, _, rest = body.strip().partition("\n")
            if rest.strip() and not first.rstrip().endswith((".", "!", "?", '"')):
                body = rest  # the marker's line is a title/date header, not the executive's words
        passages[int(m[1])] = body.strip()
        spans.append((m.start(), end))
    return passages, spans


def parse_prompt(messages: list[dict[str, Any]]) -> Prompt:
    """The system text, numbered passages, last question and magic mode token of a chat request."""
    messages = [m for m in messages if isinstance(m, dict)]
    system = "\n".join(message_text(m) for m in messages if m.get("role") in ("system", "developer"))
    passages: dict[int, str] = {}
    for message in messages:
        if message.get("role") != "assistant":
            passages.update(extract_passages(message_text(message))[0])
    users = [message_text(m) for m in messages if m.get("role") == "user"]
    last = users[-1] if users else ""
    tokens = MODE_TOKEN.findall(last)
    last = MODE_TOKEN.sub("", last)
    labels = list(QUESTION_LABEL.finditer(last))
    if labels:
        question = last[labels[-1].end():]
    else:
        removed = [False] * len(last)
        for start, end in extract_passages(last)[1]:
            removed[start:end] = [True] * (end - start)
        last = "".join("\n" if gone else ch for ch, gone in zip(last, removed, strict=True))
        paragraphs = [p for p in PARAGRAPH_BREAK.split(last) if p.strip()]
        question = paragraphs[-1] if paragraphs else ""
    return Prompt(system, passages, " ".join(question.split()), tokens[-1] if tokens else None)


def pick_sentences(prompt: Prompt) -> list[tuple[int, str]]:
    """Up to two (passage number, sentence) pairs sharing the most content words with the question."""
    wanted = set(content_stems(prompt.question))
    ranked = sorted(prompt.passages.items(), key=lambda kv: (-len(wanted & set(content_stems(kv[1]))), kv[0]))
    if not ranked or not wanted & set(content_stems(ranked[0][1])):
        return []
    candidates: list[tuple[int, int, int, str]] = []
    for rank, (n, text) in enumerate(ranked[:2]):
        for position, sentence in enumerate(SENTENCE_BREAK.split(text)):
            if overlap := len(wanted & set(content_stems(sentence))):
                candidates.append((overlap, rank * 10_000 + position, n, " ".join(sentence.split())))
    best = sorted(candidates, key=lambda c: (-c[0], c[1]))[:2]
    return [(n, sentence) for _, _, n, sentence in sorted(best, key=lambda c: c[1])]  # read in document order


def injected_reply(prompt: Prompt) -> str | None:
    """What a model that obeys planted instructions says, or None when nothing was planted."""
    places = [(n, text) for n, text in sorted(prompt.passages.items())] + [(0, prompt.question)]
    for n, text in places:
        cite = f" [{n}]" if n else ""
        if LEAK_REQUEST.search(text):
            return prompt.system + cite
        if INJECTION.search(text):
            return PWNED + cite
    return None


def compose_reply(prompt: Prompt, mode: str, script: str) -> str:
    """The assistant's text for a chat request in the given mode."""
    if mode == "scripted":
        return script
    if mode == "comply_injection" and (hijacked := injected_reply(prompt)):
        return hijacked
    if mode == "unsupported":
        return f"{INVENTED_CLAIM} [1]"
    picks = pick_sentences(prompt)
    if mode == "uncited":
        return " ".join(s for _, s in picks) or FLUENT_FILLER
    if mode == "cite_unknown":
        return " ".join(f"{s} [99]" for _, s in picks) or f"{FLUENT_FILLER} [99]"
    if not picks:
        line = NO_ANSWER_LINE.search(prompt.system)
        return line[1] if line else DEFAULT_NO_ANSWER
    return " ".join(f"{s} [{n}]" for n, s in picks)


def stream_pieces(text: str) -> list[str]:
    """`text` cut into pieces of about two words whose concatenation is `text` exactly."""
    words = re.findall(r"\S+\s*|\s+", text)
    return ["".join(words[i:i + 2]) for i in range(0, len(words), 2)]


def _word_count(text: str) -> int:
    return len(WORD.findall(text))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeOpenAI) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut kept-alive client connections so no handler thread outlives the server."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake._record({"method": self.command, "path": path, "headers": headers, "body": body})
        try:
            auth = headers.get("authorization", "")
            if not auth.startswith("Bearer ") or not auth[7:].strip():
                self._send_error(401, "Missing bearer token.", "invalid_request_error", "invalid_api_key")
            elif not isinstance(body, dict):
                self._send_error(400, "The body is not a JSON object.", "invalid_request_error")
            elif (self.command, path) == ("POST", CHAT_PATH):
                self._chat(body)
            elif (self.command, path) == ("POST", EMBEDDINGS_PATH):
                self._embeddings(body)
            elif (self.command, path) == ("GET", MODELS_PATH):
                models = [{"id": fake.model, "object": "model", "created": 0, "owned_by": "fake-openai"}]
                self._send_json(200, {"object": "list", "data": models})
            else:
                self._send_error(404, f"No route for {self.command} {path}.", "invalid_request_error")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its time-out); nothing to tell it

    def _mode(self, token: str | None) -> str | None:
        """The mode of this request, or None after answering 400 for an unknown magic token."""
        mode = token or self.server.fake.mode
        if mode not in MODES:
            self._send_error(400, f"Unknown fake mode {mode!r}.", "invalid_request_error")
            return None
        return mode

    def _misbehave_early(self, mode: str, payload: dict[str, Any], stream: bool) -> bool:
        """Apply the modes that spoil a whole response; True when the response was sent."""
        if mode == "slow" and not stream:
            self.server.fake._pause()
        if mode == "error500":
            self._send_error(500, "The fake model failed on purpose.", "server_error")
        elif mode == "bad_json" and not stream:
            self._send_raw(200, json.dumps(payload).encode()[:40], "application/json")
        elif mode == "drop_stream" and not stream:
            data = json.dumps(payload).encode()
            self._send_raw(200, data[: len(data) // 2], "application/json", length=len(data))
            self._drop()
        else:
            return False
        return True

    def _chat(self, body: dict[str, Any]) -> None:
        fake = self.server.fake
        prompt = parse_prompt(body.get("messages") or [])
        if (mode := self._mode(prompt.mode)) is None:
            return
        text = compose_reply(prompt, mode, fake.script)
        model = str(body.get("model") or fake.model)
        prompt_tokens = sum(_word_count(message_text(m)) for m in body.get("messages") or [])
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": _word_count(text),
                 "total_tokens": prompt_tokens + _word_count(text)}
        head = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": model}
        message = {"role": "assistant", "content": text, "refusal": None}
        payload = {**head, "object": "chat.completion", "usage": usage,
                   "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}]}
        stream = bool(body.get("stream"))
        if self._misbehave_early(mode, payload, stream):
            return
        if not stream:
            self._send_json(200, payload)
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self._stream(mode, head, text, usage if include_usage else None)

    def _stream(self, mode: str, head: dict[str, Any], text: str, usage: dict[str, int] | None) -> None:
        fake = self.server.fake
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            extra = {"usage": None} if usage else {}
            return {**head, "object": "chat.completion.chunk", "choices": [choice], **extra}

        self._write_event(chunk({"role": "assistant", "content": ""}))
        pieces = stream_pieces(text)
        if mode == "drop_stream":
            pieces = pieces[: max(1, len(pieces) // 2)]
        for i, piece in enumerate(pieces):
            if mode == "slow":
                fake._pause()
            self._write_event(chunk({"content": piece}))
            if mode == "bad_json" and i == 0:
                self._write_chunk(b'data: {"id": "chatcmpl-broken", "choices": [{"delta": {"content": "\n\n')
        if mode == "drop_stream":
            self._drop()
            return
        self._write_event(chunk({}, "stop"))
        if usage:
            self._write_event({**head, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _embeddings(self, body: dict[str, Any]) -> None:
        fake = self.server.fake
        raw_input = body.get("input")
        inputs = [raw_input] if isinstance(raw_input, str) else list(raw_input or [])
        if not inputs or not all(isinstance(i, str) for i in inputs):
            self._send_error(400, "input must be a string or a list of strings.", "invalid_request_error")
            return
        tokens = [t for i in inputs for t in MODE_TOKEN.findall(i)]
        if (mode := self._mode(tokens[-1] if tokens else None)) is None:
            return
        dimensions = int(body.get("dimensions") or EMBEDDING_DIM)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(inputs):
            vector: Any = embed(MODE_TOKEN.sub("", text), dimensions)
            if as_base64:
                vector = base64.b64encode(array.array("f", vector).tobytes()).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        count = sum(_word_count(i) for i in inputs)
        payload = {"object": "list", "data": data, "model": str(body.get("model") or fake.model),
                   "usage": {"prompt_tokens": count, "total_tokens": count}}
        if not self._misbehave_early(mode, payload, stream=False):
            self._send_json(200, payload)

    def _send_raw(self, status: int, data: bytes, content_type: str, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send_raw(status, json.dumps(payload).encode(), "application/json")

    def _send_error(self, status: int, message: str, kind: str, code: str | None = None) -> None:
        self._send_json(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _write_event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _drop(self) -> None:
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1 that answers from the prompt's own passages."""

    def __init__(self, mode: str = "honest", *, delay: float = 2.0, script: str = "",
                 model: str = "fake-gpt") -> None:
        self.mode = mode
        self.delay = delay
        self.script = script
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"unknown mode {value!r}; choose from {sorted(MODES)}")
        self._mode = value

    def set_mode(self, mode: str, *, delay: float | None = None, script: str | None = None) -> None:
        """Switch every later request to `mode` (optionally with a new delay or script)."""
        self.mode = mode
        if delay is not None:
            self.delay = delay
        if script is not None:
            self.script = script

    @property
    def base_url(self) -> str:
        """The URL to give an OpenAI client, ending in /v1."""
        if self._httpd is None:
            raise RuntimeError("the fake OpenAI server is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def last_request(self) -> dict[str, Any]:
        """The most recent request recorded."""
        with self._lock:
            return self.requests[-1]

    def start(self) -> FakeOpenAI:
        """Bind a free port and serve in a background thread."""
        if self._httpd is None:
            self._stopping.clear()
            self._httpd = _HTTPServer(self)
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="fake-openai", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake any slow responses and free the port."""
        if self._httpd is not None and self._thread is not None:
            self._stopping.set()
            self._httpd.shutdown()
            self._httpd.close_connections()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = self._thread = None

    def reset(self) -> None:
        """Forget recorded requests and hits."""
        with self._lock:
            self.requests.clear()
            self.hits.clear()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _record(self, request: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(request)
            self.hits[request["path"]] += 1

    def _pause(self) -> None:
        self._stopping.wait(self.delay)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running FakeOpenAI in honest mode, stopped after the test."""
    with FakeOpenAI() as server:
        yield server
