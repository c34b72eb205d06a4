"""The objection bank: the executive's own questions in transcripts and the concerns they repeat, mined from the
approved corpus, cached per twin and corpus state, and filtered by the viewer's audiences at every use."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.corpus.access import Viewer
from service.corpus.models import Passage, Source, Twin
from service.rehearsal.labels import stance_label
from service.rehearsal.stances import Stance, stances_in
from service.search import PassageHit
from textkit.sentences import is_table_row, sentence_spans
from textkit.stems import stem
from textkit.stopwords import CONTENT_STOP_WORDS
from textkit.words import words

QUESTION, CONCERN = "question", "concern"
MIN_QUESTION_WORDS = 4
MIN_QUESTION_CONTENT = 2
MIN_CONCERN_WORDS = 6
MAX_SENTENCE_WORDS = 70
# Other speakers' words before a question (what the executive was reacting to): used for ranking, never quoted.
PROMPT_TURNS = 2
PROMPT_WORDS = 120
CACHE_TWINS = 16

_LEAD = r"^(?:(?:so|and|okay|ok|now|well|then|but|alright|right|look|listen|um|uh)[,.]?\s+)*"
IMPERATIVE_ASK_RE = re.compile(
    _LEAD + r"(?:walk me through|talk me through|take me through|run me through|tell me|show me|"
    r"help me understand|explain|give me|convince me|remind me|make the case|spell out|"
    r"i(?:'d| would)? (?:want|like|need) to (?:know|understand|see|hear)|what i (?:want|need) to (?:know|see|hear))\b",
    re.IGNORECASE)
CONCERN_RE = re.compile(
    r"\b(?:what (?:worries|concerns|bothers|scares|keeps) me|i(?:'m| am) (?:worried|concerned|not convinced|"
    r"skeptical|sceptical|wary)|i worry|my (?:worry|concern|question|test|fear|rule|first question)|"
    r"the (?:first )?question (?:i|we) (?:ask|always ask|will ask|keep asking)|i (?:always |will |'ll )?ask\b|"
    r"i (?:need|want|expect|have|would like) to see|show me|don't (?:bring|show|send|give) me|"
    r"before (?:i|we) (?:approve|sign|fund|say yes|commit)|the (?:risk|danger|trap|mistake) (?:is|was|here)|"
    r"we (?:can't|cannot|can not|won't|will not|must not|mustn't|don't|do not|never|must|have to|need to)\b|"
    r"non-negotiable|the (?:bar|test) is|if you can't (?:tell|show|explain|answer))", re.IGNORECASE)
NEGATION_RE = re.compile(r"\b(?:can't|cannot|can not|won't|will not|must not|mustn't|don't|do not|never|no more|"
                         r"not going to|stop|refuse)\b", re.IGNORECASE)
_CLOSERS = "\"'”’)]» "
# A question put to someone else in the room by name: "Ray, can you…", "…in that, Ray?".
VOCATIVE_RE = re.compile(_LEAD + r"(?P<name>[A-Z][a-z]+(?: [A-Z][a-z]+)?),\s+\S")
TRAILING_NAME_RE = re.compile(r",\s*(?P<name>[A-Z][a-z]+)\s*[?.!]?[\"'”’)]*$")
# A request for something to be done, at the start of a clause ("Ray, can you get the order in…", "here's my ask of
# you: would you join the panel…"): it asks for an errand, not about the pitch.
REQUEST_RE = re.compile(
    r"^(?:(?:so|and|then|now|okay|ok|well)[,]?\s+)*i(?:'d| would) (?:like|want) to hear from\b|"
    r"(?:^|[,;:]\s*)(?:(?:so|and|then|now|okay|ok|well)[,]?\s+)*"
    r"(?:can|could|would|will) (?:you|we|someone|somebody)(?: also| please| both)?\s+(?!tell|walk|talk|take (?:me|us)|"
    r"show|explain|help (?:me|us)|give (?:me|us)|say|describe|think|see|imagine|live|accept|defend|justify|"
    r"guarantee|prove|stand|be (?:sure|confident|certain))\w+", re.IGNORECASE)
# Words that tie a question to its own meeting: "this week", "fix that?", "the number behind that?".
MEETING_BOUND_RE = re.compile(
    r"\b(?:this (?:week|morning|afternoon|evening)|today|tonight|tomorrow|right now|for the record|thank you|thanks|"
    r"(?:that|those)(?=\s*[?,.!;]|\s+(?:not|to|in|for|with|on|is|was|were)\b)|(?:that|this) one\b|you just said|"
    r"as i said|did i miss)", re.IGNORECASE)
# A question that leans on what was just said ("Is that right, or…?") or opens on a bare fragment of the talk before
# it ("Permanent, from when, and approved by whom?").
ANAPHORIC_RE = re.compile(
    _LEAD + r"(?:is|was|are|were|isn't|wasn't|does|did|would|will|can|could) (?:that|this|it|they) (?:really )?"
    r"(?:right|true|correct|fair|so|real|the case|enough|realistic|accurate)\b", re.IGNORECASE)
FRAGMENT_RE = re.compile(_LEAD + r"(?P<word>[A-Za-z][\w-]*),\s+\S", re.IGNORECASE)
_NOT_FRAGMENTS = frozenset({"what", "why", "how", "who", "whom", "whose", "when", "where", "which", "honestly",
                            "sorry", "fine", "good", "great", "first", "second", "finally", "also", "again",
                            "seriously", "really", "yes", "no", "sure", "please", "okay", "ok", "so", "and", "now",
                            "well", "then", "but", "alright", "right", "look", "listen", "um", "uh",
                            "otherwise", "meanwhile", "frankly", "simply", "basically", "overall", "together"})
# Something only that meeting had before it: its plan's parts by number ("wave 3", "phase 2", "option B"), its
# figures ("the three million", "$3m", "42 trailers"), a period of its plan ("the second quarter").
SPECIFIC_RE = re.compile(
    r"\b(?i:wave|phase|option|site|pier|dock|gate|lane|zone|stage|tranche|scenario|version|building|area|region|"
    r"depot|warehouse|shift|plan|pilot|step)\s+(?:\d+[a-z]?|[A-Z]|(?i:one|two|three|four|five|six))\b|"
    r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:%|percent|k|m|bn|million|billion|thousand)\b|"
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|fifty|"
    r"hundred)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?\s+(?:million|billion|thousand|percent|"
    r"trailers?|vans?|trucks?|drivers?|people|stores?|sites?|depots?|tenants?|customers?|hires?|heads?)\b|"
    r"\bthe (?:first|second|third|fourth) (?:quarter|half|wave|phase|tranche|stage)\b", re.IGNORECASE)
# A name inside a sentence (capitalised where no sentence starts): a person, a customer, a site or a system.
NAME_IN_RE = re.compile(r"(?<=[a-z,;]\s)(?P<name>[A-Z][a-z]+(?:\s[A-Z][a-z0-9]+)*)")
# A question set in a scene before a colon ("So when you lose a deal by a few percent, I'd ask you one question: what
# would have to be true for that deal to make money?"): the thing the scene is about ("deal") is asked of a pitch that
# names it too.
SCENE_RE = re.compile(r"^(?:so,?\s+|and\s+|but\s+)?(?:when|if|whenever|every time)\s+(?:you|we|they|someone)\s+\w+\s+"
                      r"(?:a|an|the|our|your|their)\s+(?P<thing>[a-z]{3,})\b[^:?]*:", re.IGNORECASE)
_CALENDAR = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
                       "february", "march", "april", "may", "june", "july", "august", "september", "october",
                       "november", "december", "i"})

_FILLER = frozenset({"um", "uh", "er", "erm", "hmm", "mm", "yeah", "okay", "ok", "so", "oh", "well", "like"})


@dataclass(frozen=True)
class BankItem:
    """A question the executive asked, or a concern they voiced, with the passage it is quoted from."""

    kind: str
    text: str
    hit: PassageHit
    audience: str
    stems: Counter[str]
    prompt_stems: Counter[str]
    key: str
    # Who in the meeting it was put to, when that was someone else named in it ("asked of Ray Castillo…").
    context: str | None = None
    # False for an errand or a question that only makes sense in its own meeting: never asked of a presenter.
    standalone: bool = True
    # The names it mentions (a customer, a site, a person): asked only of a pitch that names them too.
    names: tuple[str, ...] = ()
    # What a person would head it with (a concern quoted as push-back): see stance_label.
    label: str = ""

    @property
    def source_id(self) -> int:
        return self.hit.source_id

    @property
    def negated(self) -> bool:
        return bool(NEGATION_RE.search(self.text))


@dataclass
class ObjectionBank:
    """Every question and concern of one twin's approved corpus, across all audiences (filter before use)."""

    items: list[BankItem]
    source_stems: dict[int, Counter[str]]
    source_audience: dict[int, str]
    stances: list[Stance] = field(default_factory=list)
    state: str = ""
    built_ms: float = 0.0
    passages_seen: int = 0

    def visible(self, viewer: Viewer) -> VisibleBank:
        """The part of the bank this viewer may see: sources in their audiences only."""
        audiences = viewer.audiences
        items = [i for i in self.items if i.audience in audiences]
        sources = {sid: stems for sid, stems in self.source_stems.items()
                   if self.source_audience.get(sid) in audiences}
        return VisibleBank(items=items, source_stems=sources,
                           stances=[s for s in self.stances if s.audience in audiences])


@dataclass
class VisibleBank:
    """The questions, concerns, stances and source vocabularies one viewer may see."""

    items: list[BankItem]
    source_stems: dict[int, Counter[str]] = field(default_factory=dict)
    stances: list[Stance] = field(default_factory=list)
    # Filled by service.rehearsal.ranking on first use: the sources' idf and tf-idf norms, and the last pitch's
    # similarity to each source (the questions, the concerns and the push-back of one rehearsal ask for the same).
    source_idf: dict[str, float] | None = field(default=None, repr=False, compare=False)
    source_norms: dict[int, float] | None = field(default=None, repr=False, compare=False)
    last_similarity: tuple[tuple[tuple[str, int], ...], dict[int, float]] | None = field(
        default=None, repr=False, compare=False)

    @property
    def questions(self) -> list[BankItem]:
        """The executive's questions that can be put to a presenter (errands and meeting-bound ones left out)."""
        return [i for i in self.items if i.kind == QUESTION and i.standalone]

    @property
    def concerns(self) -> list[BankItem]:
        return [i for i in self.items if i.kind == CONCERN]


def stem_counts(text: str) -> Counter[str]:
    """Stems of a text's content words with counts (no stop words, fillers or bare numbers)."""
    return Counter(stem(w) for w in words(text)
                   if w not in CONTENT_STOP_WORDS and w not in _FILLER and len(w) > 1 and not w.isdigit())


def normal_key(text: str) -> str:
    """A sentence reduced to its words, fillers dropped: equal keys are the same question."""
    return " ".join(w for w in words(text) if w not in _FILLER)


def is_question(sentence: str) -> bool:
    """Whether a sentence asks something: it ends in a question mark or is an imperative ask."""
    return sentence.rstrip(_CLOSERS).endswith("?") or bool(IMPERATIVE_ASK_RE.match(sentence))


def substantive(sentence: str, *, min_words: int, min_content: int) -> bool:
    """Whether a sentence has enough words, and enough meaning, to put to a presenter."""
    toks = words(sentence)
    if not min_words <= len(toks) <= MAX_SENTENCE_WORDS:
        return False
    return len(stem_counts(sentence)) >= min_content


def mine(rows: Iterable[tuple[PassageHit, str]], titled_by_file: Collection[int] = frozenset()) -> ObjectionBank:
    """Mine questions (executive turns of transcripts) and concerns (the executive's words anywhere) from
    passages, each with its source's audience (titled_by_file: sources whose title was made from the file name)."""
    started = time.perf_counter()
    by_source: dict[int, list[tuple[PassageHit, str]]] = {}
    for hit, audience in rows:
        by_source.setdefault(hit.source_id, []).append((hit, audience))
    items: list[BankItem] = []
    stances: list[Stance] = []
    source_stems: dict[int, Counter[str]] = {}
    source_audience: dict[int, str] = {}
    seen = 0
    for source_id, passages in by_source.items():
        passages.sort(key=lambda pair: pair[0].ordinal)
        source_audience[source_id] = passages[0][1]
        vocabulary: Counter[str] = Counter()
        others: list[str] = []  # the other speakers' turns since the executive last spoke
        people = _people([hit for hit, _ in passages])
        for hit, audience in passages:
            seen += 1
            vocabulary.update(stem_counts(hit.text))
            if not hit.executive:
                others.append(hit.text)
                continue
            prompt = _recent_words(others, PROMPT_TURNS, PROMPT_WORDS)
            others = []
            items.extend(_mine_passage(hit, audience, prompt, people))
            stances.extend(stances_in(hit, audience, source_id not in titled_by_file))
        source_stems[source_id] = vocabulary
    return ObjectionBank(items=items, source_stems=source_stems, source_audience=source_audience, stances=stances,
                         built_ms=(time.perf_counter() - started) * 1000, passages_seen=seen)


def _recent_words(turns: Sequence[str], max_turns: int, max_words: int) -> str:
    text = " ".join(turns[-max_turns:])
    parts = text.split()
    return " ".join(parts[-max_words:])


def _people(passages: Sequence[PassageHit]) -> dict[str, str]:
    """The other speakers of a transcript by first name and full name ("Ray" and "Ray Castillo" -> "Ray Castillo")."""
    found: dict[str, str] = {}
    for hit in passages:
        if hit.executive or not hit.speaker:
            continue
        name = " ".join(part.capitalize() if part.isupper() else part for part in hit.speaker.split())
        found.setdefault(name.split()[0], name)
        found.setdefault(name, name)
    return found


def addressed(sentence: str, people: dict[str, str], title: str) -> tuple[str | None, bool]:
    """(context, standalone) of one of the executive's questions: who in the meeting it was put to, and whether a
    presenter can be asked it at all (an errand, or words that only make sense in that meeting, cannot)."""
    named = None
    for match in (VOCATIVE_RE.match(sentence), TRAILING_NAME_RE.search(sentence)):
        if match is not None and match.group("name") in people:
            named = people[match.group("name")]
    context = f"asked of {named} in {title}" if named else None
    if REQUEST_RE.search(sentence) or MEETING_BOUND_RE.search(sentence) or meeting_bound(sentence, people):
        return context, False
    return context, True


def meeting_bound(sentence: str, people: dict[str, str]) -> bool:
    """Whether a question only makes sense in the meeting it was asked in: it leans on what was just said ("Is that
    right…?"), opens on a fragment of it ("Permanent, from when…?"), or names that meeting's own plan parts and
    figures ("…if we move wave 3 by a quarter?", "What's the three million for?")."""
    if ANAPHORIC_RE.match(sentence) or SPECIFIC_RE.search(sentence):
        return True
    fragment = FRAGMENT_RE.match(sentence)
    return (fragment is not None and fragment.group("word").lower() not in _NOT_FRAGMENTS
            and fragment.group("word") not in people)


# Words of a meeting's title that name the kind of meeting, not its subject ("Cold Chain 90 Day Review").
_MEETING_WORDS = frozenset({"review", "meeting", "transcript", "call", "session", "q", "a", "qa", "town", "hall",
                            "day", "days", "week", "weekly", "monthly", "quarterly", "update", "notes", "minutes",
                            "the", "of", "and", "on", "for", "with", "to", "in", "our", "at", "board", "team"})


def _title_subjects(title: str) -> list[str]:
    """Pairs of adjacent subject words of a meeting's title ("cold chain" in "Cold Chain 90 Day Review")."""
    titled = [w.lower() for w in re.findall(r"[A-Za-z]+", title)]
    return [f"{a} {b}" for a, b in zip(titled, titled[1:], strict=False)
            if a not in _MEETING_WORDS and b not in _MEETING_WORDS and len(a) > 2 and len(b) > 2]


def names_in(sentence: str, people: dict[str, str], title: str = "") -> tuple[str, ...]:
    """The names a question mentions (other than a speaker it is put to, a day or a month), and the subject of its
    meeting when it names that ("…if we pull the best of them into cold chain?" in the cold chain review): asked of a
    pitch on that subject only."""
    found = []
    for match in NAME_IN_RE.finditer(sentence):
        name = match.group("name")
        if name.lower() not in _CALENDAR and name not in people and name.split()[0] not in people:
            found.append(name)
    said = " ".join(re.findall(r"[a-z]+", sentence.lower()))
    found += [subject for subject in _title_subjects(title) if re.search(rf"\b{subject}\b", said)]
    scene = SCENE_RE.match(sentence.strip())
    if scene is not None:
        found.append(scene.group("thing").lower())
    return tuple(dict.fromkeys(found))


def _mine_passage(hit: PassageHit, audience: str, prompt: str,
                  people: dict[str, str] | None = None) -> list[BankItem]:
    """The questions and concerns in one executive passage, each an exact sentence of it."""
    found: list[BankItem] = []
    previous = ""
    for start, end in sentence_spans(hit.text):
        sentence = hit.text[start:end]
        kind = None
        if is_table_row(sentence):  # a table's cells are the memo's data, not something she asked or said
            pass
        elif hit.kind == "transcript" and is_question(sentence):
            if substantive(sentence, min_words=MIN_QUESTION_WORDS, min_content=MIN_QUESTION_CONTENT):
                kind = QUESTION
        elif CONCERN_RE.search(sentence) and substantive(sentence, min_words=MIN_CONCERN_WORDS, min_content=2):
            kind = CONCERN
        if kind is not None:
            # What the executive was reacting to: the others' turn before, and their own lead-in sentence.
            context = stem_counts(prompt) + stem_counts(previous)
            asked_of, standalone = (addressed(sentence, people or {}, hit.title) if kind == QUESTION
                                    else (None, True))
            found.append(BankItem(kind=kind, text=sentence, hit=hit, audience=audience,
                                  stems=stem_counts(sentence), prompt_stems=context, key=normal_key(sentence),
                                  context=asked_of, standalone=standalone,
                                  names=names_in(sentence, people or {}, hit.title) if kind == QUESTION else (),
                                  label=stance_label(hit, sentence)))
        previous = sentence
    return found


# --- reading the corpus, and the cache ---------------------------------------------------------------

def corpus_state(session: Session, twin: Twin) -> str:
    """A fingerprint of what the bank depends on: which sources are approved, current, and for whom."""
    rows = session.execute(
        select(Source.id, Source.status, Source.audience, Source.superseded_by_id, Source.title, Source.sha256,
               Source.uploaded_at, Source.approved_at)
        .where(Source.twin_id == twin.id).order_by(Source.id)
    ).all()
    # Ids can be reused (SQLite after deletes, test databases after a reset): the twin's creation time and the
    # newest passage id tell a recreated twin from the old one.
    newest = session.scalar(select(func.max(Passage.id)).where(Passage.twin_id == twin.id))
    # The executive's labels decide which turns are theirs: adding one re-attributes stored passages.
    digest = hashlib.sha256(repr((twin.id, str(twin.created_at), newest, list(twin.speaker_labels or []))).encode())
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def approved_rows(session: Session, twin: Twin) -> list[tuple[PassageHit, str]]:
    """Every passage of the twin's approved, current sources, all audiences, in reading order, each with its
    source's audience."""
    result = session.execute(
        select(Passage.id, Passage.source_id, Source.version, Source.title, Source.kind, Source.date,
               Source.audience, Passage.ordinal, Passage.locator, Passage.speaker, Passage.executive,
               Passage.text, Passage.heading)
        .join(Source, Source.id == Passage.source_id)
        .where(Source.twin_id == twin.id, Passage.twin_id == twin.id, Source.status == "approved",
               Source.superseded_by_id.is_(None))
        .order_by(Passage.source_id, Passage.ordinal)
    )
    return [(PassageHit(passage_id=r[0], source_id=r[1], source_version=r[2], title=r[3], kind=r[4],
                        date=_date(r[5]), ordinal=r[7], locator=r[8] or "", speaker=r[9],
                        executive=bool(r[10]), text=r[11], heading=r[12], score=0.0), r[6]) for r in result]


def titled_by_file(session: Session, twin: Twin) -> set[int]:
    """The twin's sources whose title was made from the file name ("Town Hall Qa Transcript"), not written."""
    from ingestion.pipeline import title_from_filename

    rows = session.execute(select(Source.id, Source.title, Source.filename).where(Source.twin_id == twin.id))
    return {r[0] for r in rows if r[2] and r[1] == title_from_filename(r[2])}


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class BankCache:
    """Mined banks per (database, twin), kept while the corpus state is unchanged."""

    def __init__(self, size: int = CACHE_TWINS) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int], ObjectionBank] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, session: Session, twin: Twin) -> ObjectionBank:
        """The twin's bank for the corpus as it is now, mined again only when it changed."""
        state = corpus_state(session, twin)
        key = (session.get_bind().engine.url.render_as_string(hide_password=True), twin.id)
        with self._lock:
            cached = self._items.get(key)
            if cached is not None and cached.state == state:
                self._items.move_to_end(key)
                self.hits += 1
                return cached
        bank = mine(approved_rows(session, twin), titled_by_file(session, twin))
        bank.state = state
        with self._lock:
            self.misses += 1
            self._items[key] = bank
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return bank

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


BANKS = BankCache()


def bank_for(session: Session, twin: Twin, viewer: Viewer) -> VisibleBank:
    """The objection bank a viewer's rehearsal may draw on."""
    return BANKS.get(session, twin).visible(viewer)
