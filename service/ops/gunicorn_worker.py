"""A gunicorn gthread worker that reads each request's headers on its event loop, not in a thread.

Plain gthread hands a connection to a thread as soon as its first bytes arrive, and the thread then blocks
until the headers are complete: a few dozen clients sending their headers a byte at a time (slow-loris) hold
every thread and the worker stops answering. Here the worker's event loop buffers the request head without
blocking; a thread only ever gets a connection whose headers have fully arrived. A head that takes longer
than GUNICORN_HEADER_TIMEOUT seconds is answered 408, one larger than GUNICORN_MAX_HEADER_BYTES 431, and the
connection closed. HTTPS terminated in gunicorn itself keeps gthread's own path (put TLS in the proxy).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
_END_OF_HEAD = b"\r\n\r\n"


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def _refusal(status: str) -> bytes:
    code, message = (("request_timeout", "The request headers took too long to arrive.") if status.startswith("408")
                     else ("headers_too_large", "The request headers are too large."))
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


class HeaderBufferingWorker(ThreadWorker):
    """gthread, except that request heads are read without holding a thread (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = _env_number("GUNICORN_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT)
        self.max_header_bytes = int(_env_number("GUNICORN_MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES))
        self.reading_heads: dict[Any, float] = {}

    def enqueue_req(self, conn: Any) -> None:
        """Buffer the request head on the event loop; hand the connection to a thread once it is whole."""
        if self.cfg.is_ssl or getattr(conn, "is_http2", False):
            super().enqueue_req(conn)
            return
        conn.init()  # plain HTTP/1: only makes the parser, no I/O
        conn.head = bytearray(conn.parser.unreader.take_buffered())  # a pipelined next request's first bytes
        if _END_OF_HEAD in conn.head:
            self._hand_off(conn)
            return
        conn.sock.setblocking(False)
        self.reading_heads[conn] = time.monotonic() + self.header_timeout
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_head_bytes, conn))

    def _on_head_bytes(self, conn: Any, _client: Any) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._stop_reading(conn)
            self._close(conn)
            return
        conn.head += data
        if _END_OF_HEAD in conn.head[:self.max_header_bytes + len(_END_OF_HEAD)]:
            self._stop_reading(conn)
            self._hand_off(conn)
        elif len(conn.head) > self.max_header_bytes:
            self._refuse(conn, "431 Request Header Fields Too Large")

    def _hand_off(self, conn: Any) -> None:
        conn.parser.unreader.unread(bytes(conn.head))
        conn.head = None
        conn.data_ready = True
        super().enqueue_req(conn)

    def _stop_reading(self, conn: Any) -> None:
        self.reading_heads.pop(conn, None)
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)

    def _close(self, conn: Any) -> None:
        self.nr_conns -= 1
        conn.close()

    def _refuse(self, conn: Any, status: str) -> None:
        self._stop_reading(conn)
        with contextlib.suppress(OSError):
            conn.sock.send(_refusal(status))
        self._close(conn)

    def murder_pending(self) -> None:
        """gthread's own expiry, then answer 408 to every head that is past its time."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, deadline in self.reading_heads.items() if deadline <= now]:
            self._refuse(conn, "408 Request Timeout")
