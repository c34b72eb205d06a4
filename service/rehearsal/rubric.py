"""The curators' rehearsal rubric: criteria with labels, weights and targets, and the scorecard it gives a pitch."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from service.errors import BadInput
from service.rehearsal.pitch import (
    CHANGE_FOR_RE,
    EVIDENCE_RE,
    MITIGATION_RE,
    PEOPLE_RE,
    WORDS_PER_MINUTE,
    PitchAnalysis,
    names_organisation,
)
from service.rehearsal.rounds import CHANGE_RE, expectations
from textkit.saying import counted, spoken_duration
from textkit.stems import stem
from textkit.stopwords import CONTENT_STOP_WORDS, QUESTION_FILLER
from textkit.words import WORD_RE, words

log = logging.getLogger(__name__)

MAX_SCORE = 5
MAX_CRITERIA = 12
MAX_LABEL_CHARS = 100
MAX_WEIGHT = 10.0
QUOTE_WORDS = 22
STRONG_MITIGATION_RE = re.compile(r"\b(?:mitigat\w*|contingenc\w*|fall ?back|plan b|we (?:will )?stop|roll ?back|"
                                   r"cap\w*|safeguards?)\b", re.IGNORECASE)
# Who is better off, as a pitch names them.
# ("the customer service team" is a team of ours, not a customer)
CUSTOMER_RE = re.compile(r"\b(?:customers?|clients?|users?|shippers?|patients?|members?|buyers?|consignees?)\b"
                         r"(?! (?:service|services|care|support|desk|success)\b)", re.IGNORECASE)
# Stopping the proposal itself ("…we stop it", "we'll stop the pilot"), as a kill criterion does.
# A stop that names nothing stopped ("…, we stop and write up what we learned", "…, we stop.") stops the proposal too.
STOPS_ITSELF_RE = re.compile(r"\bstop(?:s|ped|ping)? (?:it|this|that|the (?:pilot|trial|test|project|programme|program|"
                             r"scheme|experiment|rollout|roll-out))\b(?! (?:from|doing|running|using))|"
                             r"\bstop(?:s|ped|ping)?(?=\s*(?:[,;.!]|$|and\b|then\b))", re.IGNORECASE)
# Where a clause of a sentence ends: what is said of someone is said in the same clause ("Drivers: fewer wasted trips…"
# is; "If we send routes to the drivers' handhelds…, we could cut two dispatcher posts" says nothing of drivers).
CLAUSE_END_RE = re.compile(r"\s*(?:[;,()\u2014\u2013]|\s-\s)\s*")
WHO_RE = re.compile(r"\bwho\b", re.IGNORECASE)
# An ask that names no decision: doing "more" or "something" with a thing, looking into it, "getting it out there",
# trying "it" to "see how it goes".
VAGUE_ASK_RE = re.compile(r"\b(?:do(?:ing)? (?:(?:a (?:lot|bit|little)|much|far|way|lots|loads|even|a whole lot) )?"
                          r"(?:more|less|something|better)(?: (?:with|of|on|about|for))?|"
                          r"(?:try|give) (?:it|this|that|something)(?: (?:out|a go|a try|a shot))?(?=\s*(?:[.!,;]|$|and see\b))|"
                          r"see (?:how|what|where|if) (?:it|this|that|things) (?:goes|go|works|lands|happens|takes us)|"
                          r"(?:look|looking) (?:into|at)|think(?:ing)? about|explor(?:e|ing)|consider(?:ing)?|"
                          r"get (?:\w+ ){0,3}out there|step up|up our game|be more \w+|focus more on|"
                          r"something (?:like|with|around|on))\b", re.IGNORECASE)
# A change said in so many words: "what changes", "on Monday", "for them", "no longer".
CHANGED_RE = re.compile(r"\b(?:chang\w*|on monday|for them|no longer|instead)\b", re.IGNORECASE)
KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
# A curator's criterion about cost (its label or keywords say cost, spend, margin…) also hears a cost stated in
# everyday words: a cost word within a few words of an amount of money or a share ("costs $310k", "costs us about
# 4 % of margin", "a launch discount of 310,000 dollars").
COST_TOPIC_STEMS = frozenset({"cost", "spend", "spent", "expens", "margin", "outlai"})
COST_WORD_RE = re.compile(r"\b(?:cost(?:s|ing|ed)?|spend(?:s|ing)?|spent|expenses?|outlays?|margins?|discounts?)\b",
                          re.IGNORECASE)
COST_FIGURE_KINDS = frozenset({"money", "percent", "amount"})
AGAINST_COST_RE = re.compile(r"\s*(?:under|below|above|over|beneath|less than|more than|short of|off)\s+(?:the |our |their "
                             r"|its |a |your )?(?:[\w-]+ )?(?:cost|floor|price)", re.IGNORECASE)
COST_SPAN_WORDS = 8
DISCOUNT_SPAN_WORDS = 5

# criterion -> (label, {target: default}); any other criterion is a curator's own, scored on its keywords.
BUILT_IN: dict[str, tuple[str, dict[str, float]]] = {
    "ask": ("States the ask", {}),
    "impact": ("Customer or business impact", {"min_sentences": 2}),
    "evidence": ("Evidence and numbers", {"min_numbers": 3}),
    "risks": ("Risks and mitigations", {}),
    "length": ("Length and speaking time", {"min_minutes": 2.0, "max_minutes": 6.0,
                                            "words_per_minute": float(WORDS_PER_MINUTE)}),
    "clarity": ("Clarity", {"max_sentence_words": 20, "max_passive_share": 0.25, "max_jargon": 2}),
}
# A criterion written as a sentence that names a built-in one ("What's the ask?", "riskiest assumption").
SENTENCE_CRITERIA: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ask", re.compile(r"\bask\b|\bthe request\b", re.IGNORECASE)),
    ("risks", re.compile(r"\brisk", re.IGNORECASE)),
    ("evidence", re.compile(r"\b(?:numbers?|evidence|data|proof)\b", re.IGNORECASE)),
    ("impact", re.compile(r"\b(?:customers?|impact)\b", re.IGNORECASE)),
    ("length", re.compile(r"\b(?:length|minutes|speaking time)\b", re.IGNORECASE)),
    ("clarity", re.compile(r"\b(?:clear|clarity|jargon|plain)\b", re.IGNORECASE)),
)
DEFAULT_RUBRIC: tuple[dict[str, Any], ...] = tuple(
    {"criterion": key, "label": label, "weight": 1.0, **targets} for key, (label, targets) in BUILT_IN.items())


@dataclass(frozen=True)
class CriterionScore:
    """One line of the scorecard."""

    key: str
    label: str
    score: int
    max: int
    weight: float
    reason: str
    quotes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "score": self.score, "max": self.max,
                "weight": self.weight, "reason": self.reason, "quotes": list(self.quotes)}


@dataclass(frozen=True)
class Scorecard:
    """A pitch scored against the rubric: each criterion 0-5 with a reason, and the weighted total."""

    criteria: list[CriterionScore]
    total: float
    max: float
    speaking_minutes: float
    words: int

    def to_dict(self) -> dict[str, Any]:
        return {"criteria": [c.to_dict() for c in self.criteria], "total": self.total, "max": self.max,
                "speaking_minutes": self.speaking_minutes, "words": self.words}

    def weakest(self) -> list[CriterionScore]:
        """Criteria below full marks, weakest (and heaviest) first."""
        short = [c for c in self.criteria if c.score < c.max and c.weight > 0]
        return sorted(short, key=lambda c: (c.score - c.max) * c.weight)


def validate_rubric(value: Any) -> list[dict[str, Any]]:
    """A curator's rubric checked and filled in; BadInput says what is wrong."""
    if not isinstance(value, list) or not value:
        raise BadInput("rehearsal_rubric must be a non-empty list of criteria")
    if len(value) > MAX_CRITERIA:
        raise BadInput(f"rehearsal_rubric: at most {MAX_CRITERIA} criteria")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in value:
        if isinstance(item, str):
            item = {"criterion": item}
        if not isinstance(item, dict):
            raise BadInput("each rubric criterion must be a name or an object")
        key = str(item.get("criterion") or item.get("key") or "").strip()
        if not KEY_RE.match(key.lower()):
            item = _from_sentence(key, item, seen)
            key = item["criterion"]
        key = key.lower()
        if key in seen:
            raise BadInput(f"rubric criterion {key!r} appears twice")
        seen.add(key)
        label_default, targets = BUILT_IN.get(key, (key.replace("_", " ").replace("-", " ").capitalize(), {}))
        label = item.get("label", label_default)
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL_CHARS:
            raise BadInput(f"rubric criterion {key!r}: label must be text of 1 to {MAX_LABEL_CHARS} characters")
        weight = item.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= MAX_WEIGHT:
            raise BadInput(f"rubric criterion {key!r}: weight must be a non-negative number, at most {MAX_WEIGHT:g}")
        clean: dict[str, Any] = {"criterion": key, "label": " ".join(label.split()), "weight": float(weight)}
        known = set(targets) | ({"keywords", "min_mentions"} if key not in BUILT_IN else set())
        unknown = sorted(set(item) - known - {"criterion", "key", "label", "weight"})
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise BadInput(f"rubric criterion {key!r}: unknown settings {', '.join(unknown)} (targets: {allowed})")
        for target, default in targets.items():
            clean[target] = _number(key, target, item.get(target, default))
        if key == "length" and clean["min_minutes"] > clean["max_minutes"]:
            raise BadInput("rubric criterion 'length': min_minutes must not exceed max_minutes")
        if key == "clarity" and clean["max_passive_share"] > 1:
            raise BadInput("rubric criterion 'clarity': max_passive_share is a share from 0 to 1")
        if key not in BUILT_IN:
            keywords = item.get("keywords")
            if (not isinstance(keywords, list) or not keywords
                    or not all(isinstance(k, str) and words(k) for k in keywords)):
                raise BadInput(f"rubric criterion {key!r} is not built in ({', '.join(BUILT_IN)}): "
                               "give it keywords to look for in the pitch")
            clean["keywords"] = [" ".join(k.split()) for k in keywords][:30]
            clean["min_mentions"] = _number(key, "min_mentions", item.get("min_mentions", 1))
        out.append(clean)
    if not any(c["weight"] > 0 for c in out):
        raise BadInput("rehearsal_rubric: at least one criterion needs a weight above 0")
    return out


def _from_sentence(text: str, item: dict[str, Any], taken: set[str]) -> dict[str, Any]:
    """A criterion a curator wrote as a sentence ("What's the ask?"): a built-in one if it names one, else its
    content words become the keywords to look for."""
    label = " ".join(text.split())
    if not words(label):
        raise BadInput("each rubric criterion needs a name")
    rest = {k: v for k, v in item.items() if k not in ("criterion", "key")}
    rest.setdefault("label", label[:MAX_LABEL_CHARS])
    for key, pattern in SENTENCE_CRITERIA:
        if key not in taken and pattern.search(label):
            return {"criterion": key, **rest}
    keywords = list(dict.fromkeys(w for w in words(label) if w not in CONTENT_STOP_WORDS and w not in QUESTION_FILLER))
    if not keywords:
        raise BadInput(f"rubric criterion {label!r}: name what to look for in the pitch")
    slug = "-".join(keywords)[:40].strip("-")
    if not KEY_RE.match(slug) or slug in taken:
        slug = f"c{len(taken) + 1}-{slug}"[:40].strip("-")
    return {"criterion": slug, "keywords": rest.pop("keywords", keywords), **rest}


def _number(key: str, target: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value > 100_000:
        raise BadInput(f"rubric criterion {key!r}: {target} must be a non-negative number")
    if target == "words_per_minute" and value <= 0:
        raise BadInput(f"rubric criterion {key!r}: words_per_minute must be above 0")
    return float(value)


def rubric_for(stored: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The rubric to score with: the curators' when set and valid, else the defaults."""
    if not stored:
        return validate_rubric(list(DEFAULT_RUBRIC))
    try:
        return validate_rubric(list(stored))
    except BadInput as exc:
        log.warning("stored rehearsal rubric is invalid, using the default: %s", exc.message)
        return validate_rubric(list(DEFAULT_RUBRIC))


def speaking_rate(rubric: list[dict[str, Any]]) -> float:
    """Words a minute the rubric assumes."""
    for item in rubric:
        if item["criterion"] == "length":
            return float(item["words_per_minute"])
    return float(WORDS_PER_MINUTE)


def score_pitch(analysis: PitchAnalysis, rubric: list[dict[str, Any]]) -> Scorecard:
    """Score each criterion 0-5 with a short reason quoting the pitch."""
    lines = []
    for item in rubric:
        score, reason, used = _SCORERS.get(item["criterion"], _keywords)(analysis, item)
        quotes = tuple(dict.fromkeys(used))
        lines.append(CriterionScore(key=item["criterion"], label=item["label"], score=max(0, min(MAX_SCORE, score)),
                                    max=MAX_SCORE, weight=item["weight"], reason=reason, quotes=quotes))
    total = sum(c.score * c.weight for c in lines)
    top = sum(c.max * c.weight for c in lines)
    minutes = round(analysis.words / speaking_rate(rubric), 1)
    return Scorecard(criteria=lines, total=round(total, 1), max=round(top, 1), speaking_minutes=minutes,
                     words=analysis.words)


def score_text(value: float) -> str:
    """A score as every face shows it: whole numbers whole ("28"), others to one decimal ("27.5")."""
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.1f}"


def quote(sentence: str, limit: int = QUOTE_WORDS) -> str:
    """A sentence of the pitch in quotation marks, shortened to its first words."""
    parts = sentence.split()
    text = " ".join(parts[:limit]) + (" …" if len(parts) > limit else "")
    return f"“{text}”"


def then_advise(quoted: str, advice: str) -> str:
    """A quoted sentence followed by advice, with one full stop between them (“They would save fuel.” Put…)."""
    ended = quoted.rstrip("”").rstrip().endswith((".", "?", "!", "…"))
    return f"{quoted}{'' if ended else '.'} {advice}"


Scored = tuple[int, str, list[str]]  # score, the reason, the pitch's sentences it relied on (as written)


def _ask(a: PitchAnalysis, item: dict[str, Any]) -> Scored:
    if a.ask is None:
        return 0, "No ask: say what you want decided, by whom and by when.", []
    said = f"“{a.ask_cue}”" if a.ask_cue else "the ask"
    vague = VAGUE_ASK_RE.search(a.ask)
    if a.ask_strength == 2 and vague:  # "I think we should do more with social media": no decision to take
        return 2, (f"The ask is vague (“{vague.group()}”), with no decision, amount or date: "
                   f"{then_advise(quote(a.ask), 'Say what you want decided, how much and by when.')}"), [a.ask]
    if a.ask_strength >= 3:
        specifics = ", ".join(a.ask_specifics) or ", ".join(f.text for f in a.figures_in(a.ask))
        return 5, f"States a concrete ask ({said}; {specifics}): {quote(a.ask)}", [a.ask]
    if a.ask_strength == 2:
        return 4, f"States the ask ({said}), but with no amount or date: {quote(a.ask)}", [a.ask]
    return 2, f"The ask is only implied ({said}): {then_advise(quote(a.ask), 'Say plainly what you want.')}", [a.ask]


def _impact(a: PitchAnalysis, item: dict[str, Any]) -> Scored:
    target = max(1, int(item["min_sentences"]))
    found = a.impact_sentences
    with_numbers = [s for s in found if a.figures_in(s)]
    label = item.get("label", "")
    if WHO_RE.search(label) and CUSTOMER_RE.search(label):
        return _who_and_impact(a, found, target)
    if not found:
        return 0, "Says nothing about customers, revenue or cost: who is better off, and by how much?", []
    score = 5 if len(found) >= target and with_numbers else 4 if len(found) >= target else 3 if with_numbers else 2
    # The example is the sentence that says who is better off ("The customer is Meridian's pharmacy team: on Monday
    # they get…"), with a number if one does; else the first with a number.
    best = min(found, key=lambda s: (not CUSTOMER_RE.search(s), not a.figures_in(s)))
    example = quote(best) if with_numbers else then_advise(quote(best), "Put a number on it.")
    return score, f"{counted(len(found), 'sentence')} on impact, e.g. {example}", [best]


def _who_and_impact(a: PitchAnalysis, found: list[str], target: int) -> Scored:
    """Asked who the customer is and what changes for them: a pitch must name them (a group of people such as
    "customers", "drivers" or "dock leads", or an organisation such as "Norrland Grocers") and say what changes for
    them; what it costs or pays back ("Cost is about $180k.") alone is half the criterion, at most 2/5."""
    who = a.who_sentences
    # A pitch that speaks of its customers (or names an organisation it serves) says who the customer is there: the
    # people of ours it also names (dispatchers whose posts it cuts, drivers who follow the app) are not the customer,
    # and what changes for them is not what changes for the customer.
    customers = [s for s in who if CUSTOMER_RE.search(s) or names_organisation(s)]
    if customers:
        who = customers
    if not who:
        if not found:
            return 0, "Says neither who the customer is nor what changes for them.", []
        with_numbers = [s for s in found if a.figures_in(s)]
        best = with_numbers[0] if with_numbers else found[0]
        return 2, (
            f"{counted(len(found), 'sentence')} on cost or payback, none on who the customer is or what changes for "
            f"them, e.g. {then_advise(quote(best), 'Name the customer and what changes.')}"), [best]
    changes = [s for s in who if s in a.change_sentences]
    together = list(dict.fromkeys([*changes, *who, *found]))
    with_numbers = [s for s in together if a.figures_in(s)]
    full = len(together) >= target
    score = 5 if full and with_numbers else 4 if full else 3 if with_numbers else 2
    if not changes:
        # Naming them is half the answer; a figure about them ("1,300 delivery addresses") a little more.
        best = min(who, key=lambda s: not a.figures_in(s))
        return (3 if a.figures_in(best) else 2,
                f"Names who it is for, e.g. {then_advise(quote(best), 'Say what changes for them.')}", [best])
    # The example is the sentence that says most plainly who it is for and what changes for them ("Who changes on
    # Monday: dock leads…; drivers get…"), with a number if one does.
    best = min(changes, key=lambda s: (-_who_strength(s), not a.figures_in(s)))
    return (score, f"{counted(len(changes), 'sentence')} on who it is for and what changes for them, e.g. "
            f"{quote(best)}", [best])


def _who_strength(sentence: str) -> int:
    """How plainly a sentence says who it is for and what changes for them: the groups of people it names, a customer
    or an organisation named, and a change said in so many words."""
    return (len(PEOPLE_RE.findall(sentence)) + 2 * bool(CUSTOMER_RE.search(sentence) or names_organisation(sentence))
            + 2 * bool(CHANGED_RE.search(sentence)))


def _evidence(a: PitchAnalysis, item: dict[str, Any]) -> Scored:
    target = max(1.0, item["min_numbers"])
    numbers = len(a.numbers)
    grounded = [s for s in a.evidence_sentences if EVIDENCE_RE.search(s)]
    score = round(3.5 * min(1.0, numbers / target) + (1.5 if grounded or numbers >= 2 * target else 0))
    if not numbers and not a.evidence_sentences:
        return 0, "No numbers and no evidence (data, pilot, results) behind the claims.", []
    shown = "; ".join(a.numbers[:6]) + (f" and {numbers - 6} more" if numbers > 6 else "") if numbers else "none"
    # The example shows figures when the reason counts them: a sentence with figures first (evidence before others),
    # never a figure-less "I own the pilot" because it names a pilot.
    with_figures = [s for s in a.sentences if a.figures_in(s)]
    pool = list(dict.fromkeys([*grounded, *a.evidence_sentences, *with_figures]))
    ranked = sorted(pool, key=lambda s: (not a.figures_in(s), s not in grounded)) if numbers else grounded
    example = ranked[0] if ranked else a.evidence_sentences[0] if a.evidence_sentences else ""
    return (score, f"{counted(numbers, 'figure')} ({shown})" + (f"; e.g. {quote(example)}" if example else "."),
            [s for s in a.sentences if a.figures_in(s)][:6] + ([example] if example else []))


def _risks(a: PitchAnalysis, item: dict[str, Any]) -> Scored:
    risk, mitigation, kills = a.risk_sentences, a.mitigation_sentences, a.kill_criteria
    if kills:
        extra = [s for s in risk if s not in kills][:1]
        named = f" and names the risk {quote(extra[0], 14)}" if extra else ""
        return 5, f"Sets a kill criterion, what could go wrong and what you would do: {quote(kills[0])}{named}", \
            [kills[0], *extra]
    if risk and mitigation:
        # The risk's own sentence when it says in so many words how it is handled ("…; we will know after the first
        # cohort"), else a sentence that says so most plainly.
        handled = sorted(mitigation, key=lambda s: (not (s in risk and MITIGATION_RE.search(s)),
                                                    not STRONG_MITIGATION_RE.search(s), s not in risk))[0]
        if handled in risk:
            return 5, f"Names a risk and how it is handled: {quote(handled)}", [handled]
        return 5, f"Names a risk, {quote(risk[0], 14)} and how it is handled, {quote(handled, 14)}", [risk[0], handled]
    if risk:
        return 3, f"Names a risk but not what you will do about it: {quote(risk[0])}", [risk[0]]
    if mitigation:
        return 2, f"Has a safeguard but never says what could go wrong: {quote(mitigation[0])}", [mitigation[0]]
    return 0, "No risks: say what could go wrong and what you will do if it does.", []


def _length(a: PitchAnalysis, item: dict[str, Any]) -> Scored:
    minutes = a.words / item["words_per_minute"]
    low, high = item["min_minutes"], item["max_minutes"]
    window = f"target {low:g}-{high:g} minutes at {item['words_per_minute']:g} words a minute"
    spoken = f"{counted(a.words, 'word')}, {spoken_duration(minutes)} spoken ({window})"
    if low <= minutes <= high:
        return 5, spoken + ".", []
    if minutes < low:
        return (round(5 * minutes / low) if low else 5), spoken + ": too short to carry the case.", []
    over = (minutes - high) / max(high, 0.1)
    return max(0, round(5 - 5 * over)), spoken + ": cut it down.", []


def _clarity(a: PitchAnalysis, item: dict[str, Any]) -> Scored:
    score = 5.0
    notes: list[str] = []
    used: list[str] = []
    if a.mean_sentence_words > item["max_sentence_words"]:
        score -= 1.5
        notes.append(f"sentences average {a.mean_sentence_words:g} words (aim under {item['max_sentence_words']:g})")
    if a.long_sentences:
        score -= 1.0 if len(a.long_sentences) * 5 >= len(a.sentences) else 0.5
        longest = max(a.long_sentences, key=len)
        notes.append(f"longest: {quote(longest, 14)}")
        used.append(longest)
    passive_share = len(a.passive_sentences) / max(1, len(a.sentences))
    if passive_share > item["max_passive_share"]:
        score -= 1.0
        notes.append(f"{counted(len(a.passive_sentences), 'passive sentence')}, e.g. {quote(a.passive_sentences[0], 12)}")
        used.append(a.passive_sentences[0])
    if len(a.jargon) > item["max_jargon"]:
        score -= 1.0
        notes.append("jargon: " + ", ".join(a.jargon[:6]))
        used += [s for s in a.sentences if any(re.search(rf"\b{re.escape(j)}\b", s) for j in a.jargon[:6])][:2]
    if not notes:
        if not a.sentences:
            return 5, "Nothing hard to follow.", []
        longest = max(a.sentences, key=lambda s: len(s.split()))
        return 5, (f"Short, active sentences (average {a.mean_sentence_words:g} words; the longest is "
                   f"{len(longest.split())}: {quote(longest, 12)})."), [longest]
    text = "; ".join(notes)
    return round(score), text[:1].upper() + text[1:] + ".", used


def _keywords(a: PitchAnalysis, item: dict[str, Any]) -> Scored:
    keywords = item.get("keywords") or []
    wanted = [(k, f" {_stemmed(k)} ") for k in keywords if words(k)]
    about_cost = bool(COST_TOPIC_STEMS & set(_stemmed(" ".join([item.get("label", ""), *keywords])).split()))
    hits: list[str] = []
    said: list[str] = []
    stated: list[str] = []  # for a criterion about cost, the sentences that say what it costs
    # "How does this affect the drivers?" asks what changes for them: a sentence that only names them ("run the night
    # shift on its own") does not say it; one that says a change in the clause that names them does ("Drivers: fewer
    # wasted trips…", "No change to rest breaks or rotas").
    asks_effect = not about_cost and "effect" in expectations(item.get("label", ""))
    changed: list[str] = []
    found_in: dict[str, list[str]] = {}
    for sentence in a.sentences:
        line = f" {_stemmed(sentence)} "
        # "If it does not move those numbers in eight weeks, we stop it" stops the proposal itself (a kill criterion),
        # not something else to make room for it.
        itself = bool(STOPS_ITSELF_RE.search(sentence))
        found = [_as_written(sentence, k) for k, stems in wanted if stems in line
                 and not (itself and " stop " in stems)]
        if about_cost and (cost := _cost_stated(a, sentence)):
            found = [cost, *(k for k in found if k.lower() not in cost.lower())]
            stated.append(sentence)
        if found:
            hits.append(sentence)
            if asks_effect and any(_says_a_change(clause) and any(stems in f" {_stemmed(clause)} "
                                                                  for _, stems in wanted)
                                   for clause in CLAUSE_END_RE.split(sentence)):
                changed.append(sentence)
                found_in[sentence] = found
            for k in found:  # "Drivers" and "drivers", or two keywords found as one word, are one word relied on
                if k.lower() not in {w.lower() for w in said}:
                    said.append(k)
    need = max(1.0, float(item.get("min_mentions", 1)))
    if not hits:
        return 0, "Never mentions " + ", ".join(keywords[:5]) + ".", []
    relied = ", ".join(f"“{k}”" for k in said[:3])
    if about_cost and not stated:
        # "quoting 15% under our cost-to-serve floor" names the cost but never says what it is: a price put against
        # it is no answer to what it costs.
        return (min(2, round(5 * min(1.0, len(hits) / need))),
                f"{counted(len(hits), 'mention')} ({relied}) but no figure for the cost itself, e.g. "
                f"{then_advise(quote(hits[0]), 'Say what it costs, in money.')}", hits[:3])
    if asks_effect and not changed:
        return (min(2, round(5 * min(1.0, len(hits) / need))),
                f"{counted(len(hits), 'mention')} ({relied}) but none says what changes for them, e.g. "
                f"{then_advise(quote(hits[0]), 'Say what changes.')}", hits[:3])
    if asks_effect:
        # the sentences naming whom the question asks about ("…affect the drivers?") first
        subject = set(_stemmed(item.get("label", "")).split())
        changed.sort(key=lambda s: not subject & set(_stemmed(s).split()))
        named = list({k.lower(): k for s in reversed(changed) for k in reversed(found_in[s])}.values())[::-1]
        return (round(5 * min(1.0, len(changed) / need)),
                f"{counted(len(changed), 'sentence')} on what changes ({', '.join(f'“{k}”' for k in named[:3])}), "
                f"e.g. {quote(changed[0])}", changed[:3])
    return (round(5 * min(1.0, len(hits) / need)), f"{counted(len(hits), 'mention')} ({relied}), e.g. {quote(hits[0])}",
            hits[:3])


# A limit set on them ("we cap night shifts at four a week", "never more than ten hours") changes things for them.
LIMIT_SET_RE = re.compile(r"\b(?:cap(?:s|ped|ping)?|limit(?:s|ed|ing)?|at most|no more than|never more than|up to)\b",
                          re.IGNORECASE)


def _says_a_change(clause: str) -> bool:
    """Whether a clause says what changes, as a round's answer about an effect says it (a change, a direction or a
    comparison named, "so no driver gives up a shift", "no change to rest breaks"), or sets a limit."""
    return bool(CHANGE_FOR_RE.search(clause) or CHANGE_RE.search(clause) or LIMIT_SET_RE.search(clause))


def _as_written(sentence: str, keyword: str) -> str:
    """The sentence's own words that a keyword matched ("Margins" for "margin"), else the keyword."""
    want = _stemmed(keyword).split()
    found = list(WORD_RE.finditer(sentence))
    stems = [_stemmed(m.group()) for m in found]
    for i in range(len(found) - len(want) + 1):
        if stems[i:i + len(want)] == want:
            return sentence[found[i].start():found[i + len(want) - 1].end()]
    return keyword


def _cost_stated(a: PitchAnalysis, sentence: str) -> str | None:
    """The words of a sentence that state a cost, as written ("costs $310k", "costs us about 4 % of margin"), or
    None: a cost word within a few words of an amount of money or a share."""
    figures = [(at, at + len(f.text)) for f in a.figures_in(sentence) if f.kind in COST_FIGURE_KINDS
               and (at := sentence.find(f.text)) >= 0
               # "15% under our cost-to-serve floor", "8% below cost": a price put against the cost, not what it is
               and not AGAINST_COST_RE.match(sentence[at + len(f.text):])]
    pairs: list[tuple[int, int]] = []
    for cost in COST_WORD_RE.finditer(sentence):
        # A discount is its cost only when the amount is said with it ("a $310k discount", "the discount is $310k").
        most = DISCOUNT_SPAN_WORDS if cost.group().lower().startswith("discount") else COST_SPAN_WORDS
        pairs += [(s, e) for at, end in figures
                  if len(sentence[(s := min(cost.start(), at)):(e := max(cost.end(), end))].split()) <= most]
    pairs.sort(key=lambda p: p[1] - p[0])
    if not pairs:
        return None
    start, end = pairs[0]
    for other_start, other_end in pairs[1:]:  # the whole phrase: "costs us about 4 % of margin", not "4 % of margin"
        wider = min(start, other_start), max(end, other_end)
        if other_start < end and other_end > start and len(sentence[wider[0]:wider[1]].split()) <= COST_SPAN_WORDS:
            start, end = wider
    while start > 0 and (sentence[start - 1].isalnum() or sentence[start - 1] in "-$€£"):
        start -= 1  # whole words as written: "cost-to-serve", not "cost"
    while end < len(sentence) and (sentence[end].isalnum() or sentence[end] == "-"):
        end += 1
    return sentence[start:end]


@lru_cache(maxsize=8192)
def _stemmed(text: str) -> str:
    """A text's words as stems, space-separated: a keyword's stems are found in a sentence's as a run of words."""
    return " ".join(stem(w) for w in words(text))


_SCORERS = {"ask": _ask, "impact": _impact, "evidence": _evidence, "risks": _risks, "length": _length,
            "clarity": _clarity}
