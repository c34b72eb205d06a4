"""Before an answer: topics the twin must not speak to, and obvious prompt-injection attempts.

The injection heuristics only flag; the output checks in citations.py are what stop a model that complied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.twin.persona import PersonaSettings, RefusedTopic

INJECTION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern, re.IGNORECASE)) for
                                                                    name, pattern in (
    ("override", r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}\b(?:previous|prior|above|earlier|"
                 r"all|any|your|the|these|those)\b[^.\n]{0,30}\b(?:instructions?|rules|prompts?|directions|"
                 r"guidelines|guardrails)\b"),
    ("reveal", r"\b(?:reveal|print|show|repeat|output|disclose|leak|tell me)\b[^.\n]{0,40}\b(?:system prompt|"
               r"(?:your|the|hidden|initial|original) (?:instructions|prompt|rules))\b"),
    ("role", r"\b(?:you are now|from now on,? you|pretend (?:to be|you are)|act as (?:if|an?|the)\b|"
             r"roleplay as|developer mode|jailbreak|DAN mode)"),
    ("fence", r"</\s*source\s*>|<\s*/?\s*(?:system|instructions?)\s*>|\bBEGIN (?:SYSTEM|INSTRUCTIONS)\b"),
    ("format", r"(?m)^\s*(?:system|assistant|developer)\s*:"),
))


@dataclass(frozen=True)
class Refusal:
    """A question the twin declines: which topic and what it says instead."""

    topic: str
    label: str
    message: str


def refused_topic(question: str, persona: PersonaSettings) -> Refusal | None:
    """The refusal for a question about a topic the twin must not speak to, or None."""
    for topic in persona.refused_topics:
        if _matches(topic, question):
            return Refusal(topic=topic.name, label=topic.label, message=persona.refusal_for(topic))
    return None


def _matches(topic: RefusedTopic, question: str) -> bool:
    try:
        return topic.matches(question)
    except re.error:
        return False


def injection_flags(text: str) -> list[str]:
    """Names of the obvious prompt-injection patterns found in a text (empty when none)."""
    return [name for name, pattern in INJECTION_PATTERNS if pattern.search(text)]


def injection_spans(text: str) -> list[tuple[int, int]]:
    """Where in a text the obvious injection attempts are."""
    return [(m.start(), m.end()) for _, pattern in INJECTION_PATTERNS for m in pattern.finditer(text)]


# A passage's own words speak to a topic when they name it this many times; one mention in passing does not.
PASSAGE_TOPIC_MENTIONS = 2


def source_topic(persona: PersonaSettings, *, title: str, subject: str) -> RefusedTopic | None:
    """The refused topic a whole source is about (its title or subject names it), or None."""
    about = f"{title}. {subject}".strip(". ")
    for topic in persona.refused_topics:
        if topic.names_people or not about:
            continue
        try:
            if topic.regex().search(about):
                return topic
        except Exception:  # a stored pattern the engine cannot run is skipped, never raised
            continue
    return None


def passage_topic(persona: PersonaSettings, *, title: str, subject: str, heading: str | None,
                  text: str) -> RefusedTopic | None:
    """The refused topic a passage speaks to, or None: its source is about the topic (title or subject), or the
    passage names it repeatedly. Such a passage is never offered to a composer, whatever the question."""
    found = source_topic(persona, title=title, subject=subject)
    if found is not None:
        return found
    body = f"{heading or ''}. {text}"
    for topic in persona.refused_topics:
        if topic.names_people:
            continue
        try:
            if sum(1 for _ in topic.regex().finditer(body)) >= PASSAGE_TOPIC_MENTIONS:
                return topic
        except Exception:  # a stored pattern the engine cannot run is skipped, never raised
            continue
    return None
