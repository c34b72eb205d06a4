"""A pitch in, its plain text and an analysis out: sentences, length, speaking time, the ask, numbers, risks."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from service.config import Settings
from service.errors import BadInput
from service.twin.text import STOPWORDS, sentences, stem, words

PITCH_SUFFIXES = (".docx", ".pdf", ".md", ".markdown", ".txt")
WORDS_PER_MINUTE = 150
# Sentences longer than this are hard to follow when spoken.
LONG_SENTENCE_WORDS = 30

ASK_STRONG = re.compile(
    r"\b(?:(?:we|i)(?:'re|'m| are| am)? (?:asking|requesting|seeking)\b|(?:our|my|the|this) (?:ask|request)\b|"
    r"(?:we|i) (?:ask|request|recommend|propose) (?:that|you|for|to|the|a|an)\b|"
    r"(?:we|i) (?:need|want|would like|'d like) (?:you|your|the board|the (?:exec|leadership) team) to\b|"
    r"(?:please|can you|could you|will you) (?:approve|fund|sign|back|support|endorse|decide)\b)", re.IGNORECASE)
ASK_WEAK = re.compile(
    r"\b(?:approv\w*|sign[- ]?off|green[- ]light|go-ahead|funding|budget of|headcount|investment of|"
    r"decision|decide|commit(?:ment)?|(?:we|i) (?:need|want|would like|'d like)\b)", re.IGNORECASE)
NUMBER_RE = re.compile(
    r"(?<![\w.])(?:[$€£¥]\s?)?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|per cent|pts|points|k|m|bn|million|billion|"
    r"thousand|x|hours?|days?|weeks?|months?|years?|minutes?))?(?![\w])", re.IGNORECASE)
SPELLED_NUMBER_RE = re.compile(
    r"\b(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|a|half a) "
    r"(?:hundred|thousand|million|billion)|(?:ten|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety) percent|"
    r"(?:half|a third|a quarter|double|triple|twice))\b", re.IGNORECASE)
RISK_RE = re.compile(
    r"\b(?:risks?|risky|downsides?|danger\w*|threats?|exposure|worst case|what could go wrong|could fail|"
    r"might fail|fails?|failure|uncertain\w*|assumptions?|depends on|dependenc\w*|challenges?|concerns?|"
    r"worr(?:y|ies|ied)|pitfalls?|trade-?offs?|if (?:it|this|that|we) (?:doesn't|does not|don't|fails?))\b",
    re.IGNORECASE)
MITIGATION_RE = re.compile(
    r"\b(?:mitigat\w*|contingenc\w*|fall ?back|plan b|hedg\w*|safeguards?|pilot\w*|phased?|phasing|roll ?back|"
    r"stop[- ]loss|exit criteria|kill criteria|checkpoints?|stage gates?|monitor\w*|capped|cap it|insur\w*|backups?|"
    r"guard(?:rail)?s?|limit the|reversible|walk away|if (?:it|this|that|we) .{0,40}\b(?:we will|we'll|we stop|"
    r"we pull))\b", re.IGNORECASE)
IMPACT_RE = re.compile(
    r"\b(?:customers?|clients?|users?|shippers?|patients?|members?|buyers?|revenue|margins?|costs?|savings?|"
    r"save|profit\w*|churn|retention|growth|grow|market share|on-time|satisfaction|nps|efficien\w*|"
    r"productiv\w*|safety|payback|roi|return on|cash|sales|win rate|loyalty|complaints?|service levels?)\b",
    re.IGNORECASE)
EVIDENCE_RE = re.compile(
    r"\b(?:data|pilot\w*|trials?|tested|test results?|measured|survey\w*|results?|showed|shows|found|"
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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("text")
        data.pop("stems")
        data["sentences"] = len(self.sentences)
        return data


def read_pitch(settings: Settings, *, pitch_text: str | None = None, file_bytes: bytes | None = None,
               filename: str | None = None) -> tuple[str, str | None]:
    """The pitch's plain text (and file name): pasted text, or an upload parsed as ingestion parses files."""
    if pitch_text is not None and file_bytes is not None:
        raise BadInput("give the pitch as text or as a file, not both")
    if file_bytes is None:
        text = (pitch_text or "").replace("\r\n", "\n").strip()
        if not words(text):
            raise BadInput("the pitch is empty: paste its text or upload a .docx, .pdf, .md or .txt file")
        return text, None
    name = PurePath(filename or "").name
    if not name:
        raise BadInput("an uploaded pitch needs its file name")
    if not name.lower().endswith(PITCH_SUFFIXES):
        raise BadInput(f"{name}: a pitch must be a .docx, .pdf, .md or .txt file")
    from ingestion.model import IngestError, Limits
    from ingestion.pipeline import parse_bytes

    limits = Limits(max_bytes=int(float(settings.max_file_mb) * 1024 * 1024),
                    pdf_timeout_s=float(settings.pdf_timeout), pdf_memory_mb=int(settings.pdf_memory_mb))
    try:
        doc = parse_bytes(file_bytes, name, kind="memo", limits=limits)
    except IngestError as exc:
        raise BadInput(f"{name}: {exc.message}") from exc
    parts: list[str] = []
    for passage in doc.passages:
        if passage.heading and passage.heading not in parts:
            parts.append(passage.heading)
        parts.append(passage.text)
    text = "\n\n".join(p.strip() for p in parts if p.strip())
    if not words(text):
        raise BadInput(f"{name} holds no text to rehearse")
    return text, name


def check_pitch_length(text: str, max_words: int) -> None:
    """Refuse a pitch too long to rehearse (a whole report is not a pitch)."""
    count = len(words(text))
    if count > max_words:
        raise BadInput(f"the pitch is {count} words; rehearse at most {max_words} "
                       f"(about {max_words // WORDS_PER_MINUTE} minutes spoken)")


def pitch_stems(text: str) -> Counter[str]:
    """Content-word stems of a text with their counts."""
    return Counter(stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1 and not w.isdigit())


def analyse_pitch(text: str, words_per_minute: float = WORDS_PER_MINUTE) -> PitchAnalysis:
    """Everything the scorecard and the rounds look at in a pitch."""
    sents = [" ".join(s.split()) for s in sentences(text) if words(s)]
    lengths = [len(words(s)) for s in sents]
    total = len(words(text))
    ask, strength = find_ask(sents)
    numbers = list(dict.fromkeys(m.group(0).strip() for m in NUMBER_RE.finditer(text)
                                 if not _is_list_marker(text, m.start())))
    numbers += [m.group(0) for m in SPELLED_NUMBER_RE.finditer(text) if m.group(0) not in numbers]
    jargon = sorted({w for w in words(text) if w in JARGON}
                    | {a for a in ACRONYM_RE.findall(text) if a.rstrip("s") not in COMMON_ACRONYMS})
    return PitchAnalysis(
        text=text, sentences=sents, words=total, speaking_minutes=round(total / words_per_minute, 1),
        numbers=numbers, ask=ask, ask_strength=strength,
        risk_sentences=[s for s in sents if RISK_RE.search(s)],
        mitigation_sentences=[s for s in sents if MITIGATION_RE.search(s)],
        impact_sentences=[s for s in sents if IMPACT_RE.search(s)],
        evidence_sentences=[s for s in sents if EVIDENCE_RE.search(s) or _has_number(s)],
        mean_sentence_words=round(sum(lengths) / len(lengths), 1) if lengths else 0.0,
        long_sentences=[s for s, n in zip(sents, lengths, strict=True) if n > LONG_SENTENCE_WORDS],
        passive_sentences=[s for s in sents if PASSIVE_RE.search(s)],
        jargon=jargon, stems=pitch_stems(text),
    )


def find_ask(sents: list[str]) -> tuple[str | None, int]:
    """The sentence that states the ask, and how clearly: 0 none, 1 implied, 2 explicit, 3 explicit and concrete."""
    best: tuple[int, int, str] | None = None
    for i, sentence in enumerate(sents):
        if ASK_STRONG.search(sentence):
            strength = 2
        elif ASK_WEAK.search(sentence):
            strength = 1
        else:
            continue
        if strength == 2 and _has_number(sentence):
            strength = 3
        # Prefer the clearest ask; among equals, the later one (pitches usually close on the ask).
        if best is None or (strength, i) >= (best[0], best[1]):
            best = (strength, i, sentence)
    return (best[2], best[0]) if best else (None, 0)


def _has_number(sentence: str) -> bool:
    return bool(NUMBER_RE.search(sentence) or SPELLED_NUMBER_RE.search(sentence))


def _is_list_marker(text: str, start: int) -> bool:
    """Whether a number at `start` only numbers a list item ("1. ", "2) ")."""
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip() and bool(re.match(r"\d{1,2}[.)]\s", text[start:start + 4]))
