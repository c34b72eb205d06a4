"""The persona: settings a curator owns, with defaults, and a style profile derived from the approved corpus."""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import re2
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.models import Passage, Source, Twin
from service.errors import BadInput
from service.twin.background import floor_frequency, word_frequency
from service.twin.text import STOPWORDS, sentences, stem, word_set, words

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
        r"\bre-?organi[sz]\w*", r"\bre-?orgs?\b", r"\brestructur\w*", r"\borg(?:ani[sz]ation(?:al)?)? (?:chart|"
        r"changes?|design)\b", r"\breporting lines?\b"]},
    {"name": "m-and-a", "label": "mergers and acquisitions", "patterns": [
        r"\bmerg(?:er|ers|e|es|ed|ing)\b", r"\bacquisitions?\b", r"\bacquir\w* (?:a |an |another |the |any )?"
        r"(?:company|companies|firm|firms|startup|startups|business|businesses|competitor|competitors|rival)\b",
        r"\btake-?overs?\b", r"\bbuy-?outs?\b", r"\bM\s*&\s*A\b", r"\bdivest\w*", r"\bspin-?offs?\b",
        r"\b(?:are|is|were) (?:we|you|they|\w+) (?:\w+ )?(?:acquiring|buying|merging|taking over)\b"]},
    {"name": "legal", "label": "legal matters", "patterns": [
        r"\blawsuits?\b", r"\blitigat\w*", r"\bsu(?:e|es|ed|ing)\b", r"\blegal (?:action|matter|case|dispute|"
        r"proceeding|issue|exposure|risk)s?\b", r"\bsubpoena\w*", r"\bindict\w*", r"\bcourt cases?\b",
        r"\b(?:regulatory|SEC|DOJ|FTC) (?:investigation|probe|inquiry)\w*", r"\bsettle(?:ment)?s? (?:with|of) "
        r"(?:the )?(?:lawsuit|case|claim|plaintiff)s?\b", r"\bplaintiffs?\b", r"\bwhistle-?blow\w*"]},
    {"name": "individual-performance", "label": "named individuals' performance", "patterns": [
        rf"\b(?:is|are|was|has|have|how's)\s+{_NAME}\s+(?:been\s+)?(?:perform|underperform|doing|deliver|cop)\w*",
        rf"{_NAME}['’]s\s+(?:performance|work|output|results|review|rating|track record|competence)\b",
        rf"\b(?:performance|review|rating|competence)s?\s+(?:of|for)\s+{_NAME}",
        rf"\b(?:fire|fired|firing|promote|promoted|promoting|demote|demoted|sack|sacked|replace|replacing)\s+{_NAME}",
        rf"{_NAME}\s+(?:be|get|getting|been|being)\s+(?:fired|promoted|demoted|let go|sacked|replaced|put on)",
        rf"\b(?:is|was)\s+{_NAME}\s+(?:a\s+)?(?:good|bad|weak|strong|poor|great|competent|incompetent)\b"]},
)
CURATOR_KEYS = frozenset({"no_answer_message", "refusal_message", "refused_topics", "disclaimer", "answer_openers",
                          "signature_phrases", "rehearsal_rubric", "display_name", "pronoun"})
# How answers speak of the executive ("her words"): she, he or they; "they" unless a curator says otherwise.
PRONOUNS = {"she": "her", "he": "his", "they": "their"}
DEFAULT_PRONOUN = "they"
DERIVED_KEYS = frozenset({"style", "style_state"})
MAX_MESSAGE_CHARS = 1000
# Caps on what a curator's refused topics may cost: with RE2 (linear time, no backtracking) a question of at most
# MAX_QUESTION_CHARS characters costs at most topics x patterns x its length, whatever the patterns say.
MAX_TOPICS = 50
MAX_TOPIC_PATTERNS = 40
MAX_PATTERN_CHARS = 300
# RE2's memory budget for one topic's compiled pattern (its default is 8 MiB).
RE2_MAX_MEM = 4 << 20
PHRASE_BAD_STARTS = word_set("the and of to in at on for by with from that a an or as")
PHRASE_BAD_ENDS = word_set("""
the a an of to in and or but for with on at by from that is are was were be been have has had will would can
could should our my your their his her its this these those as if than which who whom i we they he she it
""")
ASIDE_RE = re.compile(r"\((?:[A-Z][a-z]*\.?\s?){1,3}\)|\[(?:[A-Z][a-z]*\.?\s?){1,3}\]")


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
        return cls(name=str(data["name"]), label=str(data.get("label") or data["name"]),
                   patterns=tuple(data.get("patterns") or ()), keywords=tuple(data.get("keywords") or ()),
                   requires_name=bool(data.get("requires_name", False)))


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
class StyleProfile:
    """How the executive writes and speaks, derived from the approved corpus."""

    documents: int = 0
    sentences: int = 0
    words: int = 0
    sentence_length: dict[str, float] = field(default_factory=dict)
    openings: list[dict[str, Any]] = field(default_factory=list)
    closings: list[dict[str, Any]] = field(default_factory=list)
    signature_phrases: list[dict[str, Any]] = field(default_factory=list)
    favoured_words: list[dict[str, Any]] = field(default_factory=list)
    themes: list[dict[str, Any]] = field(default_factory=list)
    voice: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> StyleProfile:
        data = data or {}
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


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
        options = [*self.answer_openers, ""]
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


def validate_persona_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise a curator's persona edit; BadInput says what is wrong."""
    if not isinstance(changes, dict) or not changes:
        raise BadInput("persona changes must be a non-empty object")
    derived = sorted(set(changes) & DERIVED_KEYS)
    if derived:
        raise BadInput(f"{', '.join(derived)} is derived from the corpus; refresh the persona instead of editing it")
    unknown = sorted(set(changes) - CURATOR_KEYS)
    if unknown:
        raise BadInput(f"unknown persona settings: {', '.join(unknown)}; "
                       f"editable are {', '.join(sorted(CURATOR_KEYS))}")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("no_answer_message", "refusal_message", "disclaimer", "display_name"):
            clean[key] = _message(key, value)
        elif key == "pronoun":
            if value not in PRONOUNS:
                raise BadInput(f"pronoun must be one of {', '.join(PRONOUNS)}")
            clean[key] = value
        elif key == "refused_topics":
            clean[key] = _topics(value)
        elif key in ("answer_openers", "signature_phrases"):
            clean[key] = _strings(key, value, limit=50, max_chars=200)
        elif key == "rehearsal_rubric":
            clean[key] = _rubric(value)
    return clean


def _message(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"{key} must be non-empty text")
    text = " ".join(value.split())
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadInput(f"{key} must be at most {MAX_MESSAGE_CHARS} characters")
    if key == "disclaimer" and "{name}" not in text and "not " not in text.lower():
        raise BadInput("the disclaimer must say the twin is not the executive (use {name} for their name)")
    return text


def _strings(key: str, value: Any, *, limit: int, max_chars: int) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"{key} must be a list of text")
    items = [" ".join(v.split()) for v in value if v.strip()]
    if len(items) > limit or any(len(v) > max_chars for v in items):
        raise BadInput(f"{key}: at most {limit} items of at most {max_chars} characters")
    return items


def _topics(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise BadInput("refused_topics must be a list of topics")
    if len(value) > MAX_TOPICS:
        raise BadInput(f"at most {MAX_TOPICS} refused topics")
    topics: list[dict[str, Any]] = []
    names: set[str] = set()
    for item in value:
        if isinstance(item, str):
            item = {"name": item, "keywords": [item]}
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            raise BadInput("each refused topic needs a name")
        name = str(item["name"]).strip()
        if name in names:
            raise BadInput(f"refused topic {name!r} appears twice")
        names.add(name)
        patterns = item.get("patterns") or []
        keywords = item.get("keywords") or []
        if not isinstance(patterns, list) or not isinstance(keywords, list):
            raise BadInput(f"refused topic {name!r}: patterns and keywords must be lists")
        if not patterns and not keywords:
            raise BadInput(f"refused topic {name!r} needs keywords or patterns to recognise it")
        if len(patterns) + len(keywords) > MAX_TOPIC_PATTERNS:
            raise BadInput(f"refused topic {name!r}: at most {MAX_TOPIC_PATTERNS} patterns and keywords")
        for pattern in patterns:
            if len(str(pattern)) > MAX_PATTERN_CHARS:
                raise BadInput(f"refused topic {name!r}: a pattern may be at most {MAX_PATTERN_CHARS} characters")
            try:
                compiled = compile_topic_pattern(str(pattern))
            except re2.error:
                raise BadInput(f"refused topic {name!r}: pattern {pattern!r} is not a valid regex here (RE2 syntax: "
                               "no look-arounds or back-references)") from None
            if compiled.search(""):
                raise BadInput(f"refused topic {name!r}: pattern {pattern!r} matches everything")
        keywords = [" ".join(str(k).split()) for k in keywords if str(k).strip()]
        if any(len(k) > MAX_PATTERN_CHARS for k in keywords):
            raise BadInput(f"refused topic {name!r}: a keyword may be at most {MAX_PATTERN_CHARS} characters")
        topics.append(RefusedTopic(name=name, label=str(item.get("label") or name).strip(),
                                   patterns=tuple(str(p) for p in patterns), keywords=tuple(keywords),
                                   requires_name=bool(item.get("requires_name", False))).to_dict())
    return topics


def _rubric(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list) and value:
        # The rehearsal engine owns what a criterion means (labels, weights, targets).
        from service.rehearsal.rubric import validate_rubric

        return validate_rubric(value)
    if not isinstance(value, list):
        raise BadInput("rehearsal_rubric must be a list of criteria")
    out = []
    for item in value:
        if isinstance(item, str):
            item = {"criterion": item}
        if not isinstance(item, dict) or not str(item.get("criterion", "")).strip():
            raise BadInput("each rubric item needs a criterion")
        weight = item.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or weight < 0:
            raise BadInput("a rubric weight must be a non-negative number")
        out.append({**item, "criterion": str(item["criterion"]).strip(), "weight": float(weight)})
    return out


# --- the derived style profile ---------------------------------------------------------------------

def build_style_profile(documents: Iterable[Sequence[str] | str]) -> StyleProfile:
    """Derive the executive's style from their own words: one item per document or turn (passages in order)."""
    docs = [[d] if isinstance(d, str) else [p for p in d if p.strip()] for d in documents]
    docs = [d for d in docs if d]
    profile = StyleProfile(documents=len(docs))
    if not docs:
        return profile
    doc_sentences = [[s for text in doc for s in sentences(_without_asides(text)) if words(s)] for doc in docs]
    lengths = [len(words(s)) for sents in doc_sentences for s in sents if words(s)]
    profile.sentences = len(lengths)
    profile.words = sum(lengths)
    if lengths:
        ordered = sorted(lengths)
        profile.sentence_length = {"mean": round(statistics.fmean(lengths), 1),
                                   "median": float(statistics.median(lengths)),
                                   "p90": float(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))])}
    profile.openings = _common_sentences([s[0] for s in doc_sentences if s])
    profile.closings = _common_sentences([s[-1] for s in doc_sentences if s])
    profile.signature_phrases = _signature_phrases(doc_sentences)
    passages = [text for doc in docs for text in doc]
    profile.favoured_words = _favoured_words(passages)
    profile.themes = _themes(passages, profile.favoured_words)
    profile.voice = _voice_profile(["\n".join(doc) for doc in docs])
    return profile


def _without_asides(text: str) -> str:
    """Text without bracketed stage directions such as (Applause.) or [Laughter]."""
    return ASIDE_RE.sub(" ", text)


def _normal(sentence: str) -> str:
    return " ".join(words(sentence))


def _common_sentences(candidates: list[str], limit: int = 5) -> list[dict[str, Any]]:
    """Sentences (or their first words) that several documents share."""
    whole: Counter[str] = Counter()
    heads: Counter[str] = Counter()
    example: dict[str, str] = {}
    for sentence in candidates:
        key = _normal(sentence)
        if not key:
            continue
        whole[key] += 1
        example.setdefault(key, " ".join(sentence.split()))
        head = " ".join(key.split()[:3])
        heads[head] += 1
        example.setdefault("head:" + head, " ".join(sentence.split()[:3]) + " …")
    found: list[tuple[str, int]] = [(example[k], c) for k, c in whole.most_common() if c >= 2]
    covered = {_normal(text) for text, _ in found}
    found += [(example["head:" + h], c) for h, c in heads.most_common()
              if c >= 2 and not any(x.startswith(h) for x in covered)]
    found.sort(key=lambda f: -f[1])
    return [{"text": text, "count": count} for text, count in found[:limit]]


def _signature_phrases(doc_sentences: list[list[str]], limit: int = 15) -> list[dict[str, Any]]:
    """Recurring 3-5-word phrases that appear in several sources and are not just function words."""
    in_docs: Counter[tuple[str, ...]] = Counter()
    total: Counter[tuple[str, ...]] = Counter()
    for sents in doc_sentences:
        seen: set[tuple[str, ...]] = set()
        for sentence in sents:
            toks = words(sentence)
            content_before = [0]
            for t in toks:
                content_before.append(content_before[-1] + (t not in STOPWORDS))
            for n in (3, 4, 5):
                for i in range(len(toks) - n + 1):
                    if (toks[i] in PHRASE_BAD_STARTS or toks[i + n - 1] in PHRASE_BAD_ENDS
                            or content_before[i + n] == content_before[i]):
                        continue
                    gram = tuple(toks[i:i + n])
                    total[gram] += 1
                    seen.add(gram)
        in_docs.update(seen)
    floor = max(2, math.ceil(len(doc_sentences) * 0.05)) if len(doc_sentences) > 2 else 2
    candidates = [(g, d) for g, d in in_docs.items() if d >= floor]
    candidates.sort(key=lambda gd: (-(gd[1] * (1 + 0.5 * (len(gd[0]) - 3))), gd[0]))
    chosen: list[dict[str, Any]] = []
    for gram, docs in candidates:
        phrase = " ".join(gram)
        if any(phrase in c["phrase"] or c["phrase"] in phrase for c in chosen):
            continue
        chosen.append({"phrase": phrase, "sources": docs, "count": total[gram]})
        if len(chosen) >= limit:
            break
    return chosen


def _favoured_words(passages: list[str], limit: int = 40) -> list[dict[str, Any]]:
    """Words the executive uses far more than ordinary English does: log-odds z-scores against the background."""
    counts: Counter[str] = Counter()
    n = 0
    for text in passages:
        toks = words(_without_asides(text))
        n += len(toks)
        counts.update(w for w in toks if w not in STOPWORDS and w.isalpha() and len(w) > 2)
    if not n:
        return []
    prior, floor = 0.5, floor_frequency()
    background_size = 1_000_000.0
    scored = []
    for word, count in counts.items():
        if count < 3:
            continue
        expected = (word_frequency(word) or floor) * background_size
        log_odds = (math.log((count + prior) / (n - count + prior))
                    - math.log((expected + prior) / (background_size - expected + prior)))
        z = log_odds / math.sqrt(1 / (count + prior) + 1 / (expected + prior))
        scored.append((z, word, count))
    scored.sort(reverse=True)
    return [{"word": w, "score": round(z, 2), "count": c} for z, w, c in scored[:limit] if z > 0]


def _themes(passages: list[str], favoured: list[dict[str, Any]], limit: int = 8) -> list[dict[str, Any]]:
    """Recurring priorities: distinctive words and two-word phrases, loosely clustered by where they co-occur."""
    phrase_counts: Counter[str] = Counter()
    for text in passages:
        toks = words(_without_asides(text))
        phrase_counts.update(f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)
                             if a not in STOPWORDS and b not in STOPWORDS and a.isalpha() and b.isalpha()
                             and len(a) > 2 and len(b) > 2)
    distinctive = [f["word"] for f in favoured if not word_frequency(f["word"])]
    floor = max(3, len(passages) // 200)
    phrases = [p for p, c in phrase_counts.most_common(40) if c >= floor]
    terms = list(dict.fromkeys(phrases[:15] + distinctive[:25]))
    where: dict[str, set[int]] = defaultdict(set)
    for i, text in enumerate(passages):
        lowered = " ".join(words(text))
        for term in terms:
            if f" {term} " in f" {lowered} ":
                where[term].add(i)
    terms.sort(key=lambda t: -len(where.get(t, ())))
    clusters: list[list[str]] = []
    for term in terms:
        spots = where.get(term, set())
        if len(spots) < 2:
            continue
        best, best_share = None, 0.0
        for cluster in clusters:
            seed = set().union(*(where[t] for t in cluster))
            share = len(spots & seed) / len(spots)
            if share > best_share:
                best, best_share = cluster, share
        if best is not None and best_share >= 0.3 and len(best) < 6:
            best.append(term)
        elif len(clusters) < limit:
            clusters.append([term])
    sized = sorted(((len(set().union(*(where[t] for t in c))), c) for c in clusters), key=lambda x: -x[0])
    return [{"label": " / ".join(c[:3]), "terms": c, "passages": n} for n, c in sized]


def _voice_profile(texts: list[str]) -> dict[str, Any] | None:
    """The function-word profile from voice.py, when it is available."""
    try:
        from service.twin.voice import build_voice_profile
    except ImportError:
        return None
    joined = [t for t in texts if t.strip()]
    try:
        return dict(build_voice_profile(joined).to_dict()) if joined else None
    except ValueError:
        return None


# The style profile is rebuilt in the background after an approval (service/twin/profile_jobs.py): it reads the
# newest sources up to this many passages, about a second at most (a 200,000-passage corpus whole took two minutes).
STYLE_SAMPLE_PASSAGES = 2000
# The profile shapes every viewer's answers and the model's prompt, so only sources every viewer may see feed it.
PROFILE_AUDIENCE = "everyone"


def executive_documents(session: Session, twin: Twin, *,
                        limit: int = STYLE_SAMPLE_PASSAGES) -> list[list[str]]:
    """The executive's own approved, current passages of the newest sources (up to `limit` passages), grouped by
    source in reading order."""
    rows = session.execute(
        select(Passage.source_id, Passage.text)
        .join(Source, Source.id == Passage.source_id)
        .where(Source.twin_id == twin.id, Source.status == "approved", Source.superseded_by_id.is_(None),
               Source.audience == PROFILE_AUDIENCE, Passage.executive.is_(True))
        .order_by(Source.date.desc().nulls_last(), Source.id.desc(), Passage.ordinal)
        .limit(limit)
    )
    grouped: dict[int, list[str]] = defaultdict(list)
    for source_id, text in rows:
        grouped[source_id].append(text)
    return [grouped[source_id] for source_id in sorted(grouped)]


def refresh_persona(session: Session, twin: Twin, *, actor: str | None = None) -> StyleProfile:
    """Recompute the style profile from the approved corpus and store it (no audit event: the system's, not a person's)."""
    state = corpus_fingerprint(session, twin)
    profile = build_style_profile(executive_documents(session, twin))
    store.save_style_profile(session, twin.id, profile.to_dict(), state)
    return profile


def corpus_fingerprint(session: Session, twin: Twin) -> str:
    """What the style profile depends on: the twin's approved, current sources (one indexed aggregate)."""
    row = session.execute(
        select(func.count(), func.max(Source.id), func.max(Source.approved_at), func.max(Source.retired_at))
        .where(Source.twin_id == twin.id, Source.status == "approved", Source.superseded_by_id.is_(None))
    ).one()
    return f"{row[0]}:{row[1]}:{_instant(row[2])}:{_instant(row[3])}"


def _instant(value: Any) -> str:
    """A time as the same text whichever way the database driver returns it (aware or naive UTC, or a string)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    return "None" if value is None else str(value).replace("T", " ").removesuffix("+00:00")


def fresh_persona_settings(session: Session, twin: Twin) -> PersonaSettings:
    """The persona with its style profile rebuilt first if stale (tools and tests; answers only read the persona)."""
    if (twin.persona or {}).get("style_state") != corpus_fingerprint(session, twin):
        refresh_persona(session, twin)
    return persona_settings(twin)
