"""Every Understudy setting in one table: name, type, default, one-line help; read from UNDERSTUDY_* variables."""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

ENV_PREFIX = "UNDERSTUDY_"
MEGABYTE = 1024 * 1024


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


def setting(default: Any, help: str, *, secret: bool = False, choices: tuple[str, ...] = ()) -> Any:
    """One row of the settings table: default and help line (its type is the field's annotation)."""
    return field(default=default, metadata={"help": help, "secret": secret, "choices": choices})


@dataclass(frozen=True, eq=False)  # a mapping: equal to another with the same items
class Settings(Mapping[str, Any]):
    """Resolved settings: overrides first, then UNDERSTUDY_* environment, then defaults.

    Read as attributes (`settings.search_k`, typed) or as a mapping by setting name (`settings["SEARCH_K"]`).
    """

    database_url: str = setting(None, "SQLAlchemy URL of the corpus database; default a SQLite file in the user's data directory.")
    secret_key: str | None = setting(None, "Secret for session cookies and CSRF tokens; required outside development.", secret=True)
    redis_url: str = setting("", "Redis URL for shared rate limits and queues; empty keeps them in process memory.")
    llm_base_url: str = setting("", "Base URL of an OpenAI-compatible model endpoint; empty keeps answers extractive.")
    llm_api_key: str = setting("", "API key for the model endpoint.", secret=True)
    llm_model: str = setting("", "Chat model name at the endpoint; empty keeps answers extractive.")
    llm_timeout: float = setting(20.0, "Seconds to wait for the model before falling back to extractive.")
    embeddings_model: str = setting("", "Empty: the embedded all-MiniLM-L6-v2, in process (the default). A model name: that model at an OpenAI-compatible endpoint (EMBEDDINGS_BASE_URL, else LLM_BASE_URL). 'off': lexical search only.")
    embeddings_base_url: str = setting("", "Embeddings endpoint if different from LLM_BASE_URL.")
    embeddings_precision: str = setting("int8", "Precision of the embedded model: 'int8' (about 3x faster on CPU) or 'fp32' (the published weights exactly).", choices=("int8", "fp32"))
    model_cache: str = setting("", "Folder for the embedded model's built ONNX files; empty: the user's cache directory (~/.cache/understudy).")
    embeddings_threads: int = setting(0, "CPU threads the embedded model may use per call; 0 lets ONNX Runtime choose (all cores).")
    slack_bot_token: str = setting("", "Slack bot token (xoxb-…).", secret=True)
    slack_signing_secret: str = setting("", "Slack signing secret for HTTP mode.", secret=True)
    slack_app_token: str = setting("", "Slack app-level token (xapp-…) for Socket Mode.", secret=True)
    slack_api_url: str = setting("https://slack.com/api/", "Slack Web API base URL, for tests and proxies.")
    oidc_issuer: str = setting("", "OIDC issuer URL for single sign-on; empty enables development sign-in.")
    oidc_client_id: str = setting("", "OIDC client id.")
    oidc_client_secret: str = setting("", "OIDC client secret.", secret=True)
    ratelimit_ask: str = setting("30/minute", "Per-user limit on questions, in Flask-Limiter syntax.")
    ratelimit_key_prefix: str = setting("understudy", "Prefix of rate-limit keys in shared storage (Redis).")
    secure_cookies: bool = setting(True, "Send session cookies only over HTTPS; turn off for plain-HTTP development.")
    max_file_mb: float = setting(50.0, "Largest file accepted for ingestion or upload, in megabytes.")
    pdf_timeout: float = setting(30.0, "Seconds a PDF may take to parse before it is rejected.")
    pdf_memory_mb: int = setting(1024, "Address-space limit of the PDF parsing worker, in megabytes.")
    passage_words: int = setting(90, "Target passage length in words when chunking.")
    default_audience: str = setting("everyone", "Audience given to new sources and seen by every user.")
    search_k: int = setting(8, "Passages retrieved for an answer.")
    search_candidates: int = setting(120, "Top-ranked index rows the access filter and reranker look at per query.")
    search_dense_weight: float = setting(0.8, "Share of similarity by meaning in the fused search score (the rest is the lexical score relative to the best).")
    search_source_weight: float = setting(0.0, "Weight of a source's own closeness in meaning to the query (mean similarity of its 3 nearest passages among those scored) added to each of its passages' fused score, so a speech about the subject outranks a passing mention; off by default: at 0.4 it ranked the gold speech first more often on reworded questions but cited it no more often, and cost QMSum hit@5 (bench/search.py).")
    embeddings_timeout: float = setting(5.0, "Seconds to wait for the embeddings endpoint before keeping the lexical ranking.")
    grounding_threshold: float = setting(0.43, "With semantic search off: minimum grounding (IDF-weighted share of the question's terms in the best sentence and passage) for an answer; below it the twin declines.")
    answer_threshold: float = setting(0.5, "Least calibrated evidence (0 to 1: closeness in meaning of the best passage and sentence, and shared rare terms) for an extractive answer; below it the twin gives its no-answer message. Chosen by bench/answers.py on reworded questions.")
    llm_answer_threshold: float = setting(0.3, "Least calibrated evidence for asking the model at all (it may still reply with the no-answer message); below it the twin declines without a model call.")
    gaps_similarity: float = setting(0.5, "Messaging-gap map: least average closeness in meaning (cosine, 0 to 1) of two groups of unanswered questions for them to be one theme. Chosen by bench/gaps.py on reworded questions.")
    gaps_min_audience_group: int = setting(5, "Messaging-gap map: fewest distinct askers of a theme (and of an audience within it) for their audiences to be shown.")
    correction_similarity: float = setting(0.5, "Least similarity in meaning (cosine, 0 to 1, by the semantic model) of a question to a curator-corrected question or the sentences it quotes (an other wording the curator lists counts averaged with that), for the correction to answer it; the same words always match. Chosen by bench/corrections.py; shown on the console's Corrections page.")
    dev_login: bool = setting(True, "Allow the development sign-in link when no OIDC issuer is set.")
    public_url: str = setting("", "Where people reach the web UI, for the links the CLI prints (`understudy users link`); empty: http://127.0.0.1:8000, where `understudy serve` and `understudy demo` listen without --port.")
    log_level: str = setting("INFO", "Logging level.")
    rehearsal_max_rounds: int = setting(3, "Rounds of follow-up in a pitch rehearsal before the twin sums up.")
    rehearsal_questions: int = setting(5, "Questions the twin surfaces for a pitch.")
    rehearsal_max_pitch_words: int = setting(5000, "Longest pitch a rehearsal accepts, in words.")
    rehearsal_min_pitch_words: int = setting(12, "Shortest pitch a rehearsal accepts, in words (a one-sentence pitch needs twice this); a shorter one gets a request for more instead of a scorecard.")
    db_pool_size: int = setting(10, "Database connections each process keeps open (PostgreSQL; SQLite ignores it).")
    db_max_overflow: int = setting(20, "Extra connections a process may open above DB_POOL_SIZE under bursts (PostgreSQL).")
    db_pool_timeout: float = setting(30.0, "Seconds a request waits for a free pooled connection before failing.")
    db_pool_recycle: int = setting(1800, "Seconds after which a pooled connection is replaced (outlives proxies' idle cut-offs).")
    log_format: str = setting("text", "Log lines as 'text' for people or 'json' (one object a line, with the request id) for collectors.")
    ingest_queue: str = setting("auto", "Where large uploads are ingested: 'auto' (a background job on Redis when REDIS_URL is set, else inline), 'rq' or 'inline'.")
    ingest_background_files: int = setting(5, "Uploads of at least this many files become a background job when a queue is configured.")
    ingest_job_timeout: int = setting(7200, "Seconds one background ingestion job may run before the worker stops it.")
    ingest_queue_name: str = setting("understudy-ingest", "Name of the Redis queue for ingestion jobs.")
    slack_default_twin: str = setting("", "Twin that answers in Slack when neither the command nor the channel names one.")
    slack_unknown_users: str = setting("default-audience", "Slack users with no Understudy account: 'default-audience' (answered from sources for everyone) or 'refuse'.")
    slack_public_replies: bool = setting(True, "Whether answers may be posted publicly in Slack channels that have no setting of their own.")

    def __getitem__(self, key: str) -> Any:
        name = key.upper()
        if name not in _BY_NAME:
            raise KeyError(key)
        return getattr(self, name.lower())

    def __iter__(self) -> Iterator[str]:
        return iter(_BY_NAME)

    def __len__(self) -> int:
        return len(_BY_NAME)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed."""
        return load_settings({**self, **{k.upper(): v for k, v in changes.items()}}, environ={})

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def max_file_bytes(self) -> int:
        """MAX_FILE_MB in bytes: the largest file accepted for ingestion or upload."""
        return int(self.max_file_mb * MEGABYTE)


_PARSERS: dict[Any, Callable[[Any], Any]] = {str: str, int: int, float: float, bool: _bool}


@dataclass(frozen=True)
class Setting:
    """One setting: its name without the prefix, type, default, help line and parser."""

    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = str
    secret: bool = False
    type: Any = str

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name


def _parser(kind: Any, choices: tuple[str, ...]) -> Callable[[Any], Any]:
    if choices:
        return lambda value: _choice(value, choices)
    plain = [k for k in typing.get_args(kind) if k is not type(None)] or [kind]
    return _PARSERS[plain[0]]


def _table() -> tuple[Setting, ...]:
    hints = typing.get_type_hints(Settings)
    return tuple(Setting(f.name.upper(), f.default, f.metadata["help"], _parser(hints[f.name], f.metadata["choices"]),
                         f.metadata["secret"], hints[f.name]) for f in dataclasses.fields(Settings))


SETTINGS: tuple[Setting, ...] = _table()
_BY_NAME = {s.name: s for s in SETTINGS}


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
            values[setting.name.lower()] = raw if raw is None else setting.parse(raw)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{setting.env_var}: cannot read {raw!r}: {exc}") from exc
    if not values["database_url"]:
        values["database_url"] = default_database_url()
    return Settings(**values)
