"""Every Understudy setting in one table: name, default, one-line help; read from UNDERSTUDY_* variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

ENV_PREFIX = "UNDERSTUDY_"


def _bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | list[str] | tuple[str, ...]) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [part.strip() for part in value.split(",") if part.strip()]


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    chosen = str(value).strip().lower()
    if chosen not in allowed:
        raise ValueError(f"must be one of {', '.join(allowed)}")
    return chosen


def default_database_url() -> str:
    """A SQLite file in the user's data directory."""
    data_dir = Path(platformdirs.user_data_dir("understudy", appauthor=False))
    return f"sqlite:///{data_dir / 'understudy.db'}"


@dataclass(frozen=True)
class Setting:
    """One setting: its name without the prefix, default, help line and parser."""

    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = str
    secret: bool = False

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None, "SQLAlchemy URL of the corpus database; default a SQLite file in the user's data directory."),
    Setting("SECRET_KEY", None, "Secret for session cookies and CSRF tokens; required outside development.", secret=True),
    Setting("REDIS_URL", "", "Redis URL for shared rate limits and queues; empty keeps them in process memory."),
    Setting("LLM_BASE_URL", "", "Base URL of an OpenAI-compatible model endpoint; empty keeps answers extractive."),
    Setting("LLM_API_KEY", "", "API key for the model endpoint.", secret=True),
    Setting("LLM_MODEL", "", "Chat model name at the endpoint; empty keeps answers extractive."),
    Setting("LLM_TIMEOUT", 20.0, "Seconds to wait for the model before falling back to extractive.", float),
    Setting("EMBEDDINGS_MODEL", "", "Empty: the embedded all-MiniLM-L6-v2, in process (the default). A model name: that model at an OpenAI-compatible endpoint (EMBEDDINGS_BASE_URL, else LLM_BASE_URL). 'off': lexical search only."),
    Setting("EMBEDDINGS_BASE_URL", "", "Embeddings endpoint if different from LLM_BASE_URL."),
    Setting("EMBEDDINGS_PRECISION", "int8", "Precision of the embedded model: 'int8' (about 3x faster on CPU) or 'fp32' (the published weights exactly).", lambda v: _choice(v, ("int8", "fp32"))),
    Setting("MODEL_CACHE", "", "Folder for the embedded model's built ONNX files; empty: the user's cache directory (~/.cache/understudy)."),
    Setting("EMBEDDINGS_THREADS", 0, "CPU threads the embedded model may use per call; 0 lets ONNX Runtime choose (all cores).", int),
    Setting("SLACK_BOT_TOKEN", "", "Slack bot token (xoxb-…).", secret=True),
    Setting("SLACK_SIGNING_SECRET", "", "Slack signing secret for HTTP mode.", secret=True),
    Setting("SLACK_APP_TOKEN", "", "Slack app-level token (xapp-…) for Socket Mode.", secret=True),
    Setting("SLACK_API_URL", "https://slack.com/api/", "Slack Web API base URL, for tests and proxies."),
    Setting("OIDC_ISSUER", "", "OIDC issuer URL for single sign-on; empty enables development sign-in."),
    Setting("OIDC_CLIENT_ID", "", "OIDC client id."),
    Setting("OIDC_CLIENT_SECRET", "", "OIDC client secret.", secret=True),
    Setting("RATELIMIT_ASK", "30/minute", "Per-user limit on questions, in Flask-Limiter syntax."),
    Setting("RATELIMIT_KEY_PREFIX", "understudy", "Prefix of rate-limit keys in shared storage (Redis)."),
    Setting("SECURE_COOKIES", True, "Send session cookies only over HTTPS; turn off for plain-HTTP development.", _bool),
    Setting("MAX_FILE_MB", 50.0, "Largest file accepted for ingestion or upload, in megabytes.", float),
    Setting("PDF_TIMEOUT", 30.0, "Seconds a PDF may take to parse before it is rejected.", float),
    Setting("PDF_MEMORY_MB", 1024, "Address-space limit of the PDF parsing worker, in megabytes.", int),
    Setting("PASSAGE_WORDS", 90, "Target passage length in words when chunking.", int),
    Setting("DEFAULT_AUDIENCE", "everyone", "Audience given to new sources and seen by every user."),
    Setting("SEARCH_K", 8, "Passages retrieved for an answer.", int),
    Setting("SEARCH_CANDIDATES", 120, "Top-ranked index rows the access filter and reranker look at per query.", int),
    Setting("SEARCH_DENSE_WEIGHT", 0.8, "Share of similarity by meaning in the fused search score (the rest is the lexical score relative to the best).", float),
    Setting("EMBEDDINGS_TIMEOUT", 5.0, "Seconds to wait for the embeddings endpoint before keeping the lexical ranking.", float),
    Setting("GROUNDING_THRESHOLD", 0.43, "With semantic search off: minimum grounding (IDF-weighted share of the question's terms in the best sentence and passage) for an answer; below it the twin declines.", float),
    Setting("ANSWER_THRESHOLD", 0.5, "Least calibrated evidence (0 to 1: closeness in meaning of the best passage and sentence, and shared rare terms) for an extractive answer; below it the twin gives its no-answer message. Chosen by bench/answers.py on reworded questions.", float),
    Setting("LLM_ANSWER_THRESHOLD", 0.3, "Least calibrated evidence for asking the model at all (it may still reply with the no-answer message); below it the twin declines without a model call.", float),
    Setting("GAPS_SIMILARITY", 0.5, "Messaging-gap map: least average closeness in meaning (cosine, 0 to 1) of two groups of unanswered questions for them to be one theme. Chosen by bench/gaps.py on reworded questions.", float),
    Setting("GAPS_MIN_AUDIENCE_GROUP", 5, "Messaging-gap map: fewest distinct askers of a theme (and of an audience within it) for their audiences to be shown.", int),
    Setting("CORRECTION_SIMILARITY", 0.5, "Least similarity in meaning (cosine, 0 to 1, by the semantic model) of a question to a curator-corrected question, its other phrasings or the sentences it quotes, for the correction to answer it; the same words always match. Chosen by bench/corrections.py; shown on the console's Corrections page.", float),
    Setting("DEV_LOGIN", True, "Allow the development sign-in link when no OIDC issuer is set.", _bool),
    Setting("PUBLIC_URL", "", "Where people reach the web UI, for the links the CLI prints (`understudy users link`); empty: http://127.0.0.1:8000, the development server."),
    Setting("LOG_LEVEL", "INFO", "Logging level."),
    Setting("REHEARSAL_MAX_ROUNDS", 3, "Rounds of follow-up in a pitch rehearsal before the twin sums up.", int),
    Setting("REHEARSAL_QUESTIONS", 5, "Questions the twin surfaces for a pitch.", int),
    Setting("REHEARSAL_MAX_PITCH_WORDS", 5000, "Longest pitch a rehearsal accepts, in words.", int),
    Setting("REHEARSAL_MIN_PITCH_WORDS", 12, "Shortest pitch a rehearsal accepts, in words (a one-sentence pitch needs twice this); a shorter one gets a request for more instead of a scorecard.", int),
    Setting("DB_POOL_SIZE", 10, "Database connections each process keeps open (PostgreSQL; SQLite ignores it).", int),
    Setting("DB_MAX_OVERFLOW", 20, "Extra connections a process may open above DB_POOL_SIZE under bursts (PostgreSQL).", int),
    Setting("DB_POOL_TIMEOUT", 30.0, "Seconds a request waits for a free pooled connection before failing.", float),
    Setting("DB_POOL_RECYCLE", 1800, "Seconds after which a pooled connection is replaced (outlives proxies' idle cut-offs).", int),
    Setting("LOG_FORMAT", "text", "Log lines as 'text' for people or 'json' (one object a line, with the request id) for collectors."),
    Setting("INGEST_QUEUE", "auto", "Where large uploads are ingested: 'auto' (a background job on Redis when REDIS_URL is set, else inline), 'rq' or 'inline'."),
    Setting("INGEST_BACKGROUND_FILES", 5, "Uploads of at least this many files become a background job when a queue is configured.", int),
    Setting("INGEST_JOB_TIMEOUT", 7200, "Seconds one background ingestion job may run before the worker stops it.", int),
    Setting("INGEST_QUEUE_NAME", "understudy-ingest", "Name of the Redis queue for ingestion jobs."),
    Setting("SLACK_DEFAULT_TWIN", "", "Twin that answers in Slack when neither the command nor the channel names one."),
    Setting("SLACK_UNKNOWN_USERS", "default-audience", "Slack users with no Understudy account: 'default-audience' (answered from sources for everyone) or 'refuse'."),
    Setting("SLACK_PUBLIC_REPLIES", True, "Whether answers may be posted publicly in Slack channels that have no setting of their own.", _bool),
)

_BY_NAME = {s.name: s for s in SETTINGS}


class Settings(Mapping[str, Any]):
    """Resolved settings: overrides first, then UNDERSTUDY_* environment, then defaults."""

    def __init__(self, values: Mapping[str, Any]):
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key.upper()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name.upper()]
        except KeyError:
            raise AttributeError(name) from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed."""
        return load_settings({**self._values, **{k.upper(): v for k, v in changes.items()}}, environ={})

    @property
    def llm_enabled(self) -> bool:
        return bool(self._values["LLM_BASE_URL"] and self._values["LLM_MODEL"])


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting; tests pass a dict of overrides (names with or without the prefix)."""
    env = os.environ if environ is None else environ
    given = {}
    for key, value in (overrides or {}).items():
        name = key.upper().removeprefix(ENV_PREFIX)
        if name not in _BY_NAME:
            raise KeyError(f"unknown setting {key!r}")
        given[name] = value
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name in given:
            raw = given[setting.name]
        elif setting.env_var in env:
            raw = env[setting.env_var]
        else:
            raw = setting.default
        try:
            values[setting.name] = raw if raw is None else setting.parse(raw)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{setting.env_var}: cannot read {raw!r}: {exc}") from exc
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = default_database_url()
    return Settings(values)
