"""With a model configured: a reaction phrased in the executive's voice through the answers' checked, cited path;
any failure keeps the extractive reaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from service.config import Settings
from service.search import PassageHit
from service.twin import llm
from service.twin.citations import Citation
from service.twin.persona import PersonaSettings

log = logging.getLogger(__name__)

REHEARSAL_BRIEF = """This time a colleague is rehearsing a pitch to you before the real meeting. You are reacting to
their reply to a question you asked, the way you would in the meeting: direct, brief (two or three sentences), in the
first person. The rules above still hold: every sentence cites [n], and you add nothing the sources do not say."""


@dataclass
class Phrased:
    """A model-phrased reaction that passed the checks, or why it did not."""

    text: str | None
    citations: list[Citation]
    fallback_reason: str | None


def rehearsal_system_prompt(persona: PersonaSettings, title: str) -> str:
    """The answers' system prompt with the rehearsal brief added."""
    return llm.system_prompt(persona, title) + "\n\n" + " ".join(REHEARSAL_BRIEF.split())


def phrase_reaction(settings: Settings, persona: PersonaSettings, title: str, task: str,
                    hits: Sequence[PassageHit]) -> Phrased:
    """Ask the model to phrase the reaction from the numbered passages; check it as answers are checked."""
    if not hits:
        return Phrased(None, [], "no_sources")
    system = rehearsal_system_prompt(persona, title)
    messages = [{"role": "system", "content": system},
                {"role": "user", "content": llm.user_message(persona, task, hits)}]
    generation = llm.generate(llm.client_for(settings), settings, messages)
    if generation.error is not None:
        return Phrased(None, [], generation.error)
    outcome = llm.finish(generation.text, hits, persona, system)
    if outcome.composed is None:
        return Phrased(None, [], outcome.fallback_reason or "failed_check")
    if not outcome.composed.grounded:
        return Phrased(None, [], "no_answer")
    return Phrased(outcome.composed.answer, list(outcome.composed.citations), None)
