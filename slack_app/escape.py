"""User and model text made inert for Slack: no broadcast, mention or forged link can come out of it."""

from __future__ import annotations

import re
from typing import Any

# A plain "@channel" is not parsed in verbatim text, but a word joiner keeps it inert wherever it is pasted.
BROADCAST_RE = re.compile(r"(?<!\w)@(channel|here|everyone)\b", re.IGNORECASE)
WORD_JOINER = "\u2060"
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Escape &, < and > as Slack asks, so `<!channel>`, `<@U123>` and `<http://x|y>` show as typed."""
    escaped = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return BROADCAST_RE.sub(lambda m: "@" + WORD_JOINER + m.group(1), escaped)


def fit(text: str, limit: int) -> str:
    """Escaped text cut (at a word where it can be) so that it is at most `limit` characters long."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    low, high = 0, len(text)
    while low < high:  # the longest prefix whose escaped form, with the ellipsis, fits
        middle = (low + high + 1) // 2
        if len(escape(text[:middle])) + len(ELLIPSIS) <= limit:
            low = middle
        else:
            high = middle - 1
    cut = text[:low]
    space = cut.rfind(" ")
    if space > low * 0.8:
        cut = cut[:space]
    return escape(cut.rstrip()) + ELLIPSIS


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object that Slack shows as written: no auto-linking of names, channels or URLs."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    """A plain_text object (button labels, modal titles), cut to Slack's limit for its place."""
    text = " ".join((text or "").split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return {"type": "plain_text", "text": text, "emoji": True}


def quoted(text: str, limit: int) -> str:
    """Escaped text as a mrkdwn block quote."""
    body = fit(" ".join((text or "").split()), max(limit - 2, 1))
    return "> " + body


SLACK_MARKUP_RE = re.compile(r"<([^<>]*)>")


def _markup_as_text(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        command = target[1:].split("^", 1)[0]
        return label if label.startswith("@") else "@" + command
    return label or target


def text_from_slack(text: str) -> str:
    """What a person typed, from Slack's wire format: mentions, channels and links as plain words, entities undone."""
    plain_text = SLACK_MARKUP_RE.sub(_markup_as_text, text or "")
    return plain_text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
