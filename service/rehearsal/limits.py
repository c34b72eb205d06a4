"""Limits the executive puts in figures ("within 24 hours", "at least two weeks", "no more than six pages", "above
98%", "no meetings before 9:30") and the quantities a pitch proposes ("72 hours", "three days", "fourteen pages",
"8:15"): a quantity on the wrong side of a limit in the same measure crosses it, one on the right side keeps to it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from textkit.numbers import CARDINALS

_NUMBER_WORDS = {"a": 1, "an": 1, **CARDINALS, "a hundred": 100}
# Each unit in its measure's base: durations in hours, pages, percentages.
_UNITS = {"minute": ("hours", 1 / 60), "hour": ("hours", 1.0), "day": ("hours", 24.0), "week": ("hours", 168.0),
          "month": ("hours", 730.0), "year": ("hours", 8760.0), "page": ("pages", 1.0), "%": ("percent", 1.0),
          "percent": ("percent", 1.0), "per cent": ("percent", 1.0)}
_NUMBER = (r"(?P<n>\d+(?:\.\d+)?|a hundred|" + "|".join(sorted((w for w in _NUMBER_WORDS if " " not in w),
                                                                key=len, reverse=True)) + r")")
_UNIT = r"(?P<u>minute|hour|day|week|month|year|page|percent|per cent|%)s?"
# "72 hours", "three days", "a fortnight" is left out; "fifteen-minute", "24-hour" as well as "24 hours".
QUANTITY_RE = re.compile(rf"(?<![\w.,$£€]){_NUMBER}(?:\s*-\s*|\s+|(?=%))(?:(?:working|full|paid|calendar|more|extra)\s+)?"
                         rf"{_UNIT}(?![\w-])", re.IGNORECASE)
# A time of day: "9:30", "8 a.m.", "8am", "3 p.m.".
CLOCK_RE = re.compile(r"(?<![\w.:])(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)?(?![\w:])", re.IGNORECASE)
# The words that make a figure a limit: at most ("within 24 hours", "no more than six pages", "six pages at most"),
# at least ("at least two weeks", "above 98%").
AT_MOST_RE = re.compile(r"\b(?:within|no more than|not more than|at most|at the most|no longer than|up to|a maximum of|"
                        r"under|below|less than)\s+(?:about\s+)?$", re.IGNORECASE)
AT_MOST_AFTER_RE = re.compile(r"^\s*(?:at most|at the most|or less|or fewer|maximum)\b", re.IGNORECASE)
AT_LEAST_RE = re.compile(r"\b(?:at least|no less than|not less than|no fewer than|a minimum of|above)\s+(?:about\s+)?$",
                         re.IGNORECASE)
AT_LEAST_AFTER_RE = re.compile(r"^\s*(?:at least|or more|minimum)\b", re.IGNORECASE)
# A percentage named as the target or goal ("Our target is 94% by 2026", "our target of 40% … stands"): the least it may
# be, as "above 97%" is.
TARGET_BEFORE_RE = re.compile(r"\b(?:target|goal)s?\s+(?:[\w-]+\s+){0,2}?(?:is|are|of|at|remains|stays at)\s+(?:about\s+)?$",
                              re.IGNORECASE)
# Where the clause holding a figure starts and ends: "…by the end of 2026, with on-time in full above 98% on cold
# chain lanes, higher than…" holds 98% for cold chain lanes.
CLAUSE_BREAK_RE = re.compile(r"[,;:()]|\s[\u2013\u2014-]\s|\b(?:and|but|because|while|whereas)\b")
# A line drawn against a time of day: "no internal meetings before 9:30", "we will stop scheduling … before 9:30".
CLOCK_LIMIT_RE = re.compile(r"\b(?P<side>before|after|earlier than|later than)\s+$", re.IGNORECASE)
# What the executive rules out around that time of day.
RULES_OUT_RE = re.compile(r"\b(?:no|not|never|stop\w*|won['’]t|don['’]t)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    """A figure in a measure: a duration in hours, a count of pages, a percentage, or a time of day in minutes."""

    measure: str
    value: float


@dataclass(frozen=True)
class Limit:
    """A bound the executive sets on a measure: the least or the most it may be."""

    measure: str
    value: float
    at_most: bool
    # the clause the figure stands in ("with on-time in full above 98% on cold chain lanes"): what it bounds
    clause: str = field(default="", compare=False)


def _number(text: str) -> float:
    word = text.lower()
    return float(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else float(text)


def _unit(text: str) -> tuple[str, float]:
    unit = text.lower()
    return _UNITS.get(unit, _UNITS.get(unit.rstrip("s"), ("", 0.0)))


def quantities(text: str) -> list[tuple[Quantity, int, int]]:
    """The figures with a unit in a text, each with where it stands."""
    found = []
    for match in QUANTITY_RE.finditer(text):
        measure, scale = _unit(match.group("u"))
        if measure:
            found.append((Quantity(measure, _number(match.group("n")) * scale), match.start(), match.end()))
    return found


def clock_times(text: str) -> list[tuple[float, int, int]]:
    """Times of day ("9:30", "8 a.m.", "3pm") in minutes after midnight, each with where it stands."""
    found = []
    for match in CLOCK_RE.finditer(text):
        if match.group("m") is None and match.group("ap") is None:
            continue
        hour = int(match.group("h")) % 12 if match.group("ap") else int(match.group("h"))
        if match.group("ap") and match.group("ap").lower().startswith("p"):
            hour += 12
        if hour < 24:
            found.append((hour * 60.0 + int(match.group("m") or 0), match.start(), match.end()))
    return found


def clause_of(sentence: str, start: int, end: int) -> str:
    """The clause of a sentence around the span [start, end): from the break before it to the break after it."""
    opening = max((m.end() for m in CLAUSE_BREAK_RE.finditer(sentence, 0, start)), default=0)
    closing = next((m.start() for m in CLAUSE_BREAK_RE.finditer(sentence, end)), len(sentence))
    return sentence[opening:closing].strip()


def limits(sentence: str) -> tuple[Limit, ...]:
    """The bounds a stance sets in figures: "within 24 hours" (at most a day), "at least two weeks", "above 98%", a
    percentage named as a target ("Our target is 94% by 2026": at least), and a time of day it rules things out
    before or after ("no internal meetings before 9:30": not earlier); each with the clause it stands in."""
    found: list[Limit] = []
    for quantity, start, end in quantities(sentence):
        before, after = sentence[:start], sentence[end:]
        clause = clause_of(sentence, start, end)
        if AT_MOST_RE.search(before) or AT_MOST_AFTER_RE.match(after):
            found.append(Limit(quantity.measure, quantity.value, at_most=True, clause=clause))
        elif AT_LEAST_RE.search(before) or AT_LEAST_AFTER_RE.match(after) or (
                quantity.measure == "percent" and TARGET_BEFORE_RE.search(before)):
            found.append(Limit(quantity.measure, quantity.value, at_most=False, clause=clause))
    for minutes, start, _ in clock_times(sentence):
        side = CLOCK_LIMIT_RE.search(sentence[max(0, start - 16):start])
        if side is not None and RULES_OUT_RE.search(sentence[:start]):
            # ruling out what comes before a time sets the earliest; after it, the latest
            found.append(Limit("clock", minutes, at_most=side.group("side").lower() in ("after", "later than")))
    return tuple(dict.fromkeys(found))


def proposed_quantities(sentence: str) -> tuple[Quantity, ...]:
    """The figures with a unit and the times of day a claim names."""
    found = [q for q, _, _ in quantities(sentence)] + [Quantity("clock", m) for m, _, _ in clock_times(sentence)]
    return tuple(dict.fromkeys(found))


# A figure more than this many times larger or smaller than a limit in the same measure is about something else (a
# two-hour run against two weeks of parallel running, sixty days of a trial shift against a day for a report).
SCALE = 10.0
# Percentages further apart than this are shares of different things (a 10% discount against a 94% retention target,
# an 18% revenue goal against 98% on time).
PERCENT_SCALE = 2.0


def comparable(quantity: Quantity, limit: Limit) -> bool:
    """Whether a figure can be held to a limit: the same measure, and (but for times of day) of a like size."""
    if quantity.measure != limit.measure:
        return False
    if quantity.measure == "clock":
        return True
    low, high = sorted((abs(quantity.value), abs(limit.value)))
    return low > 0 and high / low <= (PERCENT_SCALE if quantity.measure == "percent" else SCALE)


def limit_leanings(claims: Sequence[tuple[Quantity, ...]], stances: Sequence[tuple[Limit, ...]]) -> np.ndarray:
    """For each (claim, stance): +1 when every figure of the claim in a measure the stance limits lies beyond a limit
    (72 hours against "within 24 hours"), -1 when every one keeps to the limits (twelve hours), else 0 (none, or some
    each way: "a month in shadow mode and a week of training" says nothing certain against "at least a month")."""
    out = np.zeros((len(claims), len(stances)), dtype=np.int8)
    for j, bounds in enumerate(stances):
        if not bounds:
            continue
        for i, said in enumerate(claims):
            beyond = [any(q.value > b.value if b.at_most else q.value < b.value for b in bounds if comparable(q, b))
                      for q in said if any(comparable(q, b) for b in bounds)]
            if beyond and all(beyond):
                out[i, j] = 1
            elif beyond and not any(beyond):
                out[i, j] = -1
    return out
