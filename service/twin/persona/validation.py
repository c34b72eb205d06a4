"""A curator's persona edit checked and normalised; the limits here are the one source (the API schemas use them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import re2

from service.errors import BadInput
from service.twin.persona.settings import (
    CURATOR_KEYS,
    DERIVED_KEYS,
    PRONOUNS,
    RefusedTopic,
    compile_topic_pattern,
)

MAX_MESSAGE_CHARS = 1000
# A name shown beside every answer and in Slack's header: a name, not a message.
MAX_DISPLAY_NAME_CHARS = 200
# Answer openers and signature phrases: at most this many items of at most this many characters.
MAX_LIST_ITEMS = 50
MAX_LIST_ITEM_CHARS = 200
# Caps on what a curator's refused topics may cost: with RE2 (linear time, no backtracking) a question of at most
# MAX_QUESTION_CHARS characters costs at most topics x patterns x its length, whatever the patterns say.
MAX_TOPICS = 50
MAX_TOPIC_PATTERNS = 40
MAX_PATTERN_CHARS = 300
# The rehearsal engine's rubric check (a curator's criteria in, the checked criteria out; BadInput on a bad one).
RubricCheck = Callable[[list[Any]], list[dict[str, Any]]]


def validate_persona_changes(changes: dict[str, Any], *, check_rubric: RubricCheck | None = None) -> dict[str, Any]:
    """Check and normalise a curator's persona edit; BadInput says what is wrong. A rehearsal rubric is checked by
    `check_rubric` (the rehearsal engine's `validate_rubric`: it owns what a criterion means, and twin does not
    import rehearsal)."""
    if not isinstance(changes, dict) or not changes:
        raise BadInput("persona changes must be a non-empty object")
    derived = sorted(set(changes) & DERIVED_KEYS)
    if derived:
        raise BadInput(f"{', '.join(derived)} is derived from the corpus; refresh the persona instead of editing it")
    unknown = sorted(set(changes) - CURATOR_KEYS)
    if unknown:
        raise BadInput(f"unknown persona settings: {', '.join(unknown)}; "
                       f"editable are {', '.join(sorted(CURATOR_KEYS))}")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("no_answer_message", "refusal_message", "disclaimer", "display_name"):
            clean[key] = _message(key, value)
        elif key == "pronoun":
            if value not in PRONOUNS:
                raise BadInput(f"pronoun must be one of {', '.join(PRONOUNS)}")
            clean[key] = value
        elif key == "refused_topics":
            clean[key] = _topics(value)
        elif key in ("answer_openers", "signature_phrases"):
            clean[key] = _strings(key, value, limit=MAX_LIST_ITEMS, max_chars=MAX_LIST_ITEM_CHARS)
        elif key == "rehearsal_rubric":
            clean[key] = _rubric(value, check_rubric)
    return clean


def _message(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"{key} must be non-empty text")
    text = " ".join(value.split())
    limit = MAX_DISPLAY_NAME_CHARS if key == "display_name" else MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise BadInput(f"{key} must be at most {limit} characters")
    if key == "disclaimer" and "{name}" not in text and "not " not in text.lower():
        raise BadInput("the disclaimer must say the twin is not the executive (use {name} for their name)")
    return text


def _strings(key: str, value: Any, *, limit: int, max_chars: int) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"{key} must be a list of text")
    items = [" ".join(v.split()) for v in value if v.strip()]
    if len(items) > limit or any(len(v) > max_chars for v in items):
        raise BadInput(f"{key}: at most {limit} items of at most {max_chars} characters")
    return items


def _topics(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise BadInput("refused_topics must be a list of topics")
    if len(value) > MAX_TOPICS:
        raise BadInput(f"at most {MAX_TOPICS} refused topics")
    topics: list[dict[str, Any]] = []
    names: set[str] = set()
    for item in value:
        if isinstance(item, str):
            item = {"name": item, "keywords": [item]}
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            raise BadInput("each refused topic needs a name")
        name = str(item["name"]).strip()
        if name in names:
            raise BadInput(f"refused topic {name!r} appears twice")
        names.add(name)
        patterns = item.get("patterns") or []
        keywords = item.get("keywords") or []
        if not isinstance(patterns, list) or not isinstance(keywords, list):
            raise BadInput(f"refused topic {name!r}: patterns and keywords must be lists")
        if not patterns and not keywords:
            raise BadInput(f"refused topic {name!r} needs keywords or patterns to recognise it")
        if len(patterns) + len(keywords) > MAX_TOPIC_PATTERNS:
            raise BadInput(f"refused topic {name!r}: at most {MAX_TOPIC_PATTERNS} patterns and keywords")
        for pattern in patterns:
            if len(str(pattern)) > MAX_PATTERN_CHARS:
                raise BadInput(f"refused topic {name!r}: a pattern may be at most {MAX_PATTERN_CHARS} characters")
            try:
                compiled = compile_topic_pattern(str(pattern))
            except re2.error:
                raise BadInput(f"refused topic {name!r}: pattern {pattern!r} is not a valid regex here (RE2 syntax: "
                               "no look-arounds or back-references)") from None
            if compiled.search(""):
                raise BadInput(f"refused topic {name!r}: pattern {pattern!r} matches everything")
        keywords = [" ".join(str(k).split()) for k in keywords if str(k).strip()]
        if any(len(k) > MAX_PATTERN_CHARS for k in keywords):
            raise BadInput(f"refused topic {name!r}: a keyword may be at most {MAX_PATTERN_CHARS} characters")
        topics.append(RefusedTopic(name=name, label=str(item.get("label") or name).strip(),
                                   patterns=tuple(str(p) for p in patterns), keywords=tuple(keywords),
                                   requires_name=bool(item.get("requires_name", False))).to_dict())
    return topics


def _rubric(value: Any, check_rubric: RubricCheck | None) -> list[dict[str, Any]]:
    if isinstance(value, list) and value:
        if check_rubric is None:
            raise TypeError("a rehearsal_rubric needs check_rubric (service.rehearsal.rubric.validate_rubric)")
        return check_rubric(value)
    if not isinstance(value, list):
        raise BadInput("rehearsal_rubric must be a list of criteria")
    out = []
    for item in value:
        if isinstance(item, str):
            item = {"criterion": item}
        if not isinstance(item, dict) or not str(item.get("criterion", "")).strip():
            raise BadInput("each rubric item needs a criterion")
        weight = item.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or weight < 0:
            raise BadInput("a rubric weight must be a non-negative number")
        out.append({**item, "criterion": str(item["criterion"]).strip(), "weight": float(weight)})
    return out

