"""Gunicorn settings for the Understudy web service.

Run: gunicorn -c infra/gunicorn.conf.py 'service.app:create_app()'
Environment: PORT or UNDERSTUDY_BIND (host:port), WEB_CONCURRENCY (workers), GUNICORN_THREADS,
GUNICORN_TIMEOUT; every UNDERSTUDY_* setting is read by create_app().
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


if os.environ.get("UNDERSTUDY_BIND"):
    bind = [os.environ["UNDERSTUDY_BIND"]]
else:
    bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]

# Threads let a worker hold a streaming (SSE) answer open while serving other requests.
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8))
threads = _int("GUNICORN_THREADS", 8)
# A streamed answer may take a model's full time-out (UNDERSTUDY_LLM_TIMEOUT) and more.
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# Each worker builds its own app (engine pools must not cross a fork).
preload_app = False
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("UNDERSTUDY_LOG_LEVEL", "info").lower()
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "query": "%(q)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, "request_id": "%({x-request-id}o)s", '
    '"user_agent": "%(a)s"}'
)
