"""A pitch in, its plain text and an analysis out: sentences, length, speaking time, the ask, numbers, risks."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import PurePath
from typing import Any

from service.config import Settings
from service.errors import BadInput, PitchTooShort
from service.rehearsal.meaning import Embed, embed_safely, nearest
from textkit.numbers import CARDINALS
from textkit.sentences import sentences
from textkit.stems import stem
from textkit.stopwords import CONTENT_STOP_WORDS
from textkit.words import words

PITCH_SUFFIXES = (".docx", ".pdf", ".md", ".markdown", ".txt")
TEXT_SUFFIXES = (".md", ".markdown", ".txt")
# Markdown in a pasted pitch: a heading, list item or quote at a line's start, emphasis, a link or inline code.
MARKDOWN_RE = re.compile(r"^ {0,3}(?:#{1,6}[ \t]|[-*+][ \t]|\d{1,9}[.)][ \t]|>)|(\*\*|__)\S(?:.*?\S)?\1|\]\(|`[^`\n]+`",
                         re.MULTILINE)
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$")
_MD_FENCE = re.compile(r"^ {0,3}(?:```|~~~)")
_MD_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$|^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")
_MD_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_MD_ITEM = re.compile(r"^[ \t]*(?:[-*+\u2022]|\d{1,9}[.)])[ \t]+")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_MD_CODE = re.compile(r"`+([^`]*)`+")
_MD_HTML = re.compile(r"</?[A-Za-z][^>]{0,200}>")
_MD_EMPHASIS = (re.compile(r"\*\*(\S(?:.*?\S)?)\*\*"), re.compile(r"(?<!\w)__(\S(?:.*?\S)?)__(?!\w)"),
                re.compile(r"~~(\S(?:.*?\S)?)~~"), re.compile(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])"),
                re.compile(r"(?<![\w_])_(?![\s_])(.+?)(?<![\s_])_(?![\w_])"))
WORDS_PER_MINUTE = 150
# Sentences longer than this are hard to follow when spoken.
LONG_SENTENCE_WORDS = 30

# An ask stated outright, in the everyday wordings people use; the words matched are shown as what the score relied
# on. Apostrophes are matched straight (curly ones are straightened first).
_ASK_APPROVAL = (r"(?:approval|sign[- ]?off|(?:the |a )?go[- ]ahead|(?:the |a )?green light|(?:a |your )?decision|"
                 r"funding|budget|backing|support|agreement|blessing|(?:a )?yes)")
ASK_STRONG = re.compile(
    r"\b(?:(?:we|i)(?:'re|'m| are| am)? (?:asking|requesting|seeking|looking for (?:your )?" + _ASK_APPROVAL + r")\b|"
    r"(?:we|i)(?: would|'d)? (?:propose|recommend|suggest)\b|"
    r"(?:we|i)(?: would|'d)? (?:ask|request) (?:that|you|for|to|the|your|a|an|approval)\b|"
    r"(?:our|my|the|this|one|today's|main|key) (?:ask|request)\b|"
    r"(?:our|my|this) (?:proposal|recommendation|suggestion)\b|"
    r"(?:we|i)(?: (?:need|want|would like|seek|require)|'d like) (?:you|your|the board|the (?:exec|executive|"
    r"leadership) team|leadership) to\b|"
    r"(?:we|i)(?: (?:need|want|would like|seek|require)|'d like) (?:your |the board's |leadership's |an? |the )?"
    + _ASK_APPROVAL + r"\b|"
    r"(?:we|i)(?: (?:want|would like|plan|intend)|'d like) to \w+|"
    r"(?:we|i) (?:really |strongly |think (?:we|i) |believe (?:we|i) )?should (?!(?:be|have|know|all|expect|"
    r"remember|note|see|probably|maybe)\b)\w+|"
    r"let(?:'s| us) (?!(?:be|face|say|see|talk|look|start with|begin with|not forget|remember|hope|assume|imagine|"
    r"think|just say|put it|call it|know|me)\b)\w+|"
    r"(?:please|can you|could you|will you|would you|can we|could we|may we|can i|could i|may i) "
    r"(?:approve|fund|sign|back|support|endorse|decide|agree|give|have|get|green-?light|authori[sz]e|release|"
    r"confirm|okay|ok)\b|"
    r"(?:need|want|ask) (?:from|of) you\b|to ask (?:you|for)\b|"
    r"(?:approval|sign[- ]?off|funding|go-ahead|a decision|decision) (?:is |are )?(?:sought|requested|needed|"
    r"required)\b|"
    r"^(?:ask|request|proposal|recommendation|decision)\s*[:\u2013\u2014-]|"
    r"^(?:so,? |and |now,? |please,? )?(?:approve|fund|authori[sz]e|green-?light|greenlight|back|sign off on|"
    r"give us)\b)", re.IGNORECASE)
# Cues of ASK_STRONG that say what the presenter means to do rather than what they ask of the room ("we want to hold
# it above 98 %", "we should start", "let's run"): a pitch that also asks outright ("I'm asking for $240k") asks that.
INTENT_CUE_RE = re.compile(r"^(?:(?:we|i)(?: (?:want|would like|plan|intend)|'d like) to \w+|let(?:'s| us) \w+|"
                           r"(?:we|i) .*should \w+)$", re.IGNORECASE)
ASK_WEAK = re.compile(
    r"\b(?:approv\w*|sign[- ]?off|green[- ]light|go-ahead|funding|budget of|headcount|investment of|"
    r"decision|decide|commit(?:ment)?|(?:we|i)(?: (?:need|want|would like)|'d like)\b)", re.IGNORECASE)
# When an ask is concrete: an amount (a figure) or a date in words ("by Friday", "from March", "next quarter").
ASK_WHEN_RE = re.compile(
    r"\b(?:(?:by|before|from|in|on|starting|start of|end of|until) (?:the )?(?:end of |start of )?"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|"
    r"wednesday|thursday|friday|spring|summer|autumn|fall|winter|q[1-4])|"
    r"(?:this|next|by the end of this|by the end of next) (?:week|month|quarter|year|spring|summer|autumn|winter)|"
    r"today|tomorrow|(?:at|by) the (?:next )?(?:board|leadership|exec|executive|quarterly) (?:meeting|review))\b",
    re.IGNORECASE)
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
           "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
# A number as written: 9,140 / 9 140 (with a no-break or thin space) / 3.1 / 120; a unit after a space or a hyphen
# ("12 weeks", "a 12-week course").
_NUM = r"(?:\d{1,3}(?:(?:,|[ \u00a0\u202f\u2009])\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?)"
_SCALE = r"(?:\s?(?:k|K|m|M|mn|bn|b|B)(?![\w])|\s(?:thousand|million|billion|trillion)\b)"
_CURRENCY = r"(?:US\$|A\$|C\$|[$€£¥]|(?:USD|EUR|GBP|CHF)\s?)"
_CURRENCY_WORDS = r"(?:\s?(?:dollars|euros|pounds|usd|eur|gbp))"
_MONEY = rf"(?:{_CURRENCY}\s?{_NUM}{_SCALE}?|{_NUM}{_SCALE}?{_CURRENCY_WORDS})"
_TIME = r"(?:(?:[01]?\d|2[0-3]):[0-5]\d(?:\s?[ap]\.?m\.?)?|(?:1[0-2]|0?[1-9])\s?[ap]\.?m\.?(?![\w]))"
_DASH = r"\s?(?:–|—|-|to|until|till)\s?"
_UNIT = (r"(?:\s?(?:%|percent\b|per cent\b|pp\b|percentage points?\b|points?\b|pts\b|x(?![\w])|bps\b)|"
         r"[\s-](?:hours?|hrs?|days?|nights?|weeks?|months?|quarters?|years?|minutes?|mins?|seconds?|km|miles?|kg|"
         r"tonnes?|tons?|pallets?|trucks?|vans?|trailers?|stores?|sites?|depots?|drivers?|people|staff|FTEs?|"
         r"customers?|orders?|shipments?|loads?|runs?|routes?|stops?|deliveries|lanes?)\b)")
_DATE = (rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s(?:{_MONTHS})\b(?:\s\d{{4}})?|(?:{_MONTHS})\s\d{{1,2}}(?:st|nd|rd|th)?\b"
         rf"(?:,?\s\d{{4}})?|\bQ[1-4](?:\s?(?:FY)?\d{{2,4}})?\b|\bH[12]\s\d{{4}}\b|\b(?:19|20)\d{{2}}-\d{{2}}-\d{{2}}\b)")
_SPELLED = (r"\b(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|a|half a) "
            r"(?:hundred|thousand|million|billion)|(?:ten|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
            r" percent|(?:half|a third|a quarter|double|triple|twice))\b")
_WORDNUM = (r"\b(?:" + "|".join([*(w for w in CARDINALS if w not in ("one", "hundred")), "a hundred", "one hundred"])
            + r")(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?")
# Ordered: the first alternative that matches at a position wins, so wider readings come first.
FIGURE_KINDS: tuple[tuple[str, str], ...] = (
    ("time", rf"{_TIME}{_DASH}{_TIME}"),
    ("date", _DATE),
    ("money", rf"{_MONEY}{_DASH}{_MONEY}|{_CURRENCY}\s?{_NUM}{_DASH}{_NUM}{_SCALE}?"),
    ("money", _MONEY),
    ("time", _TIME),
    ("range", rf"{_NUM}{_SCALE}?{_DASH}{_NUM}{_SCALE}?{_UNIT}?|between {_NUM} and {_NUM}{_UNIT}?"),
    ("ratio", rf"{_NUM} (?:in|out of) {_NUM}\b|(?:one|{_WORDNUM}) (?:in|out of) (?:{_WORDNUM})\b"),
    ("percent", rf"{_NUM}\s?(?:%|percent\b|per cent\b)"),
    ("amount", rf"{_NUM}{_SCALE}"),
    ("quantity", rf"{_NUM}{_UNIT}"),
    ("percent", rf"{_WORDNUM}\s(?:percent|per cent)\b"),
    ("money", rf"{_WORDNUM}(?:\s(?:hundred|thousand|million|billion))?\s(?:dollars|euros|pounds)\b"),
    ("amount", rf"{_WORDNUM}\s(?:hundred|thousand|million|billion)\b"),
    ("number", _SPELLED),
    ("quantity", rf"{_WORDNUM}(?:\s(?:hundred|thousand|million))?{_UNIT}"),
    ("number", _NUM),
)
FIGURE_RE = re.compile(r"(?<![\w.,:/$€£¥-])(?:" + "|".join(f"(?P<k{i}>{pattern})" for i, (_, pattern)
                                                          in enumerate(FIGURE_KINDS)) + r")(?![\d])", re.IGNORECASE)
# A bare number right after a day or week counted ("day 45", "week 3") or a month ("March 2026") says when; right
# after another capitalised word inside a sentence ("Pier 9", "Terminal 2", "at Route 66") it is part of a name.
SEQUENCE_BEFORE_RE = re.compile(r"\b(?:day|week|month|quarter|year|january|february|march|april|may|june|july|"
                                r"august|september|october|november|december)\s$", re.IGNORECASE)
NAME_BEFORE_RE = re.compile(r"(?<=[a-z0-9,;]\s)[A-Z][a-z]+\s$")
# A heading or title: a line of its own of at most this many words, not ended as a sentence is.
HEADING_WORDS = 15
# Words beside its cue in a heading that only announces the ask ("What we propose", "Our ask").
ANNOUNCING_WORDS = 2
RISK_RE = re.compile(
    r"\b(?:risks?|risky|riskiest|downsides?|danger\w*|threats?|exposure|exposed|worst case|what could go wrong|"
    r"go(?:es)? wrong|could fail|might fail|fails?|failure|uncertain\w*|unknowns?|assum(?:e|es|ing|ptions?)|"
    r"depends on|dependen\w*|challenges?|concerns?|worr(?:y|ies|ied)|pitfalls?|trade-?offs?|bottlenecks?|"
    r"vulnerab\w*|(?:could|might|may|would|'d) (?:not |well |also )?(?:slip|drop|fall|lose|miss|hurt|delay|break|"
    r"stall|run over|backfire|not work)|(?:fair|real|good|some|high) chance|weak (?:spot|point|link)|weakest|"
    r"(?:nobody|no one) (?:has|knows|can say)|never been (?:done|tried)|untested|unproven|only works if|unclear|"
    r"not (?:yet )?(?:known|clear|sure|certain)|(?:could|might|may) not\b|lets? (?:us|them|you) down|in case|"
    r"if (?:it|this|that|we|they) (?:doesn't|does not|don't|do not|can't|fails?|slips?|"
    r"misses)|(?:drops?|falls?|slips?|dips?) (?:below|under)|(?:rises?|climbs?|goes|runs?) (?:above|over|past))\b",
    re.IGNORECASE)
MITIGATION_RE = re.compile(
    r"\b(?:mitigat\w*|contingenc\w*|fall ?back|plan b|hedg\w*|safeguards?|phased|phasing|in phases|roll ?back|"
    r"stop[- ]loss|exit criteria|kill (?:criteria|switch)|tripwires?|checkpoints?|stage gates?|monitor\w*|capped|"
    r"cap (?:it|the|night|spend|at)|insure against|backups?|guard ?rails?|limit the|reversible|walk away|"
    r"(?:we|i)(?:'ll| will| would|'d| can| could)? (?:pause|halt|stop|suspend|freeze|revert|roll back|scale back|"
    r"switch back|hand (?:it|them|the \w+) back|return (?:it|them|the \w+) to|pull (?:out|back|the plug)|exit)|"
    r"(?:switch|turn) (?:it|them|this|that|(?:the|our) \w+(?: \w+)?) off|shut (?:it|them|this|that|(?:the|our) \w+) "
    r"down|(?:we|i)(?:'ll| will| would|'d) (?:know|find out|see|learn|hear)\b(?: \w+){0,4}? (?:after|by|within|early|"
    r"once|before)|"
    r"until we fix|(?:review|check|track|watch|audit)\w* (?:\w+ ){0,3}(?:every|each|weekly|monthly|daily|after)|to be safe|"
    r"start small|start with (?:one|two|three|a few|a handful|\d+)\b|only add|step by step|one at a time|cut back|"
    r"in parallel|alongside|human in the loop|override|in case|second supplier|lined up|(?:go|going) back to|"
    r"before (?:anyone|we|it) (?:else )?(?:touch|roll|expand|scale|go|spread)\w*|test (?:it )?(?:on|in|with) (?:one|a)|"
    r"cover (?:any|the) gap|in reserve|buffer|redundan\w*|backstop|switch (?:\w+ ){0,3}back|"
    r"(?:dispatcher|supervisor|manager)s? (?:approves?|confirms?|signs? off|checks?))\b", re.IGNORECASE)
# A condition on a measure: "if on-time-in-full drops below 97 %", "should costs run over budget".
CONDITION_RE = re.compile(
    r"\b(?:if|should|unless|once|when|whenever|the moment)\b[^.;]{0,90}?\b(?:drops?|falls?|slips?|dips?|rises?|"
    r"climbs?|exceeds?|tops?|misses?|(?:is|are|goes|go|runs?|stays?) (?:below|above|under|over|behind|late)|"
    r"doubles?|triples?|halves|(?:lower|higher|worse|more|less|fewer) than|short of|"
    r"below|above|fails?|doesn't|does not|breaks?)\b", re.IGNORECASE)
# Words that make what a sentence says of a contingency: what is done if, unless or in case something happens.
CONTINGENT_RE = re.compile(r"\b(?:if|unless|in case|otherwise|should (?:it|this|that|we|they)|in the event)\b",
                           re.IGNORECASE)
# Words that make a sentence about what might happen rather than what is.
HEDGE_RE = re.compile(r"\b(?:if|unless|could|might|may|in case|what if|chance|likely|unlikely|"
                      r"probabl\w*|possib\w*|expect|otherwise)\b", re.IGNORECASE)
# How risks and their handling are written, in many wordings; a sentence near one of these (and hedged) is one.
RISK_PROTOTYPES = (
    "The biggest risk is that this does not work.",
    "What could go wrong is that we miss the target.",
    "What worries me most is whether it will hold up.",
    "Our riskiest assumption is that demand stays high.",
    "There is a real chance that it fails.",
    "The downside is that we could lose money.",
    "It all depends on whether people accept the change.",
    "The thing that keeps me up at night is the cost.",
    "We are not sure it will work at this scale.",
)
MITIGATION_PROTOTYPES = (
    "If the results fall below the target, we will pause it.",
    "We will stop if it goes over budget.",
    "As a fallback, we can go back to the old way.",
    "To limit the risk, we start small and review before going further.",
    "The spending is capped and checked every month.",
    "If it does not work, we will undo it.",
    "We keep the old process running in parallel as a backup.",
    "A regular check will catch problems early.",
)
# Cosine similarity to the nearest prototype: alone (SURE) or with a hedge or condition (LIKELY).
RISK_SURE, RISK_LIKELY = 0.5, 0.4
MITIGATION_SURE, MITIGATION_LIKELY = 0.5, 0.4
IMPACT_RE = re.compile(
    r"\b(?:customers?|clients?|users?|shippers?|patients?|members?|buyers?|revenue|margins?|costs?|savings?|"
    r"save|profit\w*|churn|retention|growth|grow|market share|on-time|satisfaction|nps|efficien\w*|"
    r"productiv\w*|safety|payback|roi|return on|cash|sales|win rate|loyalty|complaints?|service levels?)\b",
    re.IGNORECASE)
# Who a pitch is for, as people name them: a group of people ("customers", "drivers", "dock leads", "the stores"), or an
# organisation by its proper name ("Norrland Grocers", "Brightwell Foods") that is not a place ("Ashby Road").
PEOPLE_RE = re.compile(
    r"\b(?:customers?|clients?|users?|shippers?|consignees?|patients?|members?|buyers?|tenants?|residents?|"
    r"passengers?|shoppers?|drivers?|dispatchers?|planners?|staff|employees?|colleagues?|workers?|crews?|"
    r"(?:dock|shift|team|depot|store|site|night|day)[ -](?:leads?|managers?|supervisors?|teams?|staff|workers?)|"
    r"supervisors?|managers?|pharmacists?|nurses?|hospitals?|pharmacies|stores|people|everyone|"
    r"for (?:them|him|her|each of them|every one of them))\b", re.IGNORECASE)
VAGUE_PEOPLE_RE = re.compile(r"people|everyone|for (?:them|him|her|each of them|every one of them)", re.IGNORECASE)
ORGANISATION_RE = re.compile(r"(?<=[\w,;:(] )(?P<name>[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+)\b")
PLACE_WORDS = frozenset({"road", "street", "st", "lane", "avenue", "way", "park", "quay", "pier", "bay", "harbour",
                         "harbor", "junction", "house", "square", "north", "south", "east", "west", "depot", "hub",
                         "yard", "gate", "bridge", "hill", "court", "centre", "center", "terminal", "airport", "port"})
# What changes for them: a change named ("changes", "no longer", "instead"), what they get, or a comparison.
CHANGE_FOR_RE = re.compile(
    r"\b(?:chang\w*|get|gets|getting|receive[sd]?|gain\w*|win|wins|save[sd]?|no longer|instead|from (?:now|monday|"
    r"then|day one)|on monday|starts? (?:to|getting)|stops? (?:having|waiting)|will (?:now |no longer |be able to )?"
    r"\w+|(?:fewer|more|less|lower|higher|below|above|faster|slower|earlier|later|sooner|cheaper|better|easier|"
    r"safer|shorter|longer))\b", re.IGNORECASE)
# A sentence saying nothing changes for them ("Customers wouldn't notice any difference", "nothing changes for them"):
# no change for them, whatever it is close to ("nothing changes for them except quieter deliveries" names one).
NO_CHANGE_RE = re.compile(r"\b(?:(?:no|any|nothing|little|not much|without)\s+(?:\w+\s+)?(?:difference|change)|nothing\s+"
                          r"(?:\w+\s+)?changes?|(?:won't|wouldn't|will not|would not|don't|doesn't|do not|does not|"
                          r"never)\s+(?:\w+\s+)?notice)\b(?![^.;]*\b(?:except|but|apart from|other than|besides|save for)\b)",
                          re.IGNORECASE)
# How a pitch says who is better off and what changes for them, in other words: close in meaning to one of these.
CUSTOMER_PROTOTYPES = (
    "The customer is a grocery chain: from Monday their stores get deliveries an hour earlier.",
    "For our customers, what changes is that they no longer wait for late shipments.",
    "The people affected are the warehouse team, who will get a clear weekly plan instead of phone calls.",
    "Hospital pharmacies will receive their orders the same night.",
)
CUSTOMER_SURE = 0.45
EVIDENCE_RE = re.compile(
    r"\b(?:data|pilot\w*|trials?(?! and error)|tested|test results?|measured|survey\w*|results?|showed|shows|found|"
    r"benchmark\w*|study|studies|analysis|last (?:quarter|year|month)|compared|baseline|evidence|proof|"
    r"experiment\w*|a/b|numbers)\b", re.IGNORECASE)
PASSIVE_RE = re.compile(r"\b(?:am|is|are|was|were|be|been|being)\s+(?:\w+ly\s+)?\w+(?:ed|en)\b", re.IGNORECASE)
_JARGON_WORDS = """
synergy synergies leverage leveraging leveraged paradigm holistic disruptive disrupt ecosystem learnings
actionable bandwidth deliverables deliverable operationalize operationalise incentivize incentivise ideate
ideation robust seamless scalable synergistic verticals alignment optimize optimise utilize utilise
streamline empower
"""
JARGON = frozenset(_JARGON_WORDS.split())
ACRONYM_RE = re.compile(r"\b[A-Z]{2,6}s?\b")
COMMON_ACRONYMS = frozenset({"CEO", "CFO", "COO", "CTO", "US", "UK", "EU", "AI", "OK", "Q1", "Q2", "Q3", "Q4",
                             "KPI", "ROI", "NPS", "HR", "IT", "VP", "I"})


@dataclass
class PitchAnalysis:
    """What a pitch says and how it says it, for the scorecard, the ranking and the rounds."""

    text: str
    sentences: list[str]
    words: int
    speaking_minutes: float
    numbers: list[str]
    ask: str | None
    ask_strength: int
    risk_sentences: list[str]
    mitigation_sentences: list[str]
    impact_sentences: list[str]
    evidence_sentences: list[str]
    mean_sentence_words: float
    long_sentences: list[str]
    passive_sentences: list[str]
    jargon: list[str]
    stems: Counter[str] = field(default_factory=Counter)
    figures: list[Figure] = field(default_factory=list)
    kill_criteria: list[str] = field(default_factory=list)
    by_meaning: bool = False
    ask_cue: str | None = None  # the words that make the ask sentence an ask, as written ("I propose")
    ask_specifics: list[str] = field(default_factory=list)  # its amounts and dates, as written
    # Sentences that name who the pitch is for (a group of people or an organisation), and of those, the ones that
    # also say what changes for them.
    who_sentences: list[str] = field(default_factory=list)
    change_sentences: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("text")
        data.pop("stems")
        data["sentences"] = len(self.sentences)
        return data

    def figures_in(self, sentence: str) -> list[Figure]:
        """The figures written in one of the pitch's sentences."""
        return [f for f in self.figures if f.sentence == sentence]


@dataclass(frozen=True)
class Figure:
    """A number as a person reads it, exactly as written ("9,140", "22:00–05:00", "$2.4m", "8–12 weeks")."""

    text: str
    kind: str  # money, percent, time, date, range, ratio, amount, quantity, number
    sentence: str = ""


# "grew from 1,850 to 2,400 loads" is a figure before and one after, not a range.
CHANGE_FROM_RE = re.compile(r"\b(?:grew|grows?|growing|rose|rises?|rising|fell|falls?|falling|dropp?\w*|climb\w*|"
                            r"increas\w*|decreas\w*|cut|cuts|cutting|went|go(?:es)?|going|improv\w*|reduc\w*|"
                            r"jump\w*|mov\w*|shr[ai]nk\w*|sl[ia]d\w*|doubl\w*|halv\w*|chang\w*|rais\w*|lower\w*|"
                            r"up|down)\b(?:\s+[\w,]+){0,3}\s+from\s+$", re.IGNORECASE)
TO_RE = re.compile(r"\s(?:to|until|till)\s", re.IGNORECASE)


def find_figures(text: str) -> list[Figure]:
    """Every figure in a text, as written, with its kind; list numbering ("1. ") and the number of a name ("Pier 9",
    "Terminal 2") are not figures, and a day or week counted ("at day 45", "by week 3") is a date."""
    found = []
    for m in FIGURE_RE.finditer(text):
        if _is_list_marker(text, m.start()):
            continue
        kind = next(FIGURE_KINDS[int(name[1:])][0] for name, value in m.groupdict().items() if value is not None)
        if kind == "number":
            before = text[:m.start()]
            if SEQUENCE_BEFORE_RE.search(before):
                kind = "date"
            elif NAME_BEFORE_RE.search(before):
                continue
        written = m.group(0).strip()
        to = TO_RE.search(written)
        if kind == "range" and to and CHANGE_FROM_RE.search(text[max(0, m.start() - 60):m.start()]):
            found.extend(find_figures(written[:to.start()]) + find_figures(written[to.end():]))
            continue
        found.append(Figure(written, kind))
    return found


def read_pitch(settings: Settings, *, pitch_text: str | None = None, file_bytes: bytes | None = None,
               filename: str | None = None) -> tuple[str, str | None]:
    """The pitch's plain text (and file name): pasted text, or an upload parsed as ingestion parses files."""
    if pitch_text is not None and file_bytes is not None:
        raise BadInput("give the pitch as text or as a file, not both")
    if file_bytes is None:
        text = (pitch_text or "").replace("\r\n", "\n").strip()
        if not words(text):
            raise BadInput("the pitch is empty: give its text, or a .docx, .pdf, .md or .txt file")
        return text, None
    name = PurePath(filename or "").name
    if not name:
        raise BadInput("an uploaded pitch needs its file name")
    if not name.lower().endswith(PITCH_SUFFIXES):
        raise BadInput(f"{name}: a pitch must be a .docx, .pdf, .md or .txt file")
    from ingestion.limits import check_size, decode_text
    from ingestion.model import IngestError, Limits
    from ingestion.pipeline import parse_bytes

    limits = Limits(max_bytes=settings.max_file_bytes,
                    pdf_timeout_s=settings.pdf_timeout, pdf_memory_mb=settings.pdf_memory_mb)
    try:
        if name.lower().endswith(TEXT_SUFFIXES):
            # Read as a pasted pitch is read, so that it reads the same pasted or uploaded (its title heading too).
            check_size(len(file_bytes), name, limits)
            text = decode_text(file_bytes, name).replace("\r\n", "\n").strip()
        else:
            text = _document_text(parse_bytes(file_bytes, name, kind="memo", limits=limits))
    except IngestError as exc:
        # Named once: "empty.txt is empty (0 bytes).", not "empty.txt: empty.txt is empty (0 bytes)."
        raise BadInput(exc.message if name in exc.message else f"{name}: {exc.message}") from exc
    if not words(text):
        raise BadInput(f"{name} holds no text to rehearse")
    return text, name


def _document_text(doc: Any) -> str:
    """A parsed document's words: each section's heading once, then its paragraphs."""
    parts: list[str] = []
    for passage in doc.passages:
        if passage.heading and passage.heading not in parts:
            parts.append(passage.heading)
        parts.append(passage.text)
    return "\n\n".join(p.strip() for p in parts if p.strip())


def plain_pitch(text: str) -> str:
    """The words of a pitch as a reader sees them: one pasted in Markdown loses its markup (heading marks, list and
    quote markers, emphasis, links, code), each heading and list item keeping its own line."""
    if not MARKDOWN_RE.search(text):
        return text
    out: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if _MD_FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or _MD_RULE.match(line):
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            out += ["", _md_inline(heading.group(1)), ""]
            continue
        line = _MD_QUOTE.sub("", line)
        marker = _MD_ITEM.match(line)
        item = marker is not None or line.lstrip().startswith("|")  # a list item or table row: a line of its own
        if marker is not None:
            line = line[marker.end():]
        if line.lstrip().startswith("|"):
            line = " | ".join(cell.strip() for cell in line.strip().strip("|").split("|") if cell.strip())
        line = _md_inline(line)
        out += ["", line, ""] if item else [line]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _md_inline(text: str) -> str:
    """Markdown inline syntax reduced to the words a reader sees."""
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_CODE.sub(r"\1", text)
    text = _MD_HTML.sub("", text)
    for pattern in _MD_EMPHASIS:
        text = pattern.sub(r"\1", text)
    return text


def check_pitch_length(text: str, max_words: int) -> None:
    """Refuse a pitch too long to rehearse (a whole report is not a pitch)."""
    count = len(words(text))
    if count > max_words:
        raise BadInput(f"the pitch is {count} words; rehearse at most {max_words} "
                       f"(about {max_words // WORDS_PER_MINUTE} minutes spoken)")


def check_pitch_substance(text: str, min_words: int) -> None:
    """Ask for more when a pitch is too short to rehearse (a one-liner such as "Let's buy more trucks.")."""
    count = len(words(text))
    sents = [s for s in sentences(text) if words(s)]
    if count >= min_words and (len(sents) > 1 or count >= 2 * min_words):
        return
    analysis = analyse_pitch(text)
    wanted = ["what you propose and why"]
    if not analysis.impact_sentences:
        wanted.append("who it is for and what changes for them")
    if not analysis.figures:
        wanted.append("the numbers behind it")
    if not analysis.risk_sentences:
        wanted.append("what could go wrong and what you would do about it")
    if analysis.ask_strength < 2:
        wanted.append("what you are asking for, and by when")
    elif analysis.ask_strength == 2:  # an ask in so many words ("Let's buy more trucks."), but not how much or when
        wanted.append("what you are asking for in numbers: how much, and by when")
    listed = "; ".join(wanted[:-1]) + f"; and {wanted[-1]}" if len(wanted) > 1 else wanted[0]
    # Say which of the two it is: "17 words" beside "at least 12 words" reads as a miscount when it is one sentence.
    size = (f"one sentence of {count} words" if count >= min_words and len(sents) <= 1
            else f"{count} word{'s' if count != 1 else ''}")
    raise PitchTooShort(f"That is too short to rehearse ({size}). Tell me more: "
                        f"{listed}. A few sentences will do (at least {min_words} words, more than one sentence).")


def pitch_stems(text: str) -> Counter[str]:
    """Content-word stems of a text with their counts."""
    return Counter(stem(w) for w in words(text) if w not in CONTENT_STOP_WORDS and len(w) > 1 and not w.isdigit())


def analyse_pitch(text: str, words_per_minute: float = WORDS_PER_MINUTE, embed: Embed | None = None) -> PitchAnalysis:
    """Everything the scorecard and the rounds look at in a pitch; with a sentence model, risks and their handling
    are recognised by meaning as well as by their cue words; Markdown is read without its markup."""
    text = plain_pitch(text)
    # A hard-wrapped line that carries on a sentence is not a sentence of its own.
    unwrapped = re.sub(r"(?<=[^\n.!?:;])[ \t]*\n[ \t]*(?=[a-z0-9$€£(])", " ", text)
    sents = [" ".join(s.split()) for s in sentences(unwrapped) if words(s)]
    lengths = [len(words(s)) for s in sents]
    total = len(words(text))
    headings = _headings(unwrapped)
    body = [s for s in sents if s not in headings]
    ask = read_ask(sents, headings)
    figures = [replace(f, sentence=s) for s in sents for f in find_figures(s)]
    numbers = list(dict.fromkeys(f.text for f in figures))
    jargon = list(dict.fromkeys(w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if w.lower() in JARGON))
    jargon += [a for a in dict.fromkeys(ACRONYM_RE.findall(text)) if a.rstrip("s") not in COMMON_ACRONYMS]
    risks = find_risks(sents, embed)
    who, changes = find_who(body, embed)
    return PitchAnalysis(
        text=text, sentences=sents, words=total, speaking_minutes=round(total / words_per_minute, 1),
        numbers=numbers, ask=ask.sentence if ask else None, ask_strength=ask.strength if ask else 0,
        ask_cue=ask.cue if ask else None, ask_specifics=list(ask.specifics) if ask else [],
        risk_sentences=risks.risks, mitigation_sentences=risks.mitigations,
        # A sum of money ("About $95k a year") is what it does for the business, with or without the word "cost".
        impact_sentences=[s for s in body if IMPACT_RE.search(s) or any(f.kind == "money" for f in find_figures(s))],
        evidence_sentences=[s for s in body if EVIDENCE_RE.search(s) or _has_number(s)],
        mean_sentence_words=round(sum(lengths) / len(lengths), 1) if lengths else 0.0,
        long_sentences=[s for s, n in zip(sents, lengths, strict=True) if n > LONG_SENTENCE_WORDS],
        passive_sentences=[s for s in sents if PASSIVE_RE.search(s)],
        jargon=jargon, stems=pitch_stems(text), figures=figures, kill_criteria=risks.kill_criteria,
        by_meaning=risks.by_meaning, who_sentences=who, change_sentences=changes,
    )


def names_organisation(sentence: str) -> bool:
    """Whether a sentence names an organisation by its proper name ("quote Norrland Grocers…"), not a place ("at Ashby
    Road", "Calder North")."""
    return any(m.group("name").lower().replace("-", " ").split()[-1] not in PLACE_WORDS
               for m in ORGANISATION_RE.finditer(sentence))


def find_who(sents: list[str], embed: Embed | None = None) -> tuple[list[str], list[str]]:
    """The sentences that name who the pitch is for (a group of people, or an organisation by name), and of those the
    ones that say what changes for them: by plain cues, and with a sentence model by meaning too."""
    vectors = embed_safely(embed, sents)
    close = nearest(vectors, embed, CUSTOMER_PROTOTYPES) if vectors is not None and embed is not None else None
    who, changes = [], []
    for i, sentence in enumerate(sents):
        by_meaning = close is not None and float(close[i]) >= CUSTOMER_SURE
        groups = [m.group() for m in PEOPLE_RE.finditer(sentence)]
        organisation = names_organisation(sentence)
        named = bool(groups) or organisation
        # "It could be really good for us and people would like it." names nobody: "people", "everyone" or "them"
        # alone is no customer or group, whatever the sentence is close to.
        if groups and not organisation and all(VAGUE_PEOPLE_RE.fullmatch(g) for g in groups):
            continue
        if not (named or by_meaning):
            continue
        who.append(sentence)
        if (by_meaning or CHANGE_FOR_RE.search(sentence)) and not NO_CHANGE_RE.search(sentence):
            changes.append(sentence)
    return who, changes


@dataclass(frozen=True)
class Risks:
    """The sentences that say what could go wrong, what would be done about it, and the measured tripwires."""

    risks: list[str]
    mitigations: list[str]
    kill_criteria: list[str]
    by_meaning: bool


def find_risks(sents: list[str], embed: Embed | None = None) -> Risks:
    """Risks and mitigations in any wording: cue patterns, a condition on a measure with an action (a kill
    criterion), and closeness to prototype sentences (hedged sentences need less)."""
    vectors = embed_safely(embed, sents)
    risk_sim = mitigation_sim = None
    if vectors is not None and embed is not None:
        risk_sim = nearest(vectors, embed, RISK_PROTOTYPES)
        mitigation_sim = nearest(vectors, embed, MITIGATION_PROTOTYPES)
    risks, mitigations, kills = [], [], []
    for i, sentence in enumerate(sents):
        hedged = bool(HEDGE_RE.search(sentence))
        condition = bool(CONDITION_RE.search(sentence))
        acts = bool(MITIGATION_RE.search(sentence))
        is_risk = bool(RISK_RE.search(sentence)) or (condition and hedged)
        is_mitigation = acts
        if risk_sim is not None and mitigation_sim is not None:
            r, m = float(risk_sim[i]), float(mitigation_sim[i])
            is_risk = is_risk or r >= RISK_SURE or (r >= RISK_LIKELY and (hedged or condition))
            # (what would be done if it goes wrong: "could" alone is a suggestion, "We could maybe hire an agency")
            is_mitigation = is_mitigation or m >= MITIGATION_SURE or (m >= MITIGATION_LIKELY and (
                condition or bool(CONTINGENT_RE.search(sentence))))
        if condition and acts:
            kills.append(sentence)
            is_risk = is_mitigation = True
        if is_risk:
            risks.append(sentence)
        if is_mitigation:
            mitigations.append(sentence)
    return Risks(risks, mitigations, kills, risk_sim is not None)


def find_ask(sents: list[str]) -> tuple[str | None, int]:
    """The sentence that states the ask, and how clearly: 0 none, 1 implied, 2 explicit, 3 explicit and concrete."""
    found = read_ask(sents)
    return (found.sentence, found.strength) if found else (None, 0)


@dataclass(frozen=True)
class Ask:
    """The sentence that states the ask, how clearly (1 implied, 2 explicit, 3 explicit and concrete), the words
    that say it is an ask and the amounts or dates that make it concrete, each as written."""

    sentence: str
    strength: int
    cue: str
    specifics: tuple[str, ...] = ()


def read_ask(sents: list[str], headings: frozenset[str] = frozenset()) -> Ask | None:
    """The clearest ask in the pitch (among equals, the later one: pitches usually close on the ask); a heading that
    announces it ("What we propose") hands it to the sentence under it."""
    best: tuple[tuple[bool, bool, int, int], Ask] | None = None
    for i, line in enumerate(sents):
        plain = line.replace("’", "'").replace("‘", "'")  # same length: spans stay the sentence's
        match = ASK_STRONG.search(plain)
        strength = 2
        if match is None:
            match = ASK_WEAK.search(plain)
            strength = 1
        if match is None:
            continue
        cue = line[match.start():match.end()]
        # "What we propose" announces the ask; "Proposal: win the Norland account" is one.
        announces = line in headings and len(words(line)) - len(words(cue)) <= ANNOUNCING_WORDS
        under = sents[i + 1] if announces and i + 1 < len(sents) else None
        sentence = under if under is not None and under not in headings else line
        plain = sentence.replace("’", "'").replace("‘", "'")
        figures = [f.text for f in find_figures(sentence)]
        specifics = _in_reading_order(sentence, figures + [
            sentence[m.start():m.end()] for m in ASK_WHEN_RE.finditer(plain)
            if not any(sentence[m.start():m.end()] in f for f in figures)])
        if strength == 2 and specifics:
            strength = 3
        ask = Ask(sentence, strength, cue, tuple(dict.fromkeys(specifics)))
        # An outright ask outranks a stated intention, however concrete the intention; then the clearer, then the later.
        outright = strength >= 2 and not INTENT_CUE_RE.match(cue.replace("’", "'"))
        rank = (strength >= 2, outright, strength, i)
        if best is None or rank >= best[0]:
            best = (rank, ask)
    return best[1] if best else None


def _in_reading_order(sentence: str, parts: list[str]) -> list[str]:
    """Parts of a sentence in the order it says them, those it says one after the other as one ("in March" and
    "2026" are "in March 2026")."""
    spans: list[list[int]] = []
    for part in parts:
        at = sentence.find(part)
        if at >= 0:
            spans.append([at, at + len(part)])
    merged: list[list[int]] = []
    for span in sorted(spans):
        if merged and not sentence[merged[-1][1]:span[0]].strip() and span[0] >= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span[1])
        elif not merged or span[0] >= merged[-1][1]:
            merged.append(span)
    return [sentence[a:b] for a, b in merged]


def _headings(text: str) -> frozenset[str]:
    """The lines of a pitch that are headings or its title ("What we propose", "Cost and owner"): a short line of its
    own that does not end as a sentence ends. They are not quoted as a sentence on impact or evidence."""
    found = set()
    for line in text.split("\n"):
        line = " ".join(line.split())
        if line and len(words(line)) <= HEADING_WORDS and not re.search(r"[.!?…;:,\"”’')\]]$", line):
            found.add(line)
    return frozenset(found)


def _has_number(sentence: str) -> bool:
    return bool(FIGURE_RE.search(sentence))


def _is_list_marker(text: str, start: int) -> bool:
    """Whether a number at `start` only numbers a list item ("1. ", "2) ")."""
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip() and bool(re.match(r"\d{1,2}[.)]\s", text[start:start + 4]))
