"""How a sentence reads: what it holds or proposes and what it rules out, each said affirmatively (used to
compare a pitch's claims with the executive's stances)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textkit.words import content_words

# Negation words that do not negate: limits on numbers, "not only", phrasal verbs with "off".
NOT_A_NEGATION_RE = re.compile(
    r"\b(?:no (?:more|later|less|fewer) than|not only|not just|no matter|no doubt|nothing but|cut-off|"
    r"(?:switch|switches|switched|switching|turn|turns|sign|signs|signed|signing|take|took|taking|kick|top|"
    r"drop|drops|dropped|dropping|paid|pay|pays|paying|set|sets|log|logs|logged|head|heads|start|starts|far|"
    r"back|one|well|better|worse) off|under (?:way|review|\d)|at least|at most|"
    # "end" as a noun: "front end", "year end", "the end of…"
    r"(?:front|back|year|month|week|dead|high|low|top|rear)[- ]end|the end|end (?:of|to end|date|users?|customers?))\b",
    re.IGNORECASE)


# Where one clause of a sentence ends and the next begins.
CLAUSE_BREAK_RE = re.compile(
    r"\s*(?:[;:()\u2014\u2013]|\s-\s|,\s*(?=(?:and|but|so|with|while|whereas|rather|instead|which|because|if|then|"
    r"even|although|though|unless|we|i|it|they|you|this|there|nobody|no one|people|everyone)\b)|"
    r"\b(?:but|so|while|whereas)\b)\s*", re.IGNORECASE)
# Clauses that say why or despite what, not what is proposed or held.
REASON_RE = re.compile(r"^(?:because|since|even though|although|though|as|so that|in order to)\b", re.IGNORECASE)
# Words that rule out the rest of their clause ("we will not X", "no X", "stop X", "without X", "rather than X"); the
# second half of a hyphenated word ("single-drop work") rules out nothing.
# A word such as "stop" or "drop" after an article or "per" is a noun ("cost per stop", "$9 per drop", "the first
# stop"), which rules nothing out.
NOUN_BEFORE = (r"(?<!\bper )(?<!\ba )(?<!\ban )(?<!\beach )(?<!\bevery )(?<!\bthe )(?<!\bone )(?<!\bthis )(?<!\bthat )"
               r"(?<!\bour )(?<!\byour )(?<!\btheir )")
RULE_OUT_RE = re.compile(
    r"(?<!-)\b(?:not|no|never|none|nobody|neither|nor|without|cannot|can't|won't|don't|doesn't|isn't|aren't|didn't|"
    r"shouldn't|mustn't|" + NOUN_BEFORE + r"(?:stop|stops|drop)|stopping|dropping|skip|skipping|scrap|scrapping|remove|removing|eliminate|"
    r"eliminating|abolish|abolishing|end|ending|bypass|bypassing|waive|waiving|instead of|rather than|get rid of|"
    r"do away with|away with|replace|replacing)\b", re.IGNORECASE)
# "replace X with Y": X is ruled out, Y is what is proposed.
REPLACE_RE = re.compile(r"\b(?:replace|replacing)\s+(?P<out>.+?)\s+(?:with|by)\s+(?P<in>.+)$", re.IGNORECASE)
# "A, not B" / "A and not B" at the end of a clause: B is ruled out in A's place.
NOT_B_RE = re.compile(r"^(?P<a>.+?)(?:,\s*|\s+and\s+)not\s+(?!only\b|just\b|yet\b|always\b)(?P<b>[^,;:.]{2,60}?)[.!]?$",
                      re.IGNORECASE)
# "I would rather A than B": a preference, which holds A and rules out B (the words before "rather" go with each).
PREFER_RE = re.compile(r"^(?P<who>.*?)\b(?:would|'d)\s+rather\s+(?P<a>.+?)\s+than\s+(?P<b>.+)$", re.IGNORECASE)
MIN_READING_WORDS = 2
# A relative clause opening just before a negation ("a plan that does not…", "drivers who don't…").
RELATIVE_END_RE = re.compile(r"\s*\b(?:that|which|who)(?:\s+\w+){0,2}\s*$", re.IGNORECASE)
# A relative clause that negates: it says what a thing lacks or does without, not that the sentence rules it out.
NEGATED_RELATIVE_RE = re.compile(
    r"\b(?:that|which|who)\s+(?:\w+n't|(?:\w+\s+){0,2}?(?:not|never|no)\b)[^,;:.]*", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """What a sentence holds or proposes (`held`) and what it rules out, each said affirmatively (`ruled_out`):
    "We will not buy vans that we cannot charge" rules out "We will buy vans that we cannot charge"."""

    held: tuple[str, ...]
    ruled_out: tuple[str, ...]


# Words whose contrast is their opposite in A: "more of them reported, not fewer" rules out fewer reported.
OPPOSITES = {"fewer": frozenset({"more"}), "less": frozenset({"more"}), "more": frozenset({"fewer", "less"}),
             "lower": frozenset({"higher"}), "higher": frozenset({"lower"}), "later": frozenset({"earlier", "sooner"}),
             "earlier": frozenset({"later"}), "sooner": frozenset({"later"}), "slower": frozenset({"faster"}),
             "faster": frozenset({"slower"})}


def held_comparative(sentence: str) -> str:
    """The comparative a sentence put as "A, not B" holds against its opposite B ("I want more of them reported, not
    fewer": "more"), or "" when it is not put so."""
    match = NOT_B_RE.match(" ".join(sentence.split()).rstrip(".!"))
    if match is None or match.group("b").strip().lower() not in OPPOSITES:
        return ""
    ruled = match.group("b").strip().lower()
    return next((w.lower() for w in match.group("a").split() if w.lower() in OPPOSITES[ruled]), "")


def _without_not_b(a: str, b: str) -> str:
    """A's clause with B in the place of the words it contrasts with ("…in the worst week of winter, not the
    average week" -> "…in the average week"; "more of them reported, not fewer" -> "fewer of them reported")."""
    a_words, b_words = a.split(), b.split()
    first = b_words[0].lower()
    if len(b_words) == 1 and first in OPPOSITES:
        for k, word in enumerate(a_words):
            if word.lower() in OPPOSITES[first]:
                return " ".join(a_words[:k] + b_words + a_words[k + 1:])
    for k in range(len(a_words) - 1, -1, -1):
        if a_words[k].lower() == first:
            return " ".join(a_words[:k] + b_words)
    keep = max(1, len(a_words) - len(b_words))
    return " ".join(a_words[:keep] + b_words)


def _spans_not_a_negation(clause: str) -> list[tuple[int, int]]:
    return [m.span() for m in NOT_A_NEGATION_RE.finditer(clause)]


# Words that end one action rather than negate the clause: "stop X and start Y" ends X only.
ENDING_RE = re.compile(r"^(?:stop|stops|stopping|drop|dropping|skip|skipping|scrap|scrapping|remove|removing|"
                       r"eliminate|eliminating|abolish|abolishing|end|ending|bypass|bypassing|waive|waiving)$",
                       re.IGNORECASE)
# "…and cut over all depots": a second action, a verb in its plain form (not "…and recruiting", which is ended too).
NEXT_ACTION_RE = re.compile(
    r"\s+and\s+(?:then\s+|instead\s+)?(?=(?:cut|recruit|hire|bring|switch|move|use|put|send|buy|order|build|run|"
    r"start|launch|give|let|make|take|keep|hand|pay|offer|go|set|add|fill|introduce|roll|open|close|sell|rely|"
    r"outsource|subcontract|acquire|merge|push|fold|shift|turn|migrate|train|appoint|assign|ask|charge|price|quote|"
    r"raise|lower|spend|invest|pilot|trial|release|publish|replace|fix|rank|measure|tie|pin|post)\b)",
    re.IGNORECASE)


# An ending word with nothing after it before the next action: "…, we stop and write up what we learned".
BARE_ENDING_RE = re.compile(r"^\s*,?\s*(?:and|then)\s+(?:then\s+)?(?=[a-z])", re.IGNORECASE)


def _ended(clause: str, after: str, word: str) -> tuple[str, str]:
    """What an ending word ("stop", "drop") rules out and what follows it that is proposed: "drop the parallel run and
    cut over in March" ends the parallel run and proposes the cutover; "we stop and write up what we learned" ends
    whatever is under way (nothing it names) and proposes the write-up."""
    if ENDING_RE.match(word):
        bare = BARE_ENDING_RE.match(after)
        if bare is not None:
            return "", after[bare.end():]
        following = NEXT_ACTION_RE.search(after)
        if following is not None and content_words(after[:following.start()]):
            return after[:following.start()], after[following.end():]
    return after, ""


def _rule_out(clause: str) -> tuple[str, str] | None:
    """(what the clause holds, what it rules out) or None when nothing is ruled out. A negation that opens the clause
    ("we will not buy X", "no driver will…") rules out the whole clause without it; one that comes after what is
    proposed ("let it release the routes with no dispatcher in the loop") rules out only what follows it."""
    guarded = _spans_not_a_negation(clause)
    for match in RULE_OUT_RE.finditer(clause):
        if any(a <= match.start() < b for a, b in guarded):
            continue
        before = clause[:match.start()]
        after, next_action = _ended(clause, clause[match.end():], match.group(0))
        if next_action:
            held = re.sub(r"\s+(?:with|and|but|or)\s*$", "", before, flags=re.IGNORECASE)
            return " ".join(f"{held} {next_action}".split()), before + after
        relative = RELATIVE_END_RE.search(before)
        if relative is not None and content_words(before[:relative.start()]):
            # "a plan that does not need dispatchers": the plan is proposed, what it does without is ruled out
            return before[:relative.start()], clause[match.end():]
        if len(content_words(before)) >= 3:
            return re.sub(r"\s+(?:with|and|but|or)\s*$", "", before, flags=re.IGNORECASE), clause[match.end():]
        return "", before + clause[match.end():]
    return None


# A sentence that opens with the alternative it rules out: "Instead of X, Y" / "Rather than X, Y".
OPENING_ALTERNATIVE_RE = re.compile(r"^(?:instead of|rather than)\s+(?P<out>[^,;:]{3,120}?),\s*(?P<held>.{3,})$",
                                    re.IGNORECASE)


def _clauses(sentence: str) -> list[str]:
    return [c for c in CLAUSE_BREAK_RE.split(sentence) if c and c.strip()]


def _enough(text: str) -> bool:
    return len(content_words(text)) >= MIN_READING_WORDS


# A case heard and turned down: "I have also heard the argument for fully remote, and I do not agree with it for
# us", "I understand the case for a fourth depot, but I don't support it".
REJECTED_CASE_RE = re.compile(
    r"\b(?:the|an?|this|that) (?:argument|case|idea|calls?|push|proposal|suggestion)s? (?:for|to) (?P<x>[^,;:.]+?),?\s+"
    r"(?:and|but|yet)\s+(?:i|we)\s+(?:still\s+)?(?:do not|don't|can't|cannot|can not|won't|will not)\s+"
    r"(?:agree with|accept|support|buy|back|go along with)\s+(?:it|that|this|them)\b", re.IGNORECASE)


def reading(sentence: str, *, reasons: bool = False) -> Reading:
    """Split a sentence into what it holds and what it rules out, clause by clause. "A, not B" rules out the
    sentence with B in A's place; "would rather A than B" holds A and rules out B; a negation or a word like "stop", "without", "rather than" rules out the rest
    of its clause; "replace X with Y" rules out X and holds Y. Reason clauses ("because…") are left out unless
    `reasons`."""
    text = " ".join(sentence.split()).rstrip(".!")
    held: list[str] = []
    ruled: list[str] = []
    contrast = NOT_B_RE.match(text)
    if contrast and not RULE_OUT_RE.search(contrast.group("a")):
        a, b = contrast.group("a"), contrast.group("b")
        ruled_b = _without_not_b(a, b)
        # Both sides or neither: "more of them reported, not fewer" holds A as surely as it rules out B, though "more"
        # alone is not a content word.
        if _enough(a) or _enough(ruled_b):
            return Reading((a,), (ruled_b,))
        return Reading((), ())
    opening = OPENING_ALTERNATIVE_RE.match(text)
    if opening:
        # "Instead of the Monday call, each of us sends a written update": what follows the comma is proposed
        inner = reading(opening.group("held"), reasons=reasons)
        return Reading(inner.held, (opening.group("out"), *inner.ruled_out))
    preferred = PREFER_RE.match(text)
    if preferred:
        who = preferred.group("who").strip()
        held.append(f"{who} would {preferred.group('a')}".strip())
        ruled.append(f"{who} would {preferred.group('b')}".strip())
        return Reading(tuple(x for x in held if _enough(x)), tuple(x for x in ruled if _enough(x)))
    rejected = REJECTED_CASE_RE.search(text)
    if rejected and _enough(rejected.group("x")):
        # "I have heard the argument for fully remote, and I do not agree with it": "it" is what is ruled out
        return Reading((), (rejected.group("x").strip(),))
    for clause in _clauses(text):
        if not reasons and REASON_RE.match(clause):
            continue
        replaced = REPLACE_RE.search(clause)
        if replaced:
            ruled.append(replaced.group("out"))
            held.append(replaced.group("in"))
            continue
        cut = _rule_out(clause)
        if cut is None:
            held.append(clause)
        else:
            held.append(cut[0])
            ruled.append(cut[1])
    return Reading(tuple(" ".join(x.split()) for x in held if _enough(x)),
                   tuple(" ".join(x.split()) for x in ruled if _enough(x)))


# Polarity: a negation flips what the sentence says; "no more than", "not only" are limits, not negations.
NEGATOR_RE = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot)\b|n't\b", re.IGNORECASE)
# Words that turn a statement around without negating it: "price below the cost", "stop carrying forward",
# "instead of", "fewer". Each flips the polarity, so "we do not price below the cost" affirms the floor; the second half
# of a hyphenated word ("frozen bulk single-drop work") turns nothing.
TURN_RE = re.compile(
    r"(?<!-)\b(?:" + NOUN_BEFORE + r"(?:stop|stops|drop)|stopping|skip|skipping|dropping|remove|removing|eliminate|eliminating|scrap|scrapping|"
    r"abolish|abolishing|end|ends|ending|"
    r"waive|bypass|bypassing|shorten|cut|cutting|instead|rather|below|beneath|under|fewer|less|lower|lowering|"
    r"ban|bans|banning|prohibit\w*|forbid\w*)\b(?!-)", re.IGNORECASE)
# Cutting down a failure ("cut failed attempts from 6.1% to 4%", "fewer late departures", "lower the injury rate")
# rules nothing out: it is what every target of hers wants, not a turn against one.
_FAILURES = (r"(?:fail\w*|late\w*|delays?|injur\w*|excursions?|complaints?|errors?|waste|accidents?|incidents?|"
             r"re-?deliver\w*|overtime|missed|misses|credits?|turnover|breakdowns?|damage\w*|returns?|wait\w*|claims?)")
LESS_OF_A_FAILURE_RE = re.compile(
    r"\b(?:cut|cutting|lower|lowering|reduc\w*|fewer|less|shorten|bring down|halve|halving)\s+(?:the\s+|our\s+|its\s+|"
    rf"their\s+)?(?:[\w-]+\s+){{0,2}}?{_FAILURES}\b", re.IGNORECASE)
# A failure named ("failed first-time deliveries at Eastgate were 6.1%"), whose figure a later sentence may move down.
FAILURE_RE = re.compile(rf"\b{_FAILURES}\b", re.IGNORECASE)
# A figure moved down: "from 6.1% to below 4.5%", "from 12 to under 8".
MOVED_DOWN_RE = re.compile(r"\bfrom\s+(?P<a>\d{1,3}(?:\.\d+)?)\s*(?:%|percent|per cent)?\s+to\s+(?:below\s+|under\s+|"
                           r"less than\s+)?(?P<b>\d{1,3}(?:\.\d+)?)\s*(?:%|percent|per cent)?", re.IGNORECASE)


def moves_a_failure_down(sentence: str, before: str) -> bool:
    """Whether a sentence moves down a figure that the text before it gives for a failure ("Failed first-time
    deliveries at Eastgate were 6.1% last quarter." then "We want Eastgate from 6.1% to below 4.5%."): cutting a
    failure, which rules nothing of hers out."""
    for match in MOVED_DOWN_RE.finditer(sentence):
        if float(match.group("b")) >= float(match.group("a")):
            continue
        figure = re.compile(rf"(?<![\d.]){re.escape(match.group('a'))}(?![\d])")
        if any(figure.search(s) and FAILURE_RE.search(s) for s in re.split(r"(?<=[.!?])\s+", before)):
            return True
    return False
# "X instead of Y", "Y rather than X", "X, not Y": the sentence affirms one side and rules out the other.
CONTRAST_RE = re.compile(r"\binstead of\b|\brather than\b|,\s*not\s|\bnot\s+\w+(?:\s+\w+)?,\s*(?:but|it is)\b",
                         re.IGNORECASE)
# Side clauses of a claim ("even though the grid won't be ready", "because nobody reads them") say why, not what.
SIDE_CLAUSE_RE = re.compile(r"\b(?:even though|although|though|because|since|while|whereas|where|if|unless|when|until|so that|so)"
                            r"\b[^,;:.]*", re.IGNORECASE)


def polarity(sentence: str) -> int:
    """-1 when the sentence rules something out, +1 when it affirms: negated ("not", "no", "never", outside the
    phrases that only bound a number) and each turning word ("below", "stop", "instead") flips it. Side clauses
    ("even though…", "because…", "where…") and negated relative clauses ("a plan that does not need…") are left
    out: they say why, where or what a thing lacks, not whether the sentence rules it out."""
    cleaned = SIDE_CLAUSE_RE.sub(" ", NEGATED_RELATIVE_RE.sub(" ", NOT_A_NEGATION_RE.sub(" ", sentence)))
    sign = -1 if NEGATOR_RE.search(cleaned) else 1
    return sign * (-1 if len(TURN_RE.findall(LESS_OF_A_FAILURE_RE.sub(" ", cleaned))) % 2 else 1)


# The condition a line is drawn under: "…vans that we cannot charge", "only when it works in the worst week…",
# "until the depot is performing…", "without the charging ready".
STANCE_CONDITION_RE = re.compile(
    r"(?<=\w )(?:that |which |who )?(?:we|they|it|you) (?:cannot|can't|can not|don't|do not|doesn't|does not|"
    r"isn't|is not|aren't|are not|haven't|have not)\s+(?P<a>[^,;:.]+)|"
    r"\b(?:that|which|who) (?:cannot|can't|can not|don't|do not|doesn't|does not|isn't|is not|aren't|are not|"
    r"haven't|have not)\s+(?P<b>[^,;:.]+)|"
    r"\b(?:only|not)\s+(?:\w+\s+){0,2}?(?:when|until|once|after|before|if)\s+(?P<c>[^,;:.]+)|"
    r"\b(?:until|without)\s+(?P<d>[^,;:.]+)", re.IGNORECASE)
# The condition a proposal says it waits for: "once the chargers are in", "only after the audit"; "before the vans
# go, we'll get the chargers in"; "we'll test the routes first; only then do we order".
CLAIM_CONDITION_RE = re.compile(
    r"\b(?:once|as soon as|only (?:when|after|once|if)|after|provided|as long as|so long as)\s+(?P<a>[^,;:.]+)|"
    r"^\s*before\s+[^,;:.]+,\s*(?P<b>[^;:.]+)|(?P<c>[^,;:.]+)[,;]\s*(?:and\s+)?only then\b", re.IGNORECASE)
MIN_CONDITION_STEM = 4


def _condition_stems(texts: list[str]) -> frozenset[str]:
    from textkit.stems import stem

    return frozenset(s for text in texts for s in (stem(w) for w in content_words(text)) if len(s) >= MIN_CONDITION_STEM)


def stance_condition(sentence: str) -> frozenset[str]:
    """The word stems of the condition a stance draws its line under (empty when it has none)."""
    return _condition_stems([next(g for g in m.groups() if g) for m in STANCE_CONDITION_RE.finditer(sentence)])


def claim_condition(sentence: str) -> frozenset[str]:
    """The word stems of the condition a claim says it waits for (empty when it has none)."""
    return _condition_stems([next(g for g in m.groups() if g) for m in CLAIM_CONDITION_RE.finditer(sentence)])


# A sentence saying something is not so yet ("The depot hasn't passed its audit yet", "the certificate can catch up",
# "sort the paperwork out afterwards").
UNMET_RE = re.compile(r"\b(?:hasn't|has not|haven't|have not|isn't|is not|aren't|are not|not yet|yet to|still "
                      r"(?:waiting|pending|sitting|with|in)|pending|catch up|afterwards|after the fact|later on)\b",
                      re.IGNORECASE)


def unmet_condition(sentence: str) -> frozenset[str]:
    """The word stems of the clauses of a sentence that say something is not so yet (empty when none does): "let the
    certificate catch up", not the "move forwarding onto the platform" it is joined to."""
    clauses = (c for part in _clauses(sentence) for c in re.split(r"\band\b", part))
    return _condition_stems([c for c in clauses if UNMET_RE.search(c)])


def condition_met(claim: frozenset[str], stance: frozenset[str]) -> bool:
    """Whether a claim waits for the condition a stance draws its line under: they share a word ("charge" and
    "chargers", by stem or the one's stem starting the other's)."""
    return any(a == b or a.startswith(b) or b.startswith(a) for a in claim for b in stance)


# A heading that states a position as a contrast: "Assistive, Not Automatic", "Build, not buy, for now", "Written
# Pre-Reads, Not Slides", "We measure outcomes, not acceptance", "Retention over new logos".
HEADING_CONTRAST_RE = re.compile(
    r"^(?:(?P<subject>[^:]{3,60}):\s*)?(?P<a>[^,:]{2,40}?),?\s+(?:and\s+)?not\s+(?!only\b|just\b)(?P<b>[^,:]{2,40}?)"
    r"(?:,[^:]*)?$|^(?P<a2>[\w' -]{3,30}) over (?P<b2>[\w' -]{3,30})$", re.IGNORECASE)


def heading_sides(heading: str, title: str) -> tuple[str, str] | None:
    """(affirmed, ruled out) of a heading or title that states a contrast, each with its subject; else None."""
    match = HEADING_CONTRAST_RE.match(" ".join(heading.split()))
    if match is None:
        return None
    a, b = match.group("a") or match.group("a2"), match.group("b") or match.group("b2")
    subject = match.group("subject") or (title.split(":")[0] if heading != title else "")
    a, b = a.strip(), b.strip()
    if re.match(r"(?:we|i|our)\b", a, re.IGNORECASE) and len(b.split()) < len(a.split()):
        b = " ".join(a.split()[:len(a.split()) - len(b.split())] + [b])  # "We measure outcomes, not acceptance"
    prefix = f"{subject.strip()}: " if subject and subject.strip() else ""
    return f"{prefix}{a}", f"{prefix}{b}"
