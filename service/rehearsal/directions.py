"""Which way a sentence leans on the choices proposals keep running into (build or buy, a person or the machine
deciding, written papers or slides, now or later…), so that a pitch that proposes the opposite of a stance is read
as running against it even when neither says "not": "let the planner release the routes on its own" against "a
human dispatcher owns the call", "acquire a rival" against "we grow our own".

Each choice has two poles, each a pattern of everyday wording. A pole named in what a sentence holds or proposes
counts for it; named in what the sentence rules out ("we will not…", "stop…", "…, not B") it counts for the other
pole. Side clauses ("when…", "until…", "because…") are left out: they say when or why, not which way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from service.rehearsal.readings import (
    NEGATED_RELATIVE_RE,
    NEGATOR_RE,
    RULE_OUT_RE,
    Reading,
    condition_met,
    heading_sides,
    reading,
)

# Side clauses: when, until, once, why… (they set a condition on the choice, not which way it goes); what follows an
# "until…" clause as ", then…" waits for it too ("keep the old system running until on-time has held for a month,
# then switch it off").
SIDE_RE = re.compile(r"\b(?:until|till)\b[^,;:.]*(?:,\s*(?:and\s+)?then\b[^,;:.]*)?|"
                     r"\b(?:even though|although|though|because|since|while|whereas|where|if|unless|when|"
                     r"once|before|after|so that|so)\b[^,;:.]*", re.IGNORECASE)


@dataclass(frozen=True)
class Choice:
    """A choice with two poles, each a pattern; +1 is the first pole, -1 the second."""

    name: str
    first: re.Pattern[str]
    second: re.Pattern[str]


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


# "our own" doing the work (our own vans, people, hub), not "our own rule", "our own words", "our own time".
_OUR_OWN = (r"our own(?! (?:rules?|words?|ways?|time|views?|judg\w*|accounts?|decisions?|numbers?|figures?|"
            r"standards?|promises?|policy|policies|targets?|goals?)\b)")
_COMPANY = r"(?:competitors?|rivals?|compan(?:y|ies)|business(?:es)?|firms?|carriers?|hauliers?|operators?|players?)"
_PEOPLE = r"(?:planners?|dispatchers?|drivers?|staff|people|employees?|colleagues?|person|managers?)"
# A verb negated ("do not cover", "doesn't cover", "never covers", "fail to cover"), and not negated.
_NOT_TO = r"(?:not|n't|never|fail(?:s|ed|ing)? to)"
_UNNEGATED = r"(?<!not )(?<!n't )(?<!never )(?<!fail to )(?<!fails to )(?<!failed to )(?<!failing to )"
CHOICES: tuple[Choice, ...] = (
    # Three choices about doing it ourselves or bringing it in, kept apart: buying a company is not subcontracting
    # a service, and neither is hiring a person from outside ("acquire a rival" does not run against "stop
    # subcontracting", nor an outside hire against either).
    # Grow the business ourselves, or buy a company.
    Choice("build or buy a company",
           _pattern(rf"\b(?:{_OUR_OWN}|ourselves|organic(?:ally)?|home-?grown)\b|(?:^|:\s*)buil[dt]\s*$"),
           _pattern(rf"\b(?:acquir\w*|acquisitions?|take ?overs?|taking over|merg(?:e|er|ers|ing)|"
                    rf"(?:buy|buying|bought|purchas\w*)\s+(?:[\w'-]+\s+){{0,3}}?{_COMPANY})\b|(?:^|:\s*)buy\s*$")),
    # Do the work with our own people and vehicles, or contract it out.
    Choice("in-house or subcontracted",
           _pattern(rf"\b(?:{_OUR_OWN}|ourselves|in-house|in house)\b"),
           _pattern(r"\b(?:subcontract\w*|outsourc\w*|third[- ]part(?:y|ies)|contract(?:ed|ing)? (?:it |them |\w+ )?out)\b")),
    # Fill a post from our own people, or hire from outside.
    Choice("promote or hire from outside",
           _pattern(r"\b(?:internal(?:ly)? (?:candidates|hires?|promotions?|applicants?|nominations?)|from within|look inside|"
                    r"inside first|promot\w*|from the (?:dock|floor|shop floor|ranks)|our own (?:people|staff|crews?|"
                    r"teams?|drivers|colleagues))\b"),
           _pattern(rf"\b(?:external (?:candidates|hires?|managers?|recruits?)|hire externally|from outside|"
                    rf"outside (?:hires?|candidates|recruits?)|recruitment agenc(?:y|ies)|headhunt\w*|"
                    rf"from (?:other|another|rival) {_COMPANY})\b")),
    # A person decides, or the system acts on its own.
    Choice("person or machine decides",
           _pattern(r"\b(?:humans?|by hand|manual(?:ly)?|assistive|advisory|in the loop|owns? (?:the|every) (?:call|"
                    r"decision)|(?:final|last) (?:say|call|word)|(?:dispatchers?|planners?|people|a person) (?:\w+ ){0,2}"
                    r"(?:decides?|deciding|approves?|approving|accepts?|accepting|signs? (?:it |each |every )?off|signing (?:it |each |"
                    r"every )?off|makes? the (?:final )?call|owns?))\b"),
           _pattern(r"\b(?:automatic(?:ally)?|automated?|automation|autonomous(?:ly)?|autopilot|hands[- ]off|"
                    r"on its own|by itself|self-driving|straight (?:out )?to (?:the |each |every )?(?:drivers?|driver's|drivers'|"
                    r"handhelds?|phones?)|without (?:a |any )?(?:humans?|people|person|dispatchers?|"
                    r"planners?|anyone|sign-?off|approval)|no (?:humans?|dispatchers?|planners?|one|person) "
                    r"(?:\w+ ){0,2}(?:signing|approving|checking|in the loop|involved))\b")),
    # A written paper read first, or slides presented.
    Choice("written or slides",
           _pattern(r"\b(?:written|in writing|write (?:it |them )?(?:up|down)|memos?|pre-?reads?|papers?(?! over)|documents?|"
                    r"read (?:first|beforehand|in advance|ahead))\b"),
           _pattern(r"\b(?:slides?|slide-?decks?|decks?|powerpoints?|presentations?|present(?:ed|ing)? (?:it )?live|"
                    r"walk-?through)\b")),
    # In the office or working remotely.
    Choice("office or remote",
           _pattern(r"\b(?:in the office|at the office|office days?|anchor days?|in person|on site|in the building|"
                    r"come (?:in|into the office))\b"),
           _pattern(r"\b(?:remote(?:ly)?|from home|at home|home[- ]working|work from anywhere)\b")),
    # Reported or acted on at once, or in a later batch.
    Choice("now or later",
           _pattern(r"\b(?:within (?:24|twenty-four|48) hours|within (?:a|one|the) day|24-hour|same day|immediately|"
                    r"straight away|right away|at once|within hours)\b"),
           _pattern(r"\b(?:monthly|quarterly|month[- ]end|end of the month|within (?:a|one|two) weeks?|(?:a|one|two) weeks? later|"
                    r"in due course|after the fact|periodic(?:ally)?|"
                    r"(?:a|one|two|three) (?:full |whole )?(?:weeks?|months?) (?:to|later|after))\b")),
    # Keep the old running alongside, or cut over.
    Choice("in parallel or cut over",
           _pattern(r"\b(?:in parallel|side by side|run(?:ning)? both|parallel[- ]run\w*)\b"),
           _pattern(r"\b(?:switch(?:es|ed|ing)? (?:\w+ ){0,3}off|turn(?:s|ed|ing)? (?:\w+ ){0,3}off|shut(?:ting|s)? "
                    r"(?:\w+ ){0,3}down|decommission\w*|cut ?over|big[- ]bang|pull(?:s|ed|ing)? the plug|unplug\w*)\b")),
    # Qualified people only, or whoever is free with the papers later.
    Choice("certified or not",
           _pattern(r"(?<!not )(?<!n't )(?<!without )\b(?:certified|qualified|accredited|certification)\b"),
           _pattern(r"\b(?:uncertified|unqualified|untrained|not (?:yet )?(?:certified|qualified|trained)|"
                    r"without (?:\w+ ){0,2}(?:certification|certificates?|qualifications?|training)|"
                    r"(?:paperwork|certificat\w*|training|course)s? (?:\w+ ){0,2}(?:afterwards|later))\b")),
    # Use the standard product as it comes, or build a custom version.
    Choice("standard or custom",
           _pattern(r"\b(?:configur\w*|standard|off-the-shelf|out of the box)\b"),
           _pattern(r"\b(?:custom(?:i[sz]\w*|-built|-made)?|customer-specific|bespoke|one-off|tailor(?:ed|-made)|rebuil\w*|recreat\w*|from scratch)\b")),
    # Money released in stages, or all of it up front.
    Choice("in stages or up front",
           _pattern(r"\b(?:in (?:\w+ )?stages|stage by stage|staged|gated|gates?|tranches?|phased)\b"),
           _pattern(r"\b(?:up ?front|all at once|lump sum|a (?:whole |full )?(?:year|two years) at a time)\b")),
    # A price that covers the cost, or one below it ("prices that do not cover the cost" are below it).
    Choice("price above or below cost",
           _pattern(r"\b(?:at|above|on) (?:our |the )?(?:cost-to-serve |cost to serve )?(?:floor|cost)\b|"
                    rf"{_UNNEGATED}\bcover(?:s|ing)? (?:the |our )?cost"),
           _pattern(r"\b(?:below|under|beneath|less than)\s+(?:\w+\s+){0,4}?(?:cost|floor)\w*|\bat a loss\b|"
                    rf"\bloss[- ]lead\w*|\blos(?:e|es|ing) (?:us )?money\b|"
                    rf"\b(?:prices?|rates?|quotes?|deals?|contracts?) (?:that|which) los(?:e|es)\b|"
                    rf"\b{_NOT_TO}\s+cover(?:s|ing)? (?:the |our )?cost")),
    # The people who see the work decide small spends themselves, or each waits for a case approved at the centre.
    Choice("decided locally or approved centrally",
           _pattern(r"\b(?:discretion(?:ary)?|at the level of the information|decid\w* (?:it |them )?(?:themselves|locally)|"
                    r"(?:their|the depot's|the manager's) own (?:call|judg(?:e)?ment))\b"),
           _pattern(r"\b(?:(?:full |formal |written )?business cases?|sign(?:ed|s)?[- ]off (?:by|from) (?:head office|"
                    r"(?:group |head office )?finance|the centre)|(?:head office|central) (?:approval|sign-?off))\b")),
    # Drivers keep to their breaks and pace, or make up time on the road.
    Choice("driver's pace or make up time",
           _pattern(r"\b(?:take (?:their|a full|the full|every) (?:rest )?breaks?|never (?:rush|hurry))\b"),
           _pattern(r"\b(?:mak(?:e|ing) up (?:the |that |any |lost )*time|recover(?:ing)? (?:the |that |any |lost )*"
                    r"(?:time|minutes)|(?:claw|win|make|get|pull)(?:s|ed|ing)? back (?:[\w'-]+ ){0,3}(?:time|minutes)|"
                    r"drive faster|go(?:ing)? faster|skip(?:s|ped|ping)? (?:[\w'-]+ ){0,2}breaks?|"
                    r"cut(?:s|ting)? (?:[\w'-]+ ){0,2}breaks?|shorter breaks)\b")),
    # The target kept where it is, or moved.
    Choice("target kept or moved",
           _pattern(r"\btarget (?:\S+ ){0,2}(?:stays|remains)\b|\b(?:keep|hold|stick to|maintain)\w* (?:\S+ ){0,4}"
                    r"target\b"),
           _pattern(r"\b(?:lower|cut|reduc|drop|chang|mov|revis|relax|scal(?:e|ing) back)\w* (?:\S+ ){0,4}target\b|"
                    # a committed share moved down: "lower next year's electric share from 40% to 30%"
                    r"\b(?:lower|cut|reduc|drop|revis|relax|scal(?:e|ing) back|trim)\w* (?:\S+ ){0,8}?"
                    # (what is moved is a target or a committed share, not any figure: "cut failed attempts from 6.1%
                    # to 4%" lowers a failure rate, a figure she wants down)
                    r"(?:target|goal|aim|ambition|commitment|share|plan)\w* (?:\S+ ){0,6}?from "
                    r"\d[\d.]*\s*(?:%|percent|per cent) to \d")),
    # Judged by outcomes, or each person scored on a measure ("rank each planner by…", "a league table", "reported per
    # person", "each dispatcher's appraisal should show…"): "we will not measure dispatchers by…" rules out the second.
    Choice("outcomes or people scored",
           _pattern(r"\b(?:measur|judg|scor)\w* (?:\S+ ){0,3}?(?:by |on )?(?:outcomes|results)\b"),
           _pattern(rf"\b(?:rank|rate|rating|scor(?:e|es|ed|ing)|measur\w*|judg\w*|apprais\w*|assess\w*|grad(?:e|es|ed|ing))"
                    rf"\s+(?:each|every|individual|all|the|our)?\s*{_PEOPLE}\b|\bleague tables?\b|"
                    rf"\b(?:reported|tracked|measured|shown|ranked|published)\s+(?:\w+\s+){{0,3}}?per "
                    rf"(?:person|head|{_PEOPLE})\b|\b{_PEOPLE}(?:'s|s'|s)?\s+(?:scores?|rankings?|appraisals?|ratings?|"
                    rf"performance reviews?)\b|\bscores? for (?:the |each |every )?{_PEOPLE}\b")),
)


def side_text(side: str) -> str:
    """A contrast side without the subject it was given ("Dispatch Assist: automatic" -> "automatic")."""
    return side.rsplit(": ", 1)[-1]


# A shortage ("we're short of qualified people", "our people lack the experience") says what is needed, not which
# way the sentence leans: the pole it names is what is missing.
SHORTAGE_RE = re.compile(r"\b(?:short of|shortage of|lacks?|lacking|too few)\b|(?:\bnot|n't)\s+(?:\w+\s+)?enough\b",
                         re.IGNORECASE)
# "we only switch off when…": a permission under a condition, not a lean either way.
ONLY_WHEN_RE = re.compile(r"\bonly\b[^,;:.]*?\b(?:when|if|after|once|until|where)\b[^,;:.]*", re.IGNORECASE)


def stance_parts(text: str, heading: str | None, title: str | None) -> Reading:
    """What a stance holds and rules out for reading its leanings and figures: its sentence's parts, then its section
    heading and what its memo's title says of all of it (memo_theme), each split into its sides when it is put as a
    contrast ("Build, not buy")."""
    found = reading(text, reasons=True)
    held, ruled = list(found.held), list(found.ruled_out)
    for line in dict.fromkeys(h for h in (heading, memo_theme(title or "")) if h):
        sides = heading_sides(line, title or "")
        if sides is None:
            held.append(line)
        else:
            held.append(side_text(sides[0]))
            ruled.append(side_text(sides[1]))
    return Reading(tuple(held), tuple(ruled))


def memo_theme(title: str) -> str:
    """What a memo's title says runs through all of it: the title before its subtitle ("Drivers Home Safe" of
    "Drivers Home Safe: The 24-Hour Rule for Serious Incidents", whose subtitle names the subject of one of its
    sections, not of every stance in it), or the whole title when it is put as a contrast ("How We Run Meetings:
    Written Pre-Reads, Not Slides")."""
    if heading_sides(title, title) is not None:
        return title
    return title.split(": ", 1)[0]


def _cleaned(texts: Iterable[str], *, ruled_out: bool = False) -> list[str]:
    """The texts without their side clauses and without those that state a shortage; of what is ruled out, only what
    is ruled out once."""
    found = []
    for text in texts:
        if SHORTAGE_RE.search(text):
            continue
        text = SIDE_RE.sub(" ", ONLY_WHEN_RE.sub(" ", text))
        # ruled out twice over ("stop approving without…"): which way it leans is not clear
        if not (ruled_out and RULE_OUT_RE.search(NEGATED_RELATIVE_RE.sub(" ", text))):
            found.append(text)
    return found


# A proposal put as the condition of a gain: "the job is ours if we come in under what those runs cost".
PROPOSED_IF_RE = re.compile(r"\bif (?=we\b)([^,;:.]+)", re.IGNORECASE)


# A thing a proposal stops outright, named with its article ("we stop the monthly manual address-cleanup spreadsheet"):
# the words that pick it out ("monthly", "manual") say which thing is stopped, not which way the pitch leans on a
# choice (it is not the same as "stop reporting monthly" or "stop planning by hand").
STOPPED_THING_RE = re.compile(r"\b(?:stop|stops|stopping|drop|drops|dropping|scrap|scraps|scrapping|retire|retiring|"
                              r"end|ends|ending|abolish|abolishing|eliminate|eliminating|remove|removing)\s+"
                              r"(?P<thing>(?:the|our|this|that|these|those|its|their)\s[^,;:.]+)", re.IGNORECASE)
SUBJECT_RE = re.compile(r"^\s*(?:(?:we|i|you|they)(?:['’]ll|['’]d| will| would| shall| can| could)?\s+)?",
                        re.IGNORECASE)


def _stopped_things(sentence: str) -> set[str]:
    return {" ".join(m.group("thing").split()).lower() for m in STOPPED_THING_RE.finditer(sentence)}


def claim_directions(found: Reading, sentence: str) -> np.ndarray:
    """Which way a pitch's sentence leans (directions); when its main clauses lean neither way, what it puts as the
    condition of a gain ("…is ours if we come in under cost") is what it proposes, and else the sentence as said. A
    thing it stops outright, named with its article, leans no way by the words that name it."""
    things = _stopped_things(sentence)
    if things:
        found = Reading(found.held, tuple(r for r in found.ruled_out
                                          if " ".join(SUBJECT_RE.sub("", r, count=1).split()).lower() not in things))
    out = directions(found)
    if not out.any():
        out = directions(Reading(tuple(m.group(1) for m in PROPOSED_IF_RE.finditer(sentence)), ()))
    if not out.any() and not NEGATOR_RE.search(SIDE_RE.sub(" ", sentence)):
        # "drivers could skip their afternoon break": the reading rules out the break and drops the verb that says
        # which way; with no negation in the sentence, the sentence as said does
        out = directions(Reading((STOPPED_THING_RE.sub(" ", sentence),), ()))
    return out


def directions(found: Reading, context: Iterable[str] = ()) -> np.ndarray:
    """For each choice, +1 or -1 for the pole the sentence leans to (0 for neither or both): poles named in what
    it holds (and in `context`, such as its memo's title) count for themselves, in what it rules out against."""
    held = _cleaned([*found.held, *context])
    ruled = _cleaned(found.ruled_out, ruled_out=True)
    out = np.zeros(len(CHOICES), dtype=np.int8)
    for k, choice in enumerate(CHOICES):
        lean = sum(bool(choice.first.search(t)) - bool(choice.second.search(t)) for t in held) - sum(
            bool(choice.first.search(t)) - bool(choice.second.search(t)) for t in ruled)
        out[k] = (lean > 0) - (lean < 0)
    return out


# A figure as written: "99.5%", "97 percent", "99" (years and longer numbers left out).
FIGURE_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)(?![\w.]*\d)\s*(%|percent|per cent)?", re.IGNORECASE)
# Figures this close are the same figure ("99" and "99.5%").
SAME_FIGURE = 1.0


# A number that is part of a name ("RouteMaster 7", "Pier 9", "wave 3"): no figure.
NUMBERING_WORD_RE = re.compile(r"\b(?:wave|phase|stage|gate|pier|version|level|tier|grade|bay|door|platform|no\.?|"
                               r"number)\s*$", re.IGNORECASE)
CAPITALISED_BEFORE_RE = re.compile(r"(?<=[\w,;'’)] )[A-Z][\w-]*\s*$")


def figures(texts: Iterable[str], *, percent_only: bool) -> tuple[float, ...]:
    """The figures in the texts (only percentages when `percent_only`), not the numbers that are part of a name."""
    return tuple(float(m.group(1)) for text in texts for m in FIGURE_RE.finditer(text)
                 if m.group(2) or not percent_only and not _named(text[:m.start()]))


def _named(before: str) -> bool:
    """Whether a number written after `before` is part of a name: after a word that numbers things ("wave 3"), or
    after a capitalised word inside the sentence ("RouteMaster 7")."""
    return bool(NUMBERING_WORD_RE.search(before) or CAPITALISED_BEFORE_RE.search(before))


# A figure moved: "raise the on-time goal from 97 to 99.5", "lower the share from 40 to 30": the second is proposed.
MOVED_TO_RE = re.compile(r"\bfrom\s+\d{1,3}(?:\.\d+)?\s*(?:%|percent|per cent)?\s+to\s+(\d{1,3}(?:\.\d+)?)(?![\w.]*\d)",
                         re.IGNORECASE)


def moved_to(text: str) -> tuple[float, ...]:
    """The figures a sentence proposes by moving one ("from 97 to 99.5": 99.5), percent sign or not."""
    return tuple(float(m.group(1)) for m in MOVED_TO_RE.finditer(text))


def figure_crossings(claim_figures: list[tuple[float, ...]], ruled_figures: list[tuple[float, ...]]) -> np.ndarray:
    """For each (claim, stance): whether the claim proposes a percentage the stance rules out ("99.5%" against
    "97%, not 99")."""
    out = np.zeros((len(claim_figures), len(ruled_figures)), dtype=bool)
    for j, ruled in enumerate(ruled_figures):
        if ruled:
            for i, proposed in enumerate(claim_figures):
                out[i, j] = any(abs(a - b) <= SAME_FIGURE for a in proposed for b in ruled)
    return out


def opposed(claims: np.ndarray, stances: np.ndarray, claim_figures: list[tuple[float, ...]] | None = None,
            ruled_figures: list[tuple[float, ...]] | None = None) -> np.ndarray:
    """For each (claim, stance): +1 when they lean to opposite poles of some choice and the same pole of none, or the
    claim proposes a figure the stance rules out; -1 when they lean to the same pole of some choice and opposite
    poles of none; else 0."""
    if claims.size == 0 or stances.size == 0:
        return np.zeros((len(claims), len(stances)), dtype=np.int8)
    product = claims.astype(np.int16)[:, None, :] * stances.astype(np.int16)[None, :, :]
    against, along = (product < 0).any(axis=2), (product > 0).any(axis=2)
    out: np.ndarray = np.asarray((against & ~along).astype(np.int8) - (along & ~against).astype(np.int8))
    if claim_figures is not None and ruled_figures is not None:
        out[figure_crossings(claim_figures, ruled_figures)] = 1
    return out


def conditions_met(claims: list[frozenset[str]], stances: list[frozenset[str]]) -> np.ndarray:
    """For each (claim, stance): whether the claim waits for the condition the stance draws its line under."""
    return np.array([[bool(c) and bool(s) and condition_met(c, s) for s in stances] for c in claims],
                    dtype=bool).reshape(len(claims), len(stances))
