"""Citations: what an answer stands on, and the checks a model's answer must pass before anyone sees it."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from service.search import PassageHit
from service.twin.guardrails import injection_flags
from textkit.sentences import sentence_spans
from textkit.stems import stem
from textkit.stopwords import CONTENT_STOP_WORDS, word_set
from textkit.words import content_stems, stem_set_with_compounds, words

MARKER_GROUP_RE = re.compile(r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
TRAILING_PUNCT_RE = re.compile(r"[ \t]*[.!?;:,…]+")
SPECIFIC_RE = re.compile(r"[A-Za-z][A-Za-z'’]*|\d[\d,.]*\d|\d")
NUMBER_WORDS = word_set("""
zero two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion trillion
half double triple twice thrice dozen
""")
# Share of a sentence's content words that its cited passages must contain. Measured on tests/twin's memos:
# quotes and light paraphrases score 0.88 to 1.0, invented claims 0.0 to 0.5 (a wrong name or figure scores 0).
SUPPORT_THRESHOLD = 0.6
# Least share of an answer's sentences that must survive the checks before the answer is used at all.
MIN_KEPT_SHARE = 0.5
LEAK_NGRAM = 8
# Links, images and markup a model may add to carry data out or to broadcast (markdown, HTML, Slack, bare URLs).
EXFILTRATION_RE = re.compile(r"!\[|\]\(|https?://|\bwww\.|<\s*[!@#/a-zA-Z]", re.IGNORECASE)


@dataclass
class Citation:
    """One numbered source of an answer: where it is and the exact words relied on."""

    n: int
    source_id: int
    title: str
    date: str | None
    locator: str
    quote: str
    passage_id: int
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "source_id": self.source_id, "title": self.title, "date": self.date,
                "locator": self.locator, "quote": self.quote, "passage_id": self.passage_id,
                "version": self.version}


def citation_for(n: int, hit: PassageHit, quote: str) -> Citation:
    """A citation of a hit under number n with the words relied on."""
    return Citation(n=n, source_id=hit.source_id, title=hit.title,
                    date=hit.date.isoformat() if hit.date else None, locator=hit.locator, quote=quote,
                    passage_id=hit.passage_id, version=hit.source_version)


@dataclass
class CitedSentence:
    """A sentence of an answer, without its markers, and the numbers it cites."""

    text: str
    cites: list[int]
    # True when the sentence had no marker of its own and takes the one that closes its run ("A. B. [1]").
    inherited: bool = False


@dataclass
class CheckResult:
    """The outcome of checking a model's answer against the passages it was given."""

    ok: bool
    reason: str | None
    kept: list[CitedSentence] = field(default_factory=list)
    dropped: list[tuple[CitedSentence, str]] = field(default_factory=list)
    is_no_answer: bool = False
    # The answer must be shown re-rendered from `kept` (sentences dropped or markers added).
    rewritten: bool = False


def split_cited(text: str) -> list[CitedSentence]:
    """An answer cut into sentences, each with the [n] markers that close it (a sentence with none is uncited)."""
    out: list[CitedSentence] = []
    position = 0
    for group in MARKER_GROUP_RE.finditer(text):
        cites = [int(n) for n in re.findall(r"\d+", group.group(0))]
        _add_chunk(text[position:group.start()], cites, out)
        position = group.end()
        trailing = TRAILING_PUNCT_RE.match(text, position)
        if trailing and out:
            out[-1].text += trailing.group(0).strip()  # "… next year [1]." keeps its full stop
            position = trailing.end()
    _add_chunk(text[position:], [], out)
    return out


def _add_chunk(chunk: str, cites: list[int], out: list[CitedSentence]) -> None:
    spans = sentence_spans(chunk)
    if not spans:
        if cites and out:
            out[-1].cites.extend(cites)
        return
    for i, (start, end) in enumerate(spans):
        out.append(CitedSentence(chunk[start:end].strip(), cites if i == len(spans) - 1 else []))


def support(sentence: str, passages: Sequence[str]) -> float:
    """Share of a sentence's content words found in the passages it cites (0 to 1); 0 when it names
    a person, place or figure that they do not (one wrong name or number is the claim)."""
    stems = content_stems(sentence)
    if not stems:
        return 1.0
    found: set[str] = set()
    for text in passages:
        found |= stem_set_with_compounds(text)
    named = specifics(sentence)
    if named:
        every_word = {stem(w) for text in passages for w in words(text)}
        if any(stem(token) not in every_word for token in named):
            return 0.0
    return sum(1 for s in stems if s in found) / len(stems)


def specifics(sentence: str) -> list[str]:
    """Names and figures in a sentence: capitalised words not opening it, and numbers."""
    out = []
    for i, match in enumerate(SPECIFIC_RE.finditer(sentence)):
        token = match.group(0)
        if token.lower() in NUMBER_WORDS:
            out.append(token.lower())
            continue
        if token.lower() in CONTENT_STOP_WORDS:
            continue
        if token[0].isdigit():
            out.extend(re.findall(r"\d+", token))  # "30,000" is indexed as 30 and 000
        elif i > 0 and token[0].isupper() and not _opens_sentence(sentence, match.start()):
            out.append(token.lower())
    return out


def _opens_sentence(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \"'“‘(")
    return not before or before[-1] in ".!?:;—–-"


def leaks_prompt(text: str, system_prompt: str, n: int = LEAK_NGRAM) -> bool:
    """Whether an answer repeats a run of n words of the system prompt."""
    prompt_words = words(system_prompt)
    grams = {tuple(prompt_words[i:i + n]) for i in range(len(prompt_words) - n + 1)}
    answer_words = words(text)
    return any(tuple(answer_words[i:i + n]) in grams for i in range(len(answer_words) - n + 1))


def _injected_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text) if injection_flags(text[a:b])]


def check_answer(text: str, given: dict[int, str], *, system_prompt: str, no_answer_message: str,
                 support_threshold: float = SUPPORT_THRESHOLD, min_kept_share: float = MIN_KEPT_SHARE,
                 private_markers: Sequence[str] = ()) -> CheckResult:
    """Check a model's answer: known citations, every sentence cited and supported, nothing leaked or obeyed."""
    plain = html.unescape(text).strip()
    if not plain:
        return CheckResult(False, "empty")
    if _same_words(plain, no_answer_message):
        return CheckResult(True, None, is_no_answer=True)
    rules = "\n".join(line for line in system_prompt.splitlines() if no_answer_message not in line)
    if leaks_prompt(plain, rules) or any(m and m in plain for m in private_markers):
        return CheckResult(False, "leaked_instructions")
    if injection_flags(plain):
        return CheckResult(False, "injection_echo")
    if EXFILTRATION_RE.search(plain):
        return CheckResult(False, "link")
    sentences = split_cited(plain)
    if not sentences:
        return CheckResult(False, "empty")
    _inherit_markers(sentences)
    unknown = sorted({n for s in sentences for n in s.cites if n not in given})
    if unknown:
        return CheckResult(False, "unknown_citation")
    injected = {n: _injected_sentences(body) for n, body in given.items()}
    kept: list[CitedSentence] = []
    dropped: list[tuple[CitedSentence, str]] = []
    for sentence in sentences:
        if not sentence.cites:
            if content_stems(sentence.text):
                return CheckResult(False, "uncited", dropped=[(sentence, "uncited")])
            continue  # a bare connective such as "Look." carries no claim
        cited = [given[n] for n in dict.fromkeys(sentence.cites)]
        planted = [s for n in dict.fromkeys(sentence.cites) for s in injected[n]]
        if planted and support(sentence.text, planted) >= support_threshold:
            return CheckResult(False, "injection_echo", dropped=[(sentence, "injection_echo")])
        if support(sentence.text, cited) < support_threshold:
            dropped.append((sentence, "unsupported"))
        else:
            kept.append(sentence)
    if not kept or len(kept) < min_kept_share * (len(kept) + len(dropped)):
        return CheckResult(False, "unsupported", kept=kept, dropped=dropped)
    return CheckResult(True, None, kept=kept, dropped=dropped,
                       rewritten=bool(dropped) or any(s.inherited for s in kept))


def _inherit_markers(sentences: list[CitedSentence]) -> None:
    """Sentences without a marker take the next one: "A. B. [1]" cites [1] for both, and both are checked."""
    following: list[int] = []
    for sentence in reversed(sentences):
        if sentence.cites:
            following = sentence.cites
        elif following and content_stems(sentence.text):
            sentence.cites, sentence.inherited = list(following), True


def _same_words(a: str, b: str) -> bool:
    wa, wb = words(a), words(b)
    return bool(wa) and (wa == wb or (len(wa) >= 4 and " ".join(wb).startswith(" ".join(wa))))


def render(sentences: Sequence[CitedSentence], renumber: dict[int, int]) -> str:
    """Sentences back into answer text with their (renumbered) markers."""
    parts = []
    for s in sentences:
        marks = "".join(f"[{renumber[n]}]" for n in dict.fromkeys(s.cites) if n in renumber)
        parts.append(f"{s.text} {marks}".rstrip())
    return " ".join(parts)
