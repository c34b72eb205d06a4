"""What differs between two statements on one point: key figures (numbers with their unit), a reversal said in the
later one, the opposite polarity (one denies what the other asserts) or opposite words. Pure text rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from textkit.numbers import CARDINALS
from textkit.stems import stem
from textkit.stopwords import CONTENT_STOP_WORDS, word_set
from textkit.words import content_stems

# Words that are not the unit of a number ("40 new stores": the unit is "store").
_UNIT_SKIP = word_set("new more additional extra full further other of the a an our per every each about around "
                      "roughly nearly almost over under than to up")
NUMBER_WORDS = {"zero": 0, **CARDINALS, "dozen": 12}
SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9}
FIGURE_RE = re.compile(
    r"(?P<cur>[$€£])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\b(?:" + "|".join(NUMBER_WORDS) + r")\b)"
    r"(?:\s*(?P<scale>thousand|million|billion|bn|mn|[kKmMbB])\b)?"
    r"(?:\s*(?P<pct>%|percent\b|per\s+cent\b|percentage\s+points?\b))?"
    r"(?P<after>(?:[\s-]+[A-Za-z'’]+){0,3})", re.IGNORECASE)
# A later statement that says it changes course. Matched in the later statement and not in the earlier one.
REVERSAL_RE = re.compile(
    r"\b(?:no longer|not any ?more|instead|rather than|after all|on hold|(?:is|are) over|"
    r"not\b[^.;]{0,30}\bas (?:we|i) (?:first|originally)|"
    r"changed? (?:my|our) (?:mind|plans?|approach|course|view)|not going ahead|won't go ahead|"
    r"(?:we|i)(?:'re|'m|'ll| are| am| will| have| had|'ve)?(?: now| also)?(?: be)?\s+"
    r"(?:ending|stopping|dropping|scrapping|scrapped|cancel+(?:ing|ed)?|postpon(?:e|ed|ing)|delay(?:ed|ing)?|"
    r"paus(?:e|ed|ing)|revers(?:e|ed|ing)|revis(?:e|ed|ing)|lift(?:ed|ing)?|abandon(?:ed|ing)?|"
    r"walk(?:ed|ing)? back|pull(?:ed|ing)? back|shelv(?:e|ed|ing)|rais(?:e|ed|ing)|cut(?:ting)?|"
    r"suspend(?:ed|ing)?|halt(?:ed|ing)?|phas(?:e|ed|ing) out|wind(?:ing)? down|scal(?:e|ed|ing) back|"
    r"lower(?:ed|ing)?|reduc(?:e|ed|ing)|push(?:ed|ing)? back))\b", re.IGNORECASE)
# "without" is left out: it mostly opens a subordinate clause ("… without risking their jobs"), not a denial.
NEGATION_RE = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor)\b|n[’']t\b", re.IGNORECASE)


# Nouns a number names rather than counts ("wave 3", "phase two", "page 2"): a label, not a figure.
LABEL_WORDS = word_set("wave phase stage page step round part chapter section version tier level gate route lane "
                       "terminal building dock door zone item option number no figure table appendix exhibit")


def _labelled(before: str) -> bool:
    """Whether a number right after this text is a label ("wave 3 moves…")."""
    words = re.findall(r"[A-Za-z'’]+|\S", before[-40:])
    return bool(words) and words[-1].lower() in LABEL_WORDS


def figures(text: str) -> dict[str, set[float]]:
    """Key figures of a text by unit: "%", a currency, "deadline"/"year" for years, else the noun counted."""
    found: dict[str, set[float]] = {}
    for m in FIGURE_RE.finditer(text):
        if _labelled(text[:m.start("num")]) and not m.group("pct") and not m.group("cur"):
            continue
        raw = m.group("num").replace(",", "")
        word = raw.lower()
        if word in NUMBER_WORDS:
            value = float(NUMBER_WORDS[word])
        else:
            try:
                value = float(raw)
            except ValueError:
                continue
        scale = (m.group("scale") or "").lower()
        if scale:
            value *= SCALES.get(scale, 1.0)
        after = [w.lower() for w in re.findall(r"[A-Za-z'’]+", m.group("after") or "")]
        if m.group("pct"):
            unit = "%"
        elif m.group("cur"):
            unit = m.group("cur")
        elif raw.isdigit() and len(raw) == 4 and 1900 <= value <= 2100:
            unit = "year"
        else:
            nouns = [w for w in after if w not in _UNIT_SKIP]
            if not nouns or nouns[0] in CONTENT_STOP_WORDS:
                continue  # "one of", "2 is stable": not a figure
            unit = stem(nouns[0])
        found.setdefault(unit, set()).add(round(value, 6))
    return found


# What kind of statement a figure is in, from the words around it: a result or a change is what happened, not a
# position ("we delivered 97.1%" does not revise "our target is 97%"; "reached 14.2%" is progress towards "18%").
CHANGE_WORDS = word_set("up down rose fell risen fallen grew increased decreased dropped climbed crept doubled "
                        "tripled halved")
# A present move to a new level states the new position ("parental leave rises to 20 weeks"), not what happened.
NEW_LEVEL_WORDS = word_set("rises rise increases moves falls drops grows climbs goes going becomes doubles")
TARGET_WORDS = word_set("target targets aim aims goal goals plan plans planned objective commit committed "
                        "commitment will 'll ’ll shall should must want budget forecast expect ambition hold keep")
RESULT_WORDS = word_set("delivered reached ran running was were averaged ended achieved hit stood came finished "
                        "preliminary actual today currently started stands")
_WINDOW = 6
_WINDOW_STOP = re.compile(r"[;:—–(),]")
# A sentence that announces or narrates rather than states a position ("Three weeks ago I promised to explain why…",
# "Last autumn our team interviewed 60 customers").
NARRATIVE_RE = re.compile(
    r"\b(?:promised|going|want(?:ed)?|meant|set out|plan(?:ned)?)\s+to\s+(?:explain|tell|talk|say|describe|walk|write|"
    r"share|cover|come back)|\b(?:let me|i'll|i’ll|i will|i'd like to)\s+(?:explain|tell you|talk|say a word|come back|"
    r"walk you)|\bhere(?:'s|’s| is) (?:where|how|what|why) (?:i|we)\b|\bi have been asked\b", re.IGNORECASE)
PAST_OPENING_RE = re.compile(
    r"^\W*(?:(?:so|and|but|then)\s+)?(?:(?:last|this past) (?:autumn|fall|spring|summer|winter|year|month|week|quarter|january|february|march|"
    r"april|may|june|july|august|september|october|november|december)\b|(?:\w+ ){1,2}(?:days|weeks|months|years) ago\b|"
    r"yesterday\b|in (?:19|20)\d\d,? (?:we|i|our)\b)", re.IGNORECASE)
_FUTURE_RE = re.compile(r"\b(?:will|'ll|’ll|shall|should|going to|target|aim|goal|plan)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Figure:
    """One key figure with its unit, the kind of statement it is in, and the words that say what it measures."""

    unit: str
    value: float
    kind: str
    measure: frozenset[str]
    # A figure for each one of something ("each point of retention is worth $13 million") against a total.
    rate: bool = False


def _kind(words: Sequence[str]) -> str:
    """"change", "target", "result" or "" (a plain statement: "orders over $50 ship free")."""
    if TARGET_WORDS & set(words) or any(w == "by" and any(n.isdigit() and len(n) == 4 for n in words[i + 1:i + 5])
                                        for i, w in enumerate(words)):
        return "target"  # "by the end of 2026"; a planned change too ("tariffs will fall by 5 percent")
    if any(w in NEW_LEVEL_WORDS and "to" in words[i + 1:i + 3] for i, w in enumerate(words)):
        return "target"  # "rises to 20 weeks", "goes up to $75"
    # "from" says a change only before a figure ("up from 12%"), not before a date ("From April, …").
    if CHANGE_WORDS & set(words) or any(w == "from" and any(n[:1].isdigit() or n in NUMBER_WORDS
                                                            for n in words[i + 1:i + 3])
                                        for i, w in enumerate(words)):
        return "change"
    # "we are at 18%", "a quarter of our vans are now electric": where things stand ("now starts at $75" is a policy)
    if RESULT_WORDS & set(words) or any(w in ("is", "are", "we're", "we’re") and n in ("at", "now")
                                         for w, n in zip(words, words[1:], strict=False)):
        return "result"  # "we are at 24% electric"
    return ""


RATE_WORDS = word_set("each per every")
# Words that qualify a figure ("at least 60%") rather than say what it measures.
QUALIFIERS = word_set("least most above below over under nearly almost about around roughly more less than")
# A dated past action told as a story ("in August we approved $9 million of a $21 million request"): its figures are
# what happened, not a position.
NARRATED_RE = re.compile(r"\bin (?:january|february|march|april|may|june|july|august|september|october|november|"
                         r"december|(?:19|20)\d\d),? (?:we|i)(?: \w+ly)? \w+ed\b", re.IGNORECASE)


def _figures_in(text: str) -> list[_Figure]:
    """The key figures of a text, each with its kind and measure (from its own clause, else the whole text)."""
    whole = "result" if NARRATED_RE.search(text) else _kind([w.lower() for w in re.findall(r"[A-Za-z'’]+|\d+", text)])
    found: list[_Figure] = []
    for m in FIGURE_RE.finditer(text):
        if _labelled(text[:m.start("num")]) and not m.group("pct") and not m.group("cur"):
            continue
        for unit, values in figures(m.group(0)).items():
            before = _WINDOW_STOP.split(text[:m.start()])[-1]
            after = _WINDOW_STOP.split(text[m.end("num"):])[0]
            near = [w.lower() for w in re.findall(r"[A-Za-z'’]+|\d+", before)][-_WINDOW:] + \
                [w.lower() for w in re.findall(r"[A-Za-z'’]+|\d+", after)][:_WINDOW]
            kind = _kind(near) or whole
            measure = frozenset(content_stems(" ".join(w for w in near if not w.isdigit()))) - {
                stem(w) for w in TARGET_WORDS | RESULT_WORDS | CHANGE_WORDS | NEW_LEVEL_WORDS | QUALIFIERS} - {stem(unit)}
            rate = bool(RATE_WORDS & {w.lower() for w in re.findall(r"[A-Za-z]+", before)} | RATE_WORDS & set(near))
            found.extend(_Figure(unit, v, kind, measure, rate) for v in values)
    return found


def _comparable(x: _Figure, y: _Figure) -> bool:
    """Whether two figures can disagree: same unit, both positions (a target, or a plain statement of policy such as
    "we take 40 apprentices a year"; never a result or a change that happened), same measure."""
    if x.unit != y.unit or {x.kind, y.kind} & {"result", "change"} or x.rate != y.rate:
        return False
    return not x.measure or not y.measure or bool(x.measure & y.measure)


def states_position(text: str) -> bool:
    """Whether a statement says what is or will be, rather than announcing or narrating ("I promised to explain…")."""
    if NARRATIVE_RE.search(text):
        return False
    return not (PAST_OPENING_RE.search(text) and not _FUTURE_RE.search(text))


def _moved(earlier: str, later: str) -> set[str]:
    """Units whose comparable figures share no value between the two statements."""
    a, b = _figures_in(earlier), _figures_in(later)
    moved = set()
    for unit in {f.unit for f in a} & {f.unit for f in b}:
        pairs = [(x, y) for x in a for y in b if x.unit == unit and _comparable(x, y)]
        if pairs and not any(x.value == y.value for x, y in pairs):
            moved.add(unit)
    return moved


def differs(earlier: str, later: str) -> list[str]:
    """Why two statements on one point take different positions (empty when nothing says they do, or when the
    earlier one states no position)."""
    if not states_position(earlier) or _fragment(earlier) or _fragment(later):
        return []
    reasons = []
    moved = _moved(earlier, later)
    if moved - {"year"}:
        reasons.append("figures")
    elif moved:
        reasons.append("years")
    if REVERSAL_RE.search(later) and not REVERSAL_RE.search(earlier) and _turns_from(earlier, later):
        reasons.append("reversal")
    if _reports(later):
        return reasons  # "near-miss reports more than doubled" reports what happened: it denies no position
    denial = max(_flipped(earlier, later), _flipped(later, earlier))
    if denial:
        reasons.append("polarity" if denial >= STRONG_DENIAL else "negation")
    if _opposed(earlier, later):
        reasons.append("opposite")
    return reasons


CONTRAST_RE = re.compile(r"\b(?:rather than|instead of)\s+([^.;:,—–]*)", re.IGNORECASE)


def _turns_from(earlier: str, later: str) -> bool:
    """Whether a later statement's reversal is of the earlier one: a bare contrast ("… rather than buying volume below
    cost") counts only when what it turns from is in the earlier statement (two of its words, or a figure)."""
    cues = list(REVERSAL_RE.finditer(later))
    contrasts = list(CONTRAST_RE.finditer(later))
    if len(contrasts) < len(cues) or not contrasts:
        return True  # a reversal said outright ("no longer", "we are suspending…"), or a bare "instead"
    theirs = set(content_stems(earlier)) | set(re.findall(r"\d+", earlier))
    for m in contrasts:
        object_words = set(content_stems(m.group(1))) | set(re.findall(r"\d+", m.group(1)))
        shared = object_words & theirs
        if len(shared) >= 2 or any(w.isdigit() for w in shared):
            return True
    return False


def _fragment(text: str) -> bool:
    """Whether a statement is the tail of a sentence cut by a page break ("departures back under six percent…")."""
    first = text.lstrip("“\"'‘([ ")[:1]
    return (first.isalpha() and first.islower()) or bool(PAGE_BREAK_RE.search(text))


# A running page header inside a statement, then the rest of a cut sentence ("… Page 2 departures back under…").
PAGE_BREAK_RE = re.compile(r"\bPage \d+\s+[a-z]")


def _reports(text: str) -> bool:
    """Whether a statement reports what happened (a result or a change, past tense), not what is or will be."""
    words = [w.lower() for w in re.findall(r"[A-Za-z'’]+|\d+", text)]
    return _kind(words) in ("result", "change")


# Words whose use in one statement and opposite's in the other (without the word itself) means the position turned.
OPPOSITES = (("open", "closed"), ("open", "close"), ("raise", "cut"), ("raise", "lower"), ("increase", "decrease"),
             ("increase", "cut"), ("expand", "shrink"), ("expand", "end"), ("start", "stop"), ("add", "remove"),
             ("more", "fewer"), ("allow", "ban"), ("keep", "drop"), ("only", "anywhere"),
             ("up", "down"), ("flat", "raising"), ("flat", "increase"), ("flat", "cut"), ("hold", "raising"),
             ("keep", "suspend"), ("keep", "halt"), ("keep", "scrap"), ("continue", "suspend"), ("continue", "halt"))


def _opposed(earlier: str, later: str) -> bool:
    """Whether one statement uses a word and the other its opposite (and not the word itself)."""
    a = {stem(w) for w in re.findall(r"[A-Za-z]+", earlier.lower())}
    b = {stem(w) for w in re.findall(r"[A-Za-z]+", later.lower())}
    for x, y in OPPOSITES:
        x, y = stem(x), stem(y)
        if (x in a and y in b and x not in b and y not in a) or (y in a and x in b and y not in b and x not in a):
            return True
    return False


CLAUSE_RE = re.compile(r"[;:,—–]|(?<!\d)[.!?](?!\d)|\b(?:and|but|so|because|while|whereas)\b")
# A clause that opens with these is a condition, not a denial ("If the approval isn't in by January, …").
CONDITION_RE = re.compile(r"^\W*(?:if|unless|whether|in case)\b", re.IGNORECASE)
QUOTED_RE = re.compile(r"[“\"][^”\"]*[”\"]")
REASON_RE = re.compile(r"because|while|whereas")


# Words that deny by themselves: a negated clause holding one is a double negative ("no one would exclude…").
NEGATIVE_WORDS_RE = re.compile(r"\b(?:exclud|ban|refus|den(?:y|ie)|prevent|avoid|lack|fail|stop|cancel|abandon|"
                               r"forbid|prohibit|reject)\w*", re.IGNORECASE)
# A denial sharing this many words with what it denies is strong evidence; fewer ("negation") counts only between
# statements very close in meaning.
STRONG_DENIAL = 3
# A denial is of what the other statement asserts when this share of the negated clause's words (two at least) is in it.
DENIAL_SHARE = 0.4


def _flipped(negated: str, other: str) -> int:
    """How strongly `negated` denies what `other` asserts (0 when it does not): the number of words a negated clause
    shares with `other`, when they are DENIAL_SHARE of its words (two at least, or all of a short clause's) and
    `other` carries no negation of its own."""
    if NEGATION_RE.search(other):
        return 0
    # Names say what both speak of, not what one denies ("I don't want a heroic fix on Calder Dispatch").
    names = _names(negated) | _names(other)
    theirs = set(content_stems(other)) - names
    best = 0
    echoed: set[str] = set()
    pieces = re.split(f"({CLAUSE_RE.pattern})", QUOTED_RE.sub(" ", negated))  # 'Not "most pallets"' quotes words
    for at in range(0, len(pieces), 2):
        clause = pieces[at]
        if at and REASON_RE.fullmatch(pieces[at - 1].strip()):
            continue  # a reason given ("…, because in cold chain 97 is not good enough") denies nothing said
        if CONDITION_RE.search(clause):
            continue
        if clause and NEGATION_RE.search(clause) and not NEGATIVE_WORDS_RE.search(clause):
            mine = set(content_stems(clause)) - names
            shared = mine & theirs
            if (len(shared) >= 2 and len(shared) >= DENIAL_SHARE * len(mine)) or (shared and shared == mine):
                best = max(best, len(shared))
        elif clause:
            echoed |= set(content_stems(clause)) - names & theirs
    # The other clauses restate `other` more fully than the denial touches it ("We do not price below the cost to
    # serve, and our renewal conversations now start with that cost, shown openly"): the denial is of something
    # else. A bare correction ("two office days a week, not three") touches one word and stands.
    return 0 if best >= 2 and len(echoed) > best else best


def _names(text: str) -> set[str]:
    """Stems of the capitalised words of a text that do not open a sentence (names: "Calder Dispatch", "Quay Street")."""
    found: set[str] = set()
    tokens = text.split()
    for before, token in zip(["."] + tokens, tokens, strict=False):
        word = token.strip("“”\"'‘’()[],;:.!?")
        if word[:1].isupper() and not before.endswith((".", "!", "?", ":", "“", '"')) and word.lower() != "i":
            found.add(stem(word.lower()))
    return found

