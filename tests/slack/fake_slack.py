"""A local server that speaks enough of the Slack Web API (and Socket Mode's websocket) for the Slack app's tests.

It records every call and every message posted (blocks, thread, channel, who may see it), serves files with the
bot token only, answers response_url posts, and can answer a method with 429 + Retry-After once.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
BOT_USER_ID = "UBOT"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass
class Call:
    """One Web API call as the server saw it."""

    method: str
    args: dict[str, Any]
    authorization: str
    at: float
    status: int = 200


@dataclass
class Post:
    """A message the app posted, however it posted it."""

    via: str  # chat.postMessage | chat.postEphemeral | response_url
    channel: str | None
    thread_ts: str | None
    user: str | None
    text: str
    blocks: list[dict[str, Any]]
    response_type: str | None = None
    ts: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        """Whether everyone in the channel sees it."""
        return self.via == "chat.postMessage" or (self.via == "response_url" and self.response_type == "in_channel")

    @property
    def dumped(self) -> str:
        """Everything posted, as one string, to look for text anywhere in it."""
        return json.dumps({"text": self.text, "blocks": self.blocks}, ensure_ascii=False)

    def block_texts(self) -> list[str]:
        """The text of every section and context element, in order."""
        out: list[str] = []
        for block in self.blocks:
            if block.get("type") == "section":
                out.append(block["text"]["text"])
            elif block.get("type") == "context":
                out += [e.get("text", "") for e in block.get("elements", [])]
        return out

    def action_ids(self) -> list[str]:
        """The action ids of every button (actions blocks and section accessories)."""
        ids = []
        for block in self.blocks:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                ids.append(element["action_id"])
            if block.get("accessory"):
                ids.append(block["accessory"]["action_id"])
        return ids

    def button_value(self, action_id: str) -> str:
        for block in self.blocks:
            elements = block.get("elements", []) if block.get("type") == "actions" else []
            elements = elements + ([block["accessory"]] if block.get("accessory") else [])
            for element in elements:
                if element.get("action_id") == action_id:
                    return str(element["value"])
        raise KeyError(action_id)


class FakeSlack:
    """The server, its recorded traffic, and knobs for users, files, failures and held responses."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.calls: list[Call] = []
        self.posts: list[Post] = []
        self.views: list[dict[str, Any]] = []
        self.downloads: list[tuple[str, str]] = []
        self.failures: dict[str, list[tuple[int, float]]] = {}
        self.not_in_channel: set[str] = set()
        self.hold = threading.Event()
        self.hold.set()
        self.ws_url: str | None = None
        self._cond = threading.Condition()
        self._ts = 1700000000.000100
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle and addresses -------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.hold.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base_url}/response/{name}"

    # --- knobs -------------------------------------------------------------------------------------

    def add_user(self, slack_id: str, email: str | None, *, is_bot: bool = False) -> None:
        profile = {"email": email} if email else {}
        self.users[slack_id] = {"id": slack_id, "name": slack_id.lower(), "is_bot": is_bot, "deleted": False,
                                "profile": profile}

    def add_file(self, file_id: str, name: str, data: bytes, *, size: int | None = None) -> dict[str, Any]:
        info = {"id": file_id, "name": name, "title": name, "size": len(data) if size is None else size,
                "url_private": f"{self.base_url}/files/{file_id}/{name}",
                "url_private_download": f"{self.base_url}/files/{file_id}/download/{name}"}
        self.files[file_id] = (info, data)
        return info

    def fail_once(self, method: str, status: int = 429, retry_after: float = 1) -> None:
        self.failures.setdefault(method, []).append((status, retry_after))

    # --- reading what happened ---------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[FakeSlack], Any], timeout: float = 30, what: str = "") -> Any:
        """Block until predicate(self) is truthy and return its value; fail the test after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(self)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what or predicate}; posts: "
                                         f"{[(p.via, p.text[:80]) for p in self.posts]}")
                self._cond.wait(remaining)

    def wait_posts(self, count: int, timeout: float = 30) -> list[Post]:
        return self.wait_for(lambda f: f.posts[:] if len(f.posts) >= count else None, timeout,
                             f"{count} posted messages")

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def _record(self, item: Any, into: list[Any]) -> None:
        with self._cond:
            into.append(item)
            self._cond.notify_all()

    def _next_ts(self) -> str:
        with self._cond:
            self._ts += 0.0001
            return f"{self._ts:.6f}"

    # --- the Web API -------------------------------------------------------------------------------

    def api(self, method: str, args: dict[str, Any], authorization: str) -> tuple[int, dict[str, str], dict[str, Any]]:
        queued = self.failures.get(method)
        if queued:
            status, retry_after = queued.pop(0)
            self._record(Call(method, args, authorization, time.monotonic(), status), self.calls)
            return status, {"Retry-After": f"{retry_after:g}"}, {"ok": False, "error": "ratelimited"}
        self._record(Call(method, args, authorization, time.monotonic()), self.calls)
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if authorization != f"Bearer {expected}":
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        return 200, {}, handler(args)

    def api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://example.slack.com/", "team": "Example", "user": "understudy",
                "team_id": "T1", "user_id": BOT_USER_ID, "bot_id": "BBOT"}

    def _message(self, via: str, args: dict[str, Any], ts: str) -> Post:
        blocks = args.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        return Post(via=via, channel=args.get("channel"), thread_ts=args.get("thread_ts") or None,
                    user=args.get("user"), text=args.get("text") or "", blocks=blocks, ts=ts, raw=dict(args))

    def api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel") in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        ts = self._next_ts()
        self._record(self._message("chat.postMessage", args, ts), self.posts)
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": {"ts": ts}}

    def api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        self._record(self._message("chat.postEphemeral", args, ts), self.posts)
        return {"ok": True, "message_ts": ts}

    def api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}

    def api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        self._record({"trigger_id": args.get("trigger_id"), **(view or {})}, self.views)
        return {"ok": True, "view": {"id": "V1", **(view or {})}}

    def api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "")
        return {"ok": True, "channel": {"id": "D" + users.lstrip("U")}}

    def api_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        found = self.files.get(str(args.get("file")))
        return {"ok": True, "file": found[0]} if found else {"ok": False, "error": "file_not_found"}

    def api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.ws_url} if self.ws_url else {"ok": False, "error": "no_socket"}

    def response_post(self, name: str, body: dict[str, Any]) -> None:
        self.hold.wait(60)
        if body.get("delete_original"):
            self._record(Post(via="response_url:delete", channel=None, thread_ts=None, user=None, text="", blocks=[],
                              raw=body), self.posts)
            return
        self._record(Post(via="response_url", channel=name, thread_ts=body.get("thread_ts"), user=None,
                          text=body.get("text") or "", blocks=body.get("blocks") or [],
                          response_type=body.get("response_type"), raw=body), self.posts)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                return

            def _reply(self, status: int, body: bytes, content_type: str = "application/json",
                       headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def _args(self) -> dict[str, Any]:
                parts = urlsplit(self.path)
                args: dict[str, Any] = dict(parse_qsl(parts.query))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if raw:
                    if "json" in (self.headers.get("Content-Type") or ""):
                        args.update(json.loads(raw))
                    else:
                        args.update(dict(parse_qsl(raw.decode())))
                return args

            def do_GET(self) -> None:  # noqa: N802
                path = urlsplit(self.path).path
                if path.startswith("/files/"):
                    file_id = path.split("/")[2]
                    fake._record((file_id, self.headers.get("Authorization") or ""), fake.downloads)
                    if self.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
                        self._reply(200, b"<html>sign in</html>", "text/html")
                        return
                    found = fake.files.get(file_id)
                    if found is None:
                        self._reply(404, b"not found", "text/plain")
                        return
                    self._reply(200, found[1], "application/octet-stream")
                    return
                self._api(path)

            def do_POST(self) -> None:  # noqa: N802
                path = urlsplit(self.path).path
                if path.startswith("/response/"):
                    body = self._args()
                    fake.response_post(path.rsplit("/", 1)[1], body)
                    self._reply(200, b"ok", "text/plain")
                    return
                self._api(path)

            def _api(self, path: str) -> None:
                if not path.startswith("/api/"):
                    self._reply(404, b"{}")
                    return
                status, headers, body = fake.api(path[len("/api/"):], self._args(),
                                                 self.headers.get("Authorization") or "")
                self._reply(status, json.dumps(body).encode(), headers=headers)

        return Handler


class FakeSocketMode:
    """A websocket server standing in for Slack's Socket Mode endpoint: sends envelopes, records the acks."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link?ticket=test"

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        key = ""
        for line in request.decode().split("\r\n"):
            if line.lower().startswith("sec-websocket-key:"):
                key = line.split(":", 1)[1].strip()
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        with self._cond:
            self._conn = conn
            self._cond.notify_all()
        self._send(conn, 0x1, json.dumps({"type": "hello", "num_connections": 1}).encode())
        try:
            while True:
                opcode, payload = self._read_frame(conn)
                if opcode == 0x8:
                    return
                if opcode == 0x9:
                    self._send(conn, 0xA, payload)
                elif opcode == 0x1:
                    with self._cond:
                        self.acks.append(json.loads(payload))
                        self._cond.notify_all()
        except (OSError, ConnectionError):
            return

    @staticmethod
    def _read_exact(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _read_frame(self, conn: socket.socket) -> tuple[int, bytes]:
        b0, b1 = self._read_exact(conn, 2)
        length = b1 & 0x7F
        if length == 126:
            length = struct.unpack(">H", self._read_exact(conn, 2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self._read_exact(conn, 8))[0]
        mask = self._read_exact(conn, 4) if b1 & 0x80 else b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read_exact(conn, length)))
        return b0 & 0x0F, payload

    def _send(self, conn: socket.socket, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([n])
        elif n < 65536:
            header += bytes([126]) + struct.pack(">H", n)
        else:
            header += bytes([127]) + struct.pack(">Q", n)
        with self._send_lock:
            conn.sendall(header + payload)

    def send_envelope(self, envelope: dict[str, Any], timeout: float = 30) -> None:
        """Deliver one envelope to the connected client."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._conn is not None, timeout):
                raise AssertionError("the Socket Mode client never connected")
            conn = self._conn
        assert conn is not None
        self._send(conn, 0x1, json.dumps(envelope).encode())

    def wait_ack(self, envelope_id: str, timeout: float = 30) -> dict[str, Any]:
        with self._cond:
            found = self._cond.wait_for(
                lambda: next((a for a in self.acks if a.get("envelope_id") == envelope_id), None), timeout)
        if not found:
            raise AssertionError(f"no ack for envelope {envelope_id}; acks: {self.acks}")
        return found

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
