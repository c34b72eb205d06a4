"""Counts and durations as people say them: '1 sentence', '2 sentences', 'about 55 seconds', 'about 2 minutes'."""

from __future__ import annotations


def counted(n: int, word: str, plural: str | None = None) -> str:
    """A count with its noun agreeing: '1 correction', '2 corrections', '3 people' (plural given)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def spoken_duration(minutes: float) -> str:
    """A speaking time as people say it: 'about 35 seconds', 'about 1 minute', 'about 2.5 minutes', 'about 12
    minutes' (seconds to the nearest five, minutes to the nearest half, whole minutes from ten)."""
    seconds = max(0.0, float(minutes)) * 60
    if seconds < 57.5:
        return f"about {max(5, round(seconds / 5) * 5)} seconds"
    halves = round(seconds / 30) if seconds < 600 else 2 * round(seconds / 60)
    if halves == 2:
        return "about 1 minute"
    return f"about {halves / 2:g} minutes"
