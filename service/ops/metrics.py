"""Prometheus metrics of the web process: requests, latencies, answers by mode, no-answer rate, fallbacks, jobs.

Under gunicorn every worker is its own process: set PROMETHEUS_MULTIPROC_DIR (infra/gunicorn.conf.py makes a
fresh one when it is unset) so /metrics adds up the counters of all workers, the live and the recycled ones.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_REQUESTS = Counter("understudy_http_requests", "HTTP requests served, by route, method and status.",
                        ["endpoint", "method", "status"])
HTTP_LATENCY = Histogram("understudy_http_request_duration_seconds",
                         "Time from request to the last byte of the response (streams included), by route.",
                         ["endpoint", "method"], buckets=LATENCY_BUCKETS)
ANSWERS = Counter("understudy_answers", "Answers given, by how they were made (extractive or llm), whether they "
                  "were grounded (grounded=\"false\" is the no-answer rate) and channel.",
                  ["mode", "grounded", "channel"])
ANSWER_LATENCY = Histogram("understudy_answer_duration_seconds",
                           "Time to make an answer, by mode; mode=\"llm\" is the model's latency plus the citation "
                           "checks.", ["mode"], buckets=LATENCY_BUCKETS)
LLM_FALLBACKS = Counter("understudy_llm_fallbacks",
                        "Answers the model should have written that fell back to extractive, by reason (timeout, "
                        "error, failed citation check, flagged question…).", ["reason"])
INGESTION_JOBS_SUBMITTED = Counter("understudy_ingestion_jobs_submitted", "Background ingestion jobs queued.")


def multiprocess_dir() -> str | None:
    """The folder shared by gunicorn's workers for their metric files, if multi-process mode is on."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one HTTP request and its latency."""
    HTTP_REQUESTS.labels(endpoint, method, str(status)).inc()
    HTTP_LATENCY.labels(endpoint, method).observe(max(seconds, 0.0))


def observe_answer(answer: Mapping[str, Any], *, channel: str) -> None:
    """Count one answer (the dict of engine.Answer.to_dict) by mode and grounding, with its fallback reason."""
    mode = str(answer.get("mode") or "extractive")
    ANSWERS.labels(mode, "true" if answer.get("grounded") else "false", channel).inc()
    latency_ms = answer.get("latency_ms")
    if isinstance(latency_ms, (int, float)):
        ANSWER_LATENCY.labels(mode).observe(max(float(latency_ms), 0.0) / 1000.0)
    reason = answer.get("fallback_reason")
    if reason:
        LLM_FALLBACKS.labels(str(reason)).inc()


class _JobsByStatus:
    """Ingestion jobs by status, read from the database at scrape time (the workers run elsewhere)."""

    def __init__(self, count: Callable[[], Mapping[str, int]]):
        self._count = count

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("understudy_ingestion_jobs", "Background ingestion jobs in the database, by "
                                   "status (queued, running, done, failed).", labels=["status"])
        try:
            counts = dict(self._count())
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because the database did
            log.warning("metrics: cannot count ingestion jobs: %s", exc)
            return
        for status in ("queued", "running", "done", "failed"):
            family.add_metric([status], float(counts.get(status, 0)))
        yield family


class _ProcessRegistry:
    """This process's own metrics (single-process mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def render(count_jobs: Callable[[], Mapping[str, int]] | None = None) -> tuple[bytes, str]:
    """The Prometheus text exposition of every worker's metrics, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    if count_jobs is not None:
        registry.register(_JobsByStatus(count_jobs))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def route_label(rule: str | None, endpoint: str | None) -> str:
    """A bounded label for a request: its URL rule, 'static', or 'unmatched' (never the raw path)."""
    if endpoint == "static":
        return "static"
    return rule or "unmatched"


class Timer:
    """Seconds since creation."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started
