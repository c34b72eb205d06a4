"""Rounds: judge the presenter's reply to the question on the table, then follow up or accept as the executive
would, always in the executive's own cited words; and the summary at the end."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from service.rehearsal.bank import BankItem, VisibleBank, content_stems
from service.rehearsal.pitch import MITIGATION_RE, NUMBER_RE, RISK_RE, SPELLED_NUMBER_RE
from service.rehearsal.ranking import rank_items
from service.twin.text import words

MIN_REPLY_WORDS = 8
DETAIL_REPLY_WORDS = 35

# What a question asks for, and how a reply shows it gave it.
EXPECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"\b(?:how (?:much|many|long|soon|fast|big|often)|cost|costs|price|pricing|budget|"
                          r"percent(?:age)?|numbers?|margins?|payback|roi|return|revenue|savings?|by when|"
                          r"timeline|deadline|what date|when will|how quickly)\b", re.IGNORECASE)),
    ("risk", re.compile(r"\b(?:risks?|go wrong|goes wrong|fail\w*|worst|what if|worr\w*|downside|happens if|"
                        r"protect|plan b|fallback)\b", re.IGNORECASE)),
    ("reason", re.compile(r"\bwhy\b", re.IGNORECASE)),
    ("owner", re.compile(r"\bwho(?:'s| is| are| will| would| owns| decides| pays| signs| runs| leads| approves)\b",
                         re.IGNORECASE)),
    ("detail", re.compile(r"\b(?:walk me through|talk me through|take me through|run me through|how (?:does|do|will|"
                          r"would|are) (?:it|this|that|we|you)|explain|help me understand)\b", re.IGNORECASE)),
)
REASON_RE = re.compile(r"\b(?:because|so that|that's why|that is why|the reason|since|in order to|which means|"
                       r"so we|otherwise)\b", re.IGNORECASE)
OWNER_RE = re.compile(r"\b(?:i will|i'll|i own|owner|owns|own it|accountable|responsible|lead(?:s|ing)?|team|"
                      r"manager|head of|(?:[A-Z][a-z]+ [A-Z][a-z]+))\b")
GAP_LINES = {
    "length": "That's too short for me to judge.",
    "topic": "That's not what I asked.",
    "number": "I didn't hear a number.",
    "risk": "You haven't told me what could go wrong, or what you'd do about it.",
    "reason": "You haven't told me why.",
    "owner": "You haven't told me who owns it.",
    "detail": "Walk me through it properly.",
}
# Concerns that speak to each gap, looked for in the executive's words.
GAP_TERMS: dict[str, re.Pattern[str]] = {
    "number": re.compile(r"\b(?:numbers?|cost|price|margin|budget|data|percent|how much|measure\w*)\b", re.I),
    "risk": RISK_RE,
    "reason": re.compile(r"\bwhy\b", re.I),
    "owner": re.compile(r"\b(?:who|owner|owns|accountab\w*)\b", re.I),
    "detail": re.compile(r"\b(?:walk me through|how|explain|show me)\b", re.I),
}
# Rubric criteria the twin pushes on when the pitch is weak there, and the words that find the push.
CRITERION_TERMS: dict[str, re.Pattern[str]] = {
    "ask": re.compile(r"\b(?:ask|asking|decision|decide|approve|want from me|need from me)\b", re.I),
    "impact": re.compile(r"\b(?:customers?|shippers?|clients?|revenue|margin|cost|impact)\b", re.I),
    "evidence": re.compile(r"\b(?:numbers?|data|evidence|proof|pilot|show me|see the)\b", re.I),
    "risks": RISK_RE,
}
CRITERION_GAPS = {
    "ask": "I still don't know what you're asking me for.",
    "impact": "I still don't know what this does for customers or for the business.",
    "evidence": "I haven't seen the numbers behind this.",
    "risks": "You haven't said what could go wrong.",
}


@dataclass(frozen=True)
class Assessment:
    """Whether a reply answers the question on the table, and if not, what is missing."""

    accepted: bool
    gap: str | None


def expectations(question: str) -> list[str]:
    """What a question asks for: a number, a risk, a reason, an owner, a walk-through."""
    return [name for name, pattern in EXPECTS if pattern.search(question)]


def assess(question: str, reply: str) -> Assessment:
    """Judge a reply the way a demanding executive would: on topic, long enough, and giving what was asked for."""
    reply_words = words(reply)
    if len(reply_words) < MIN_REPLY_WORDS:
        return Assessment(False, "length")
    asked = set(content_stems(question))
    if len(asked) >= 2 and not asked & set(content_stems(reply)):
        return Assessment(False, "topic")
    for need in expectations(question):
        if need == "number" and not (NUMBER_RE.search(reply) or SPELLED_NUMBER_RE.search(reply)):
            return Assessment(False, "number")
        if need == "risk" and not (RISK_RE.search(reply) or MITIGATION_RE.search(reply)):
            return Assessment(False, "risk")
        if need == "reason" and not REASON_RE.search(reply):
            return Assessment(False, "reason")
        if need == "owner" and not OWNER_RE.search(reply):
            return Assessment(False, "owner")
        if need == "detail" and len(reply_words) < DETAIL_REPLY_WORDS:
            return Assessment(False, "detail")
    return Assessment(True, None)


def item_ref(item: BankItem) -> dict[str, Any]:
    """A bank item as the rounds' state keeps it."""
    return {"question": item.text, "key": item.key, "kind": item.kind, "passage_id": item.hit.passage_id}


def find_item(bank: VisibleBank, ref: dict[str, Any]) -> BankItem | None:
    """The bank item a stored reference points at, if the viewer may still see it."""
    for item in bank.items:
        if item.hit.passage_id == ref.get("passage_id") and item.text == ref.get("question"):
            return item
    return None


def follow_up_for(gap: str, question: str, reply: str, pitch: Counter[str], bank: VisibleBank,
                  asked: set[str]) -> BankItem | None:
    """Another of the executive's questions (or concerns) that presses on what the reply left out."""
    pattern = GAP_TERMS.get(gap)
    pool = [i for i in bank.items if i.key not in asked and (pattern is None or pattern.search(i.text))]
    query = Counter(pitch)
    for s in content_stems(question):
        query[s] += 3
    for s in content_stems(reply):
        query[s] += 1
    ranked = rank_items(query, bank, pool, n=1, exclude=asked)
    return ranked[0].item if ranked else None


def push_for_criterion(criterion: str, pitch: Counter[str], bank: VisibleBank, asked: set[str]) -> BankItem | None:
    """The executive's own words on a rubric element the pitch is weak on (e.g. risks), relevant to the pitch."""
    pattern = CRITERION_TERMS.get(criterion)
    if pattern is None:
        return None
    pool = [i for i in bank.items if i.key not in asked and pattern.search(i.text)]
    ranked = rank_items(pitch, bank, pool, n=1, exclude=asked)
    return ranked[0].item if ranked else None


def why_it_matters(question: str, reply: str, bank: VisibleBank, exclude: set[str]) -> BankItem | None:
    """A concern of the executive's that shows why the question mattered to them."""
    asked = content_stems(question)
    query = Counter({s: 2 * c for s, c in asked.items()})
    query.update(content_stems(reply))
    pool = [i for i in bank.concerns if i.key not in exclude and set(i.stems) & set(asked)]
    ranked = rank_items(query, bank, pool, n=1, exclude=exclude)
    return ranked[0].item if ranked and ranked[0].score > 0 else None
