"""What a model's answer came to after the checks: below the LLM composer and the dated positions, which both make one."""

from __future__ import annotations

from dataclasses import dataclass

from service.twin.citations import CheckResult
from service.twin.extractive import Composed


@dataclass
class LLMOutcome:
    """The checked LLM answer, or the reason it must fall back to extractive."""

    composed: Composed | None
    fallback_reason: str | None
    raw_text: str = ""
    check: CheckResult | None = None
