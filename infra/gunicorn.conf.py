"""Gunicorn settings for the Understudy web service.

Run: gunicorn -c infra/gunicorn.conf.py 'service.app:create_app()'
Environment: PORT or UNDERSTUDY_BIND (host:port), WEB_CONCURRENCY (workers), GUNICORN_THREADS,
GUNICORN_TIMEOUT, GUNICORN_BACKLOG,
GUNICORN_HEADER_TIMEOUT, GUNICORN_MAX_HEADER_BYTES; every UNDERSTUDY_* setting is read by create_app().

Metrics: each worker is a process of its own, so /metrics must add up every worker's counters. That is
prometheus_client's multi-process mode: PROMETHEUS_MULTIPROC_DIR names a folder (an emptyDir or tmpfs, one per
replica) where workers keep their metric files. It is emptied when gunicorn starts and a dead worker's gauges
are dropped; when it is unset a fresh temporary folder is used.
Logs: UNDERSTUDY_LOG_FORMAT=json makes gunicorn's own lines JSON too (the access log is JSON always).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def _int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


if os.environ.get("UNDERSTUDY_BIND"):
    bind = [os.environ["UNDERSTUDY_BIND"]]
else:
    bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]

# Threads let a worker hold a streaming (SSE) answer open while serving other requests. gthread, except that a
# request's headers are read on the worker's event loop, so slow-loris clients cannot hold the threads
# (service/ops/gunicorn_worker.py; GUNICORN_HEADER_TIMEOUT, default 10 s, then 408).
worker_class = "service.ops.gunicorn_worker.HeaderBufferingWorker"
# One process per core: answers are CPU-bound Python, and on 2 cores 5 workers spent 10-20% more CPU per answer
# than 2 (bench/load.py), held 2.5 times the memory, and gave a worse p95. Threads cover waits (model, streams).
workers = _int("WEB_CONCURRENCY", min(max(multiprocessing.cpu_count(), 2), 8))
threads = _int("GUNICORN_THREADS", 8)
# Connections waiting for a free thread queue here (then in the kernel's backlog) instead of being refused.
backlog = _int("GUNICORN_BACKLOG", 2048)
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

if os.environ.get("UNDERSTUDY_LOG_FORMAT", "").lower() == "json":
    logconfig_dict: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "service.ops.logs.JsonFormatter"},
                       "plain": {"format": "%(message)s"}},
        "handlers": {"error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
                     "access": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stdout"}},
        "root": {"handlers": [], "level": "WARNING"},
        "loggers": {"gunicorn.error": {"handlers": ["error"], "level": loglevel.upper(), "propagate": False},
                    "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False}},
    }

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="understudy-metrics-")


def on_starting(server: Any) -> None:
    """Start every run with an empty metrics folder: files of a previous run would add to the counts."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges; its counters stay in the totals."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
