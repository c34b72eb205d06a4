"""Log lines as JSON objects (one a line) carrying the request id, for log collectors."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

HANDLER_NAME = "understudy-json"
# Attributes every LogRecord has; anything else passed with `extra=` is kept as a field of the line.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    """The id of the request being served (None outside a Flask request)."""
    try:
        from flask import g, has_request_context
    except ImportError:  # pragma: no cover - Flask is a dependency; workers may still log without it
        return None
    if not has_request_context():
        return None
    value = g.get("request_id")
    return str(value) if value else None


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request id (X-Request-ID in and out)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, exception, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON ('json'), or leave logging as it is ('text')."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    if str(log_format).lower() != "json":
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    wanted = logging.getLevelNamesMapping().get(str(level).upper(), logging.INFO)
    if root.level == logging.NOTSET or root.level > wanted:
        root.setLevel(wanted)
