"""A WSGI app served on a loopback port of its own, in a background thread, for tests that need real HTTP."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


@contextlib.contextmanager
def serving(app: Any) -> Iterator[BaseWSGIServer]:
    """Serve `app` on 127.0.0.1 (port 0: the system picks one) until the block ends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=10)
