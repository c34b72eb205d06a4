"""How an answer says a change of position: the dated answer, the model's instructions and checks, and the basis
label every channel shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from service.search import PassageHit
from service.twin.citations import Citation, CitedSentence, citation_for
from service.twin.extractive import Composed
from service.twin.outcome import LLMOutcome
from service.twin.persona import PersonaSettings
from service.twin.positions.change import PositionChange, Statement
from textkit.stopwords import CONTENT_STOP_WORDS

KIND_NAMES = {"memo": "memo", "talk": "talk", "transcript": "conversation", "email": "e-mail"}
# A statement's first word that reads on after "As of the March 2026 memo, " in lower case. A sentence opening on a
# conjunction ("And we will stop…") goes on from the one before it: after a comma it would read as stitched on.
_CONJUNCTIONS = frozenset({"and", "but", "or", "so", "yet", "nor", "because", "though", "although"})
_LOWER_OK = (frozenset(w for w in CONTENT_STOP_WORDS if w != "i" and not w.startswith(("i'", "i’")))
             | {"every", "all", "most"}) - _CONJUNCTIONS


# --- how an answer says it -------------------------------------------------------------------------------------

def when(date: dt.date, others: Iterable[dt.date] = ()) -> str:
    """"March 2026", or "3 March 2026" when another position is from the same month."""
    same_month = any(o != date and (o.year, o.month) == (date.year, date.month) for o in others)
    return f"{date.day} {date:%B %Y}" if same_month else f"{date:%B %Y}"


def source_label(hit: PassageHit, others: Iterable[dt.date] = ()) -> str:
    """"the March 2026 memo" (the kind of source, dated)."""
    assert hit.date is not None
    return f"the {when(hit.date, others)} {KIND_NAMES.get(hit.kind, 'note')}"


def _lead(label: str, text: str) -> str:
    """"As of <label>, we…" when the statement's first word reads on after a comma in lower case ("We…" → "we…");
    else "As of <label>: Cold chain…" (her other words keep their case)."""
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and not first.isupper() and first.lower().strip("“\"'‘,;:") not in _LOWER_OK:
        return f"As of {label}: {text}"
    if first[:1].isupper() and not first.isupper():
        text = text[:1].lower() + text[1:]
    return f"As of {label}, {text}"


def compose(change: PositionChange, persona: PersonaSettings, question: str, score: float,
            evidence: Any = None) -> Composed:
    """The dated answer: "As of the March 2026 memo, … [1]" then "In January 2025 I said: “…” [2]"."""
    dates = [change.newest.date, *(s.date for s in change.earlier)]
    newest = change.newest
    citations = [citation_for(1, newest.hit, newest.quote)]
    sentences = [newest.hit.text[a:b] for a, b in newest.spans]
    segments = []
    for i, sentence in enumerate(sentences):
        text = _lead(source_label(newest.hit, dates), sentence) if i == 0 else sentence
        segments.append(text + (" [1]" if i == len(sentences) - 1 else ""))
    used = [newest.hit]
    for n, earlier in enumerate(change.earlier, start=2):
        citations.append(citation_for(n, earlier.hit, earlier.quote))
        segments.append(earlier_sentence(earlier, dates, n))
        used.append(earlier.hit)
    return Composed(answer=" ".join(segments), citations=citations, grounded=True, grounding=score,
                    segments=segments, used=used, evidence=evidence)


def earlier_sentence(statement: Statement, dates: Sequence[dt.date], n: int) -> str:
    """"In January 2025 I said: “…” [n]"."""
    return f"In {when(statement.date, dates)} I said: “{statement.text}” [{n}]"


def shown(change: PositionChange | None, composed: Composed) -> dict[str, Any] | None:
    """The answer's `positions` field: the change, when the answer gives the current position and an earlier one."""
    if change is None or not composed.grounded:
        return None
    cited = {c.source_id for c in composed.citations}
    if change.newest.hit.source_id not in cited or not any(s.hit.source_id in cited for s in change.earlier):
        return None
    return change.to_dict()


# --- the model's answer ----------------------------------------------------------------------------------------

def dated_text(hit: PassageHit) -> str:
    """A passage as a model's sentences are checked against it: its words and its source's date and kind, so that
    "As of the March 2026 memo, …" is supported by the passage it cites."""
    if hit.date is None:
        return hit.text
    return f"{hit.text}\n{hit.date.day} {hit.date:%B %Y} {KIND_NAMES.get(hit.kind, 'note')}"


def order_for_model(hits: Sequence[PassageHit], change: PositionChange | None) -> list[PassageHit]:
    """The passages as numbered for the model: the newest position's just before the earlier ones'."""
    if change is None:
        return list(hits)
    wanted = [change.newest.hit, *(s.hit for s in change.earlier)]
    ids = {h.passage_id for h in wanted}
    rest = [h for h in hits if h.passage_id not in ids]
    position = next((i for i, h in enumerate(hits) if h.passage_id in ids), 0)
    before = [h for h in hits[:position] if h.passage_id not in ids]
    return before + wanted + rest[len(before):]


def numbers_of(change: PositionChange, hits: Sequence[PassageHit]) -> tuple[int, list[int]] | None:
    """The [n] of the newest position and of the earlier ones among the numbered passages, or None."""
    index = {h.passage_id: n for n, h in enumerate(hits, start=1)}
    newest = index.get(change.newest.hit.passage_id)
    earlier = [index[s.hit.passage_id] for s in change.earlier if s.hit.passage_id in index]
    if newest is None or not earlier:
        return None
    return newest, earlier


RULE = ("6. When sources of different dates take different positions on the point asked about, the newest is the "
        "current position: give it first, saying its date, then the earlier one with its date, citing both.")


def instruct(messages: list[dict[str, str]], change: PositionChange | None,
             hits: Sequence[PassageHit]) -> None:
    """Tell the model which numbered sources disagree over time and which is current (in place)."""
    numbers = numbers_of(change, hits) if change is not None else None
    if change is None or numbers is None:
        return
    newest, earlier = numbers
    dates = [change.newest.date, *(s.date for s in change.earlier)]
    olds = " and ".join(f"[{n}] ({s.date.isoformat()})" for n, s in zip(earlier, change.earlier, strict=False))
    first_old = change.earlier[0]
    note = (f"Dated positions: source [{newest}] ({change.newest.date.isoformat()}) and source {olds} disagree on "
            f"this point; [{newest}] is the current position. Begin with it (\"As of "
            f"{source_label(change.newest.hit, dates)}, …\" citing [{newest}]), then give the earlier one (\"In "
            f"{when(first_old.date, dates)} I said …\" citing [{earlier[0]}]).")
    system = messages[0]["content"]
    if RULE not in system:
        head, sep, tail = system.partition("\n\nVoice:")
        if not sep:
            head, sep, tail = system.rpartition("\n[us-rules-")
            messages[0]["content"] = (head + "\n" + RULE + sep + tail) if sep else system + "\n" + RULE
        else:
            messages[0]["content"] = head + "\n" + RULE + sep + tail
    last = messages[-1]["content"]
    at = last.rfind("\n\nQuestion: ")
    messages[-1]["content"] = (last[:at] + "\n\n" + note + last[at:]) if at >= 0 else last + "\n\n" + note


def order_problem(change: PositionChange | None, hits: Sequence[PassageHit],
                  kept: Sequence[CitedSentence]) -> str | None:
    """Why a model's checked sentences (so far) misstate dated positions: the earlier one cited before the current one
    (`position_order`), or without its date (`position_undated`)."""
    numbers = numbers_of(change, hits) if change is not None else None
    if change is None or numbers is None:
        return None
    newest, earlier = numbers
    years = {n: str(s.date.year) for n, s in zip(earlier, change.earlier, strict=False)}
    said_newest = False
    for sentence in kept:
        said_newest = said_newest or newest in sentence.cites
        for n in sentence.cites:
            if n in years and not said_newest:
                return "position_order"
            if n in years and n != newest and years[n] not in sentence.text:
                return "position_undated"  # the earlier position must say it is earlier: its date
    return None


def order_check(change: PositionChange | None,
                hits: Sequence[PassageHit]) -> Callable[[Sequence[CitedSentence]], str | None] | None:
    """The check a streamed model answer passes piece by piece, or None when no position changed."""
    if change is None or numbers_of(change, hits) is None:
        return None
    return lambda kept: order_problem(change, hits, kept)


def complete(composed: Composed, change: PositionChange | None, hits: Sequence[PassageHit],
             kept: Sequence[CitedSentence]) -> tuple[Composed, str]:
    """A checked model answer that gave the current position without the earlier one: the earlier one added in
    the executive's own words, cited. Returns the answer and the text added ("" when nothing was)."""
    numbers = numbers_of(change, hits) if change is not None else None
    if change is None or numbers is None or not composed.grounded:
        return composed, ""
    newest, earlier = numbers
    cited = {n for s in kept for n in s.cites}
    if newest not in cited or all(n in cited for n in earlier):
        return composed, ""
    dates = [change.newest.date, *(s.date for s in change.earlier)]
    added = " ".join(earlier_sentence(s, dates, n) for s, n in zip(change.earlier, earlier, strict=False)
                     if n not in cited)
    citations: list[Citation] = list(composed.citations)
    for s, n in zip(change.earlier, earlier, strict=False):
        if n not in cited:
            citations.append(citation_for(n, s.hit, s.quote))
    answer = f"{composed.answer} {added}"
    return replace(composed, answer=answer, citations=citations, segments=[*composed.segments, " " + added],
                   used=[*composed.used, *(s.hit for s in change.earlier)]), " " + added


# --- what an answer stands on ----------------------------------------------------------------------------------

BASIS_LABELS = {"own_words": "{whose} words", "rephrased": "{whose} words, rephrased (checked)", "no_answer": "no answer"}


def basis(mode: str, grounded: bool) -> str:
    """What an answer stands on: her own words (extractive), her words rephrased and checked (LLM), or no answer."""
    if not grounded:
        return "no_answer"
    return "rephrased" if mode == "llm" else "own_words"


def basis_label(kind: str, possessive: str = "their") -> str:
    """The one label every channel shows for an answer's basis ("her words" for a persona whose pronoun is she)."""
    return BASIS_LABELS.get(kind, BASIS_LABELS["no_answer"]).replace("{whose}", possessive)


def checked(outcome: LLMOutcome, change: PositionChange | None, hits: Sequence[PassageHit]) -> LLMOutcome:
    """A model's checked answer with positions in order (the earlier cited first fails it: `position_order`) and the
    earlier position added when the model left it out."""
    composed = outcome.composed
    if composed is None or outcome.check is None or change is None:
        return outcome
    problem = order_problem(change, hits, outcome.check.kept)
    if problem is not None:
        return LLMOutcome(None, problem, raw_text=outcome.raw_text, check=outcome.check)
    completed, _added = complete(composed, change, hits, outcome.check.kept)
    return LLMOutcome(completed, None, raw_text=outcome.raw_text, check=outcome.check)
