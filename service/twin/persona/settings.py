"""The persona's settings: what a curator owns, over defaults, and how a twin's persona is loaded."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import re2
from sqlalchemy.orm import Session

from service.corpus.models import Twin
from service.twin.persona.style import StyleProfile, corpus_fingerprint, refresh_persona
from textkit.stems import stem
from textkit.stopwords import word_set

DEFAULT_NO_ANSWER = ("That's not something I've spoken to in the sources I'm built from. "
                     "Try asking about something I've covered, or take the question to my office directly.")
DEFAULT_REFUSAL = ("That's not a topic I speak to here ({topic}). "
                   "Please take it to the people who own it directly.")
DEFAULT_DISCLAIMER = "AI twin of {name}, built from approved sources; not {name}."
DEFAULT_OPENERS = ("Here's where I land.", "Here's how I see it.", "Here's what I've said on this.")
# Names a question uses for a person (checked case-sensitively on the original text).
PERSON_NAME_RE = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Miss)\.?\s+[A-Z][a-z]+)"
    r"|(?<!^)(?<![.?!]\s)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?(?:['’]s)?\b")
NOT_NAMES = word_set("""
I I'm I've I'd The A An And But Or So What Why How When Where Who Which Is Are Do Does Did Can Could Would Should
Will Our We You Your My CEO CFO AI Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
April May June July August September October November December Q1 Q2 Q3 Q4 Please Tell
""")

# A capitalised name (case-sensitive even inside case-insensitive topic patterns), optionally with a title.
_NAME = r"(?-i:(?:(?:Mr|Mrs|Ms|Dr|Miss)\.?\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
NAME_PATTERN = _NAME

# What a deal is done for: a named company ("Nordfreight") or a company in words ("a rival carrier").
_A_DEAL = (r"(?:(?-i:[A-Z][\w&-]*)|(?:a |an |another |the |any )?(?:compan(?:y|ies)|firms?|startups?|business(?:es)?|"
           r"competitors?|rivals?|carriers?)\b)")
# Built-in topics' patterns as an earlier release shipped them: the current ones extend them, and twins made with
# them load the current ones (RETIRED_TOPIC_PATTERNS).
_REORGANISATION_PATTERNS_2 = (
    r"\bre-?organi[sz]\w*", r"\bre-?orgs?\b", r"\brestructur\w*", r"\borg(?:ani[sz]ation(?:al)?)? (?:chart|"
    r"changes?|design)\b", r"\breporting lines?\b",
    # Units of the company merged ("my depot merged into another region"): a reorganisation, not a deal.
    r"\bmerg(?:e|es|ed|ing) (?:(?:into|with) )?(?:\w+ ){0,4}?(?:regions?|depots?|divisions?|departments?|teams?|"
    r"sites?|offices?|hubs?|branch|branches)\b")
_PERFORMANCE_PATTERNS_1 = (
    rf"\b(?:is|are|was|has|have|how's)\s+{_NAME}\s+(?:been\s+)?(?:perform|underperform|doing|deliver|cop)\w*",
    rf"{_NAME}['’]s\s+(?:performance|work|output|results|review|rating|track record|competence)\b",
    rf"\b(?:performance|review|rating|competence)s?\s+(?:of|for)\s+{_NAME}",
    rf"\b(?:fire|fired|firing|promote|promoted|promoting|demote|demoted|sack|sacked|replace|replacing)\s+{_NAME}",
    rf"{_NAME}\s+(?:be|get|getting|been|being)\s+(?:fired|promoted|demoted|let go|sacked|replaced|put on)",
    rf"\b(?:is|was)\s+{_NAME}\s+(?:a\s+)?(?:good|bad|weak|strong|poor|great|competent|incompetent)\b")
_PERFORMANCE_PATTERNS_2 = (
    *_PERFORMANCE_PATTERNS_1,
    # "How did Hannah Cole do in her last review?", "Is my manager Tomas doing a good job?"
    rf"{_NAME} (?:do|did|does|doing) (?:well |badly )?in (?:(?:her|his|their) )?(?:last |latest |annual |"
    r"recent )?(?:review|appraisal|evaluation)s?\b",
    rf"\b(?:is|are|was|has|have|how's) (?:my|our|the|your) (?:manager|boss|supervisor|team lead|lead|director|"
    rf"colleague|depot manager|site lead) {_NAME} (?:been )?(?:perform|underperform|doing|deliver|cop)\w*")
# About to buy a company, a few words about it between ("a refrigerated haulier", "a cold chain firm").
_RUMOURED_DEAL = (r"(?:going|planning|about|looking|set) to (?:buy|acquire|take over|merge with|snap up) (?:an? |"
                  r"another |the )?(?:[\w-]+ ){0,2}(?:compan(?:y|ies)|firms?|business(?:es)?|competitors?|rivals?|"
                  r"carriers?|hauliers?|outfits?)\b")
_M_AND_A_PATTERNS_3 = (
    r"\bmerg(?:er|ers|e|es|ed|ing)\b", r"\bacquisitions?\b", r"\bacquir\w* (?:a |an |another |the |any )?"
    r"(?:company|companies|firm|firms|startup|startups|business|businesses|competitor|competitors|rival)\b",
    r"\btake-?overs?\b", r"\bbuy-?outs?\b", r"\bM\s*&\s*A\b", r"\bdivest\w*", r"\bspin-?offs?\b",
    r"\b(?:are|is|were) (?:we|you|they|\w+) (?:\w+ )?(?:acquiring|merging|taking over)\b",
    # "Are we buying Nordfreight?" or "going to buy Corvane?" names a deal; "are we buying electric vans?" is a
    # purchase.
    r"\b(?:are|is|were) (?:we|you|they|\w+) (?:\w+ )?buying " + _A_DEAL,
    r"\b(?:are|is|were) (?:we|you|they|\w+) (?:\w+ )?(?:going|planning|about|looking|trying) to "
    r"(?:buy|acquire|take over|merge with) " + _A_DEAL,
    # "Should we buy Nordfreight?" names a deal; "should we buy a competitor instead of building?" asks her strategy.
    r"\b(?:will|would|should|could|can) (?:we|you|they|\w+) (?:ever |really |actually |still )?(?:buy|acquire|"
    r"take over|merge with) (?-i:[A-Z][\w&-]*)")
DEFAULT_TOPICS: tuple[dict[str, Any], ...] = (
    {"name": "compensation", "label": "pay and compensation", "patterns": [
        r"\bsalar(?:y|ies|ied)\b", r"\bcompensat\w*", r"\bbonus(?:es)?\b", r"\bpay\s*(?:rise|raise|cut|band|grade|"
        r"scale|freeze|increase|review|packet|slip)s?\b", r"\bpayroll\b", r"\bstock options?\b", r"\bequity (?:grant|refresh|award)s?\b", r"\b(?:get|getting|give|giving|"
        r"got)\s+(?:a\s+|any\s+)?raises?\b", r"\bhow much (?:do|does|will|are|is) (?:\w+\s){0,3}(?:paid|pay|earn)\w*",
        r"\bunderpaid\b", r"\boverpaid\b"]},
    {"name": "layoffs", "label": "layoffs", "patterns": [
        r"\blay(?:ing|s)?[\s-]*offs?\b", r"\blaid[\s-]*off\b", r"\blayoffs?\b", r"\bredundanc(?:y|ies)\b",
        r"\bjob cuts?\b", r"\b(?:headcount|staff|workforce) (?:reduction|cut)s?\b", r"\bdownsiz\w*",
        r"\breductions? in force\b", r"\bRIFs?\b", r"\bseverance\b", r"\blet\w* (?:people|staff|employees|us) go\b",
        r"\bfir(?:e|es|ed|ing) (?:people|staff|employees|workers)\b", r"\bcut(?:ting)? jobs\b"]},
    {"name": "reorganisation", "label": "reorganisations", "patterns": [
        *_REORGANISATION_PATTERNS_2,
        # "Are the regions being merged?": the units first.
        r"\b(?:regions?|depots?|divisions?|departments?|teams?|sites?|offices?|hubs?|branch|branches) (?:\w+ ){0,2}?"
        r"merg(?:e|es|ed|ing)\b"]},
    {"name": "m-and-a", "label": "mergers and acquisitions", "patterns": [
        *_M_AND_A_PATTERNS_3,
        # "People say we're about to snap up a refrigerated haulier up north": a rumoured deal, in other words.
        r"\b(?:we|you|they|\w+)(?:'re|’re| are| is) (?:\w+ )?" + _RUMOURED_DEAL,
        r"\b(?:is|are|was|were) (?:we|you|they|\w+) (?:\w+ )?" + _RUMOURED_DEAL]},
    {"name": "legal", "label": "legal matters", "patterns": [
        r"\blawsuits?\b", r"\blitigat\w*", r"\bsu(?:e|es|ed|ing)\b", r"\blegal (?:action|matter|case|dispute|"
        r"proceeding|issue|exposure|risk)s?\b", r"\bsubpoena\w*", r"\bindict\w*", r"\bcourt cases?\b",
        r"\b(?:regulatory|SEC|DOJ|FTC) (?:investigation|probe|inquiry)\w*", r"\bsettle(?:ment)?s? (?:with|of) "
        r"(?:the )?(?:lawsuit|case|claim|plaintiff)s?\b", r"\bplaintiffs?\b", r"\bwhistle-?blow\w*"]},
    {"name": "individual-performance", "label": "named individuals' performance", "patterns": [
        *_PERFORMANCE_PATTERNS_2,
        # "Is the Ashby Road depot manager going to be fired for the bad numbers?": one person, named by their role.
        r"\b(?:manager|boss|supervisor|director|team lead|team leader|site lead|shift lead|head|colleague)s?\s+"
        r"(?:\w+\s+){0,3}?(?:be|get|getting|being|been)\s+(?:fired|sacked|let go|demoted|replaced|disciplined|"
        r"put on (?:notice|a performance plan))\b"]},
    # A person's health ("What was the injured driver treated for?"), never a policy ("our sick leave policy").
    {"name": "health", "label": "people's health and medical details", "patterns": [
        r"\b(?:was|were|is|are|being|been|get|got|gets)\s+(?:\w+\s+){0,3}?(?:treated|hospitali[sz]ed|diagnosed|"
        r"admitted|operated on)\s+(?:for|with)\b",
        r"\b(?:his|her|their|\w+['’]s)\s+(?:medical|health|mental health|psychiatric)\s+(?:conditions?|history|"
        r"records?|details|diagnos[ie]s|problems?|issues?|status|treatment)\b",
        r"\b(?:medical|health)\s+(?:conditions?|history|records?|details|diagnos[ie]s)\s+of\s+(?:the|a|an|my|our|"
        r"your|his|her|their|\w+)\b",
        r"\bwhat\s+(?:illness|disease|diagnosis|medical condition|health condition|injuries|injury)\s+(?:did|does|do|"
        r"has|had|have|was|is)\b"]},
)
# A built-in topic's patterns as an earlier release stored them with a twin: loaded as the current release's, so that
# a fixed pattern reaches twins made before the fix ("Are we buying electric vans?" was refused as a merger).
RETIRED_TOPIC_PATTERNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "individual-performance": (_PERFORMANCE_PATTERNS_1, _PERFORMANCE_PATTERNS_2),
    "reorganisation": ((
        r"\bre-?organi[sz]\w*", r"\bre-?orgs?\b", r"\brestructur\w*", r"\borg(?:ani[sz]ation(?:al)?)? (?:chart|"
        r"changes?|design)\b", r"\breporting lines?\b"), _REORGANISATION_PATTERNS_2),
    "m-and-a": ((
        r"\bmerg(?:er|ers|e|es|ed|ing)\b", r"\bacquisitions?\b", r"\bacquir\w* (?:a |an |another |the |any )?"
        r"(?:company|companies|firm|firms|startup|startups|business|businesses|competitor|competitors|rival)\b",
        r"\btake-?overs?\b", r"\bbuy-?outs?\b", r"\bM\s*&\s*A\b", r"\bdivest\w*", r"\bspin-?offs?\b",
        r"\b(?:are|is|were) (?:we|you|they|\w+) (?:\w+ )?(?:acquiring|buying|merging|taking over)\b"), (
        r"\bmerg(?:er|ers|e|es|ed|ing)\b", r"\bacquisitions?\b", r"\bacquir\w* (?:a |an |another |the |any )?"
        r"(?:company|companies|firm|firms|startup|startups|business|businesses|competitor|competitors|rival)\b",
        r"\btake-?overs?\b", r"\bbuy-?outs?\b", r"\bM\s*&\s*A\b", r"\bdivest\w*", r"\bspin-?offs?\b",
        r"\b(?:are|is|were) (?:we|you|they|\w+) (?:\w+ )?(?:acquiring|merging|taking over)\b",
        r"\b(?:are|is|were) (?:we|you|they|\w+) (?:\w+ )?buying (?:(?-i:[A-Z][\w&-]*)|(?:a |an |another |the |any )?"
        r"(?:company|companies|firm|firms|startup|startups|business|businesses|competitor|competitors|rivals?|"
        r"carriers?)\b)"), _M_AND_A_PATTERNS_3),
}
CURATOR_KEYS = frozenset({"no_answer_message", "refusal_message", "refused_topics", "disclaimer", "answer_openers",
                          "signature_phrases", "rehearsal_rubric", "display_name", "pronoun"})
# How answers speak of the executive ("her words"): she, he or they; "they" unless a curator says otherwise.
PRONOUNS = {"she": "her", "he": "his", "they": "their"}
DEFAULT_PRONOUN = "they"
DERIVED_KEYS = frozenset({"style", "style_state"})
# RE2's memory budget for one topic's compiled pattern (its default is 8 MiB).
RE2_MAX_MEM = 4 << 20


@dataclass(frozen=True)
class RefusedTopic:
    """A topic the twin must not speak to, recognised by patterns and keywords (case-insensitive)."""

    name: str
    label: str
    patterns: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    requires_name: bool = False

    def regex(self) -> Any:
        """One case-insensitive RE2 pattern (linear time) for the topic's patterns and keywords."""
        return _topic_regex(self.patterns, self.keywords)

    @property
    def names_people(self) -> bool:
        """Whether the topic is about named people (its patterns look for a name): a question's concern only, since
        any Title Case heading would look like a name."""
        return self.requires_name or any(NAME_PATTERN in p for p in self.patterns)

    def matches(self, question: str) -> bool:
        """Whether a question is about this topic."""
        if not self.regex().search(question):
            return False
        return not self.requires_name or mentions_person(question)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "patterns": list(self.patterns),
                "keywords": list(self.keywords), "requires_name": self.requires_name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RefusedTopic:
        name, patterns = str(data["name"]), tuple(data.get("patterns") or ())
        if patterns in RETIRED_TOPIC_PATTERNS.get(name, ()):
            patterns = next(tuple(t["patterns"]) for t in DEFAULT_TOPICS if t["name"] == name)
        return cls(name=name, label=str(data.get("label") or name), patterns=patterns,
                   keywords=tuple(data.get("keywords") or ()), requires_name=bool(data.get("requires_name", False)))


def _re2_options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = RE2_MAX_MEM
    return options


def compile_topic_pattern(pattern: str) -> Any:
    """A curator's pattern compiled by RE2: linear time in the question; re2.error for look-arounds, back-references."""
    return re2.compile(pattern, _re2_options())


@lru_cache(maxsize=512)
def _topic_regex(patterns: tuple[str, ...], keywords: tuple[str, ...]) -> Any:
    parts = [p for p in patterns if _re2_accepts(p)] + [keyword_pattern(k) for k in keywords]
    return compile_topic_pattern("|".join(f"(?:{p})" for p in parts) or r"[^\x00-\x{10FFFF}]")


def _re2_accepts(pattern: str) -> bool:
    """Whether RE2 compiles a stored pattern (one saved before patterns were checked is skipped, not run slowly)."""
    try:
        compile_topic_pattern(pattern)
    except re2.error:
        return False
    return True


def keyword_pattern(keyword: str) -> str:
    """A regex for a curator's keyword or phrase that also matches its inflections (layoff → laid-off aside)."""
    parts = []
    for word in keyword.split():
        lowered = word.lower()
        if len(lowered) >= 4 and lowered.isalpha():
            base = stem(lowered)
            common = 0
            while common < min(len(base), len(lowered)) and base[common] == lowered[common]:
                common += 1
            parts.append(re.escape(lowered[: max(common, 3)]) + r"\w*")
        else:
            parts.append(re.escape(lowered) + r"(?:s|es)?")
    return r"\b" + r"[\s-]+".join(parts) + r"\b"


def mentions_person(text: str) -> bool:
    """Whether a text seems to name a person (a capitalised name not opening a sentence)."""
    for match in PERSON_NAME_RE.finditer(text.strip()):
        first = re.split(r"[\s'’]", match.group(0))[0].rstrip(".")
        if first not in NOT_NAMES:
            return True
    return False


@dataclass
class PersonaSettings:
    """Everything the composers need to speak as this twin: curator settings over defaults, and the style."""

    name: str
    no_answer_message: str = DEFAULT_NO_ANSWER
    refusal_message: str = DEFAULT_REFUSAL
    refused_topics: list[RefusedTopic] = field(default_factory=lambda: [RefusedTopic.from_dict(t)
                                                                        for t in DEFAULT_TOPICS])
    disclaimer: str = DEFAULT_DISCLAIMER
    pronoun: str = DEFAULT_PRONOUN
    answer_openers: list[str] = field(default_factory=lambda: list(DEFAULT_OPENERS))
    signature_phrases: list[str] = field(default_factory=list)
    # Rehearsal criteria; the rehearsal engine fills in its own defaults when empty.
    rehearsal_rubric: list[dict[str, Any]] = field(default_factory=list)
    style: StyleProfile = field(default_factory=StyleProfile)

    @property
    def disclaimer_text(self) -> str:
        return self.disclaimer.replace("{name}", self.name)

    @property
    def possessive(self) -> str:
        """"her", "his" or "their": whose words an answer stands on."""
        return PRONOUNS.get(self.pronoun, PRONOUNS[DEFAULT_PRONOUN])

    def refusal_for(self, topic: RefusedTopic) -> str:
        return self.refusal_message.replace("{topic}", topic.label)

    def opener_for(self, question: str) -> str:
        """A framing line from the persona, or none (answers should not all open alike); the same for the same
        question."""
        if not self.answer_openers:
            return ""
        # About half the answers open plainly, whatever the number of framing lines.
        options = [*self.answer_openers, *[""] * len(self.answer_openers)]
        return options[zlib.crc32(question.encode("utf-8")) % len(options)]

    def phrases(self, limit: int = 8) -> list[str]:
        """Signature phrasing: the curator's list first, then phrases found in the corpus."""
        found = [p["phrase"] for p in self.style.signature_phrases]
        return list(dict.fromkeys([*self.signature_phrases, *found]))[:limit]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "no_answer_message": self.no_answer_message,
                "refusal_message": self.refusal_message, "refused_topics": [t.to_dict() for t in self.refused_topics],
                "disclaimer": self.disclaimer, "pronoun": self.pronoun, "answer_openers": list(self.answer_openers),
                "signature_phrases": list(self.signature_phrases), "rehearsal_rubric": list(self.rehearsal_rubric),
                "style": self.style.to_dict()}


def persona_settings(twin: Twin) -> PersonaSettings:
    """The twin's persona: what curators stored, over the defaults."""
    stored = dict(twin.persona or {})
    persona = PersonaSettings(name=str(stored.get("display_name") or twin.name))
    for key in ("no_answer_message", "refusal_message", "disclaimer"):
        if stored.get(key):
            setattr(persona, key, str(stored[key]))
    if stored.get("pronoun") in PRONOUNS:
        persona.pronoun = str(stored["pronoun"])
    if "refused_topics" in stored and stored["refused_topics"] is not None:
        persona.refused_topics = [RefusedTopic.from_dict(t) for t in stored["refused_topics"]]
    for key in ("answer_openers", "signature_phrases", "rehearsal_rubric"):
        if stored.get(key) is not None:
            setattr(persona, key, list(stored[key]))
    persona.style = StyleProfile.from_dict(stored.get("style"))
    return persona


def default_persona_dict(name: str) -> dict[str, Any]:
    """The defaults a curator starts from, as stored keys."""
    return {k: v for k, v in PersonaSettings(name=name).to_dict().items() if k in CURATOR_KEYS}


def fresh_persona_settings(session: Session, twin: Twin) -> PersonaSettings:
    """The persona with its style profile rebuilt first if stale (tools and tests; answers only read the persona)."""
    if (twin.persona or {}).get("style_state") != corpus_fingerprint(session, twin):
        refresh_persona(session, twin)
    return persona_settings(twin)
