"""Transcripts: WebVTT voices, SRT cues and speaker-labelled text turns.

A text turn starts at a line that begins with a speaker label: `THE PRESIDENT:`, `MS. LEE:`, or the
period form of press-conference transcripts (`THE PRESIDENT.`, `Q.`, `MR. SMITH.`). Unlabelled lines
continue the turn. A label must recur (or be upper case with a colon) before it makes a text a
transcript; once it is one, one-off labels start turns too, so that a lone questioner's words are
never handed to the speaker before them.
"""

from __future__ import annotations

import dataclasses
import html
import io
import re
from collections import Counter
from dataclasses import dataclass

from ingestion.parsers import Block, ParsedFile, join_paragraphs, speaker_key, squash
from textkit.speech import clean_speech, is_backchannel, is_unfinished, run_on_case, turn_case

# --- Speaker labels -------------------------------------------------------------------------------------

_UP_HONORIFIC = r"(?:MR|MRS|MS|MESSRS|DR|PROF|REV|HON|SEN|REP|GOV|GEN|LT|COL|MAJ|CAPT|CMDR|ADM|SGT|AMB|SEC|ST|JR|SR|PRES|THE)\."
_INITIAL = r"[A-Z]\."
# "SPEAKER_00" is how diarization (WhisperX, pyannote) names a voice.
_UP_WORD = r"(?:Mc|Mac|De|Di|Du|La|Le|Van|Von)?[A-Z][A-Z0-9'\u2019\-]*(?:_\d{1,3})?"
_UPPER_LABEL = rf"(?:(?:{_UP_HONORIFIC}|{_INITIAL})[ \t]+|{_UP_WORD}[ \t]+){{0,5}}(?:{_UP_WORD}|\d{{1,3}})"

_MX_HONORIFIC = r"(?:Mr|Mrs|Ms|Messrs|Dr|Prof|Rev|Hon|Sen|Rep|Gov|Gen|Lt|Col|Maj|Capt|Cmdr|Adm|Sgt|Amb|Sec|St|Jr|Sr|Pres)\."
_MX_WORD = r"[A-Z][A-Za-z0-9'\u2019\-]*"
_PARTICLE = r"(?:de|da|di|du|van|von|der|den|la|le|del|bin|al|el|of|the)"
_MIXED_LABEL = rf"(?:(?:{_MX_HONORIFIC}|{_INITIAL})[ \t]+|(?:{_MX_WORD}|{_PARTICLE})[ \t]+){{0,4}}(?:{_MX_WORD}|\d{{1,3}})"

_TIMESTAMP = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_LEADING_TIMESTAMP = re.compile(rf"^[ \t]*[\[(]?({_TIMESTAMP})[\])]?[ \t]*(?:[-\u2013\u2014|][ \t]*)?")
# After the colon: a space, a dash or quote run on ("DR. BIRX:\u2014is"), or the end of the line.
_AFTER_COLON = r"(?:[ \t]+(.*)|(?=[\u2014\u2013\"\u201c])(.*)|[ \t]*$)"
_UPPER_COLON = re.compile(rf"^[ \t]*(?:>>[ \t]*)?\[?({_UPPER_LABEL})\]?[ \t]*:{_AFTER_COLON}")
# "MR. NIXON; I of course disagree": a typo for the colon, trusted only inside a transcript.
_UPPER_SEMICOLON = re.compile(rf"^[ \t]*({_UPPER_LABEL});[ \t]+(\S.*)$")
_UPPER_PERIOD = re.compile(rf"^[ \t]*({_UPPER_LABEL})\.[ \t]+(\S.*)$")
_MIXED_COLON = re.compile(rf"^[ \t]*(?:>>[ \t]*)?({_MIXED_LABEL})[ \t]*:{_AFTER_COLON}")
# A reporter with an affiliation: "Frank Cormier, Associated Press: Mr. President, ..."
_MIXED_AFFILIATION = re.compile(
    rf"^[ \t]*({_MIXED_LABEL}),[ \t]+[A-Z][A-Za-z0-9.&'\u2019\- ]{{1,60}}?:[ \t]+(\S.*)$"
)
_MIXED_PERIOD = re.compile(rf"^[ \t]*({_MIXED_LABEL})\.[ \t]+(\S.*)$")
# A name with its role or seat in brackets: "Right Hon. Justin Trudeau (Prime Minister):", "The Chair (Hon. Anthony
# Rota (Nipissing, Lib.)):". The speaker is the name; a bracketed time is the timestamped form below.
_BRACKETED = rf"[ \t]*\((?![ \t]*{_TIMESTAMP}[ \t]*\))(?:[^()\n]|\([^()\n]*\)){{1,120}}\)[ \t]*:"
_UPPER_BRACKETED = re.compile(rf"^[ \t]*(?:>>[ \t]*)?({_UPPER_LABEL}){_BRACKETED}{_AFTER_COLON}")
_MIXED_BRACKETED = re.compile(rf"^[ \t]*(?:>>[ \t]*)?({_MIXED_LABEL}){_BRACKETED}{_AFTER_COLON}")
# "DANA REYES (00:12:31): text" or Otter's "Dana Reyes  0:03" on a line of its own.
_LABEL_TIMESTAMP = re.compile(rf"^[ \t]*({_MIXED_LABEL})[ \t]*[\[(]?({_TIMESTAMP})[\])]?[ \t]*(?::[ \t]*(.*)|[ \t]*$)")
_BARE_Q = re.compile(r"^[ \t]*(Q)[ \t]+([A-Z\"'\u201c].*)$")
# A topic heading run into a question: "U.S. EFFORTS IN THE DOMINICAN REPUBLIC Q. Mr. President, ..."
_HEADED_Q = re.compile(r"^[ \t]*[A-Z0-9][A-Z0-9 .,'\u2019&\-]{3,80}?[ \t]+(Q)[.:][ \t]+(\S.*)$")

# A header block ("President: NAME", "Date: ...") is at most this many lines, then a blank line.
_HEADER_LINES = 12
_BRACKETED_TIME = re.compile(rf"[\[(]({_TIMESTAMP})[\])][ \t]*")
# Who speaks after a ">>" that names no one, once other turns are named.
UNNAMED_SPEAKER = "Unnamed speaker"
# Label lookups only ever read the start of a line.
_PREFIX = 160

_ROMAN = re.compile(r"^[IVXLCDM]+$")
# Words that start "LABEL:" lines in memos and letters without naming anyone who speaks.
_NOT_SPEAKERS = frozenset(
    [
        "OK", "NO", "SEC", "SECT", "SECTION", "ART", "ARTICLE", "CHAPTER", "PART", "ITEM", "NOTE", "NOTES",
        "NB", "PS", "RE", "FWD", "FW", "CC", "BCC", "TO", "FROM", "SUBJECT", "DATE", "SENT", "ATTACHMENT",
        "ATTACHMENTS", "TITLE", "AGENDA", "SUMMARY", "STATUS", "OWNER", "ACTION", "ACTIONS", "DECISION",
        "DECISIONS", "LOCATION", "TIME", "WHEN", "WHERE", "WHO", "WHAT", "WHY", "HOW", "GOAL", "GOALS",
        "RESULT", "RESULTS", "UPDATE", "UPDATES", "BACKGROUND", "CONTEXT", "EXAMPLE", "WARNING", "IMPORTANT",
        "TIP", "TODO", "FYI", "PRESENT", "ABSENT", "ATTENDEES", "PARTICIPANTS", "TRANSCRIPT", "SOURCE", "URL",
        "LINK", "EMAIL", "PHONE", "TEL", "FAX", "ADDRESS", "WEBSITE", "SIR", "SIRS", "MADAM", "GENTLEMEN",
        "AMEN", "PROBLEM", "SOLUTION", "STEP", "PHASE", "FIGURE", "TABLE", "APPENDIX", "NOW", "THEN", "SO",
        "YES", "YEAH", "WELL", "THANKS", "FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH",
        "EIGHTH", "NINTH", "TENTH", "FINALLY", "LASTLY", "NEXT", "ALSO", "PROVIDED", "WHEREAS", "RESOLVED"
    ]
) | {"NEXT STEPS", "ACTION ITEMS", "KEY POINTS", "DEAR SIR", "MY FRIENDS", "P S"}
_SALUTATION_WORDS = frozenset({"GENTLEMEN", "LADIES", "CITIZENS", "COUNTRYMEN", "FELLOW", "DEAR"})


@dataclass(frozen=True)
class LabelMatch:
    """A line that may start a turn."""

    label: str
    rest: str
    form: str  # upper, upper-period, upper-semicolon, mixed, mixed-period, q, timestamped, change
    timestamp: str | None = None


def format_timestamp(raw: str) -> str:
    """'1:02:03.5' or '12:31' -> 'HH:MM:SS'."""
    core = re.split(r"[.,]", raw, maxsplit=1)[0]
    parts = [int(part) for part in core.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, minutes, seconds = parts[-3:]
    total = hours * 3600 + minutes * 60 + seconds
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


# A label set in bold or italics, as Markdown and pasted web transcripts set it: "**SENATOR DOLE:** Thank you",
# "__Q: __Sir". Only a label ending in its colon or period counts: "**Foreign Policy**" is a heading.
_EMPHASISED_LABEL = re.compile(r"^[ \t]*(\*\*|__|\*|_)[ \t]*([^*_\n]{1,80}?[:.])[ \t]*\1[ \t]*")


def _unemphasised(line: str) -> str:
    """The line with the emphasis around a leading speaker label taken off ("**MR. LEE:** Yes" reads "MR. LEE: Yes")."""
    match = _EMPHASISED_LABEL.match(line)
    return f"{match.group(2)} {line[match.end():]}" if match else line


def match_label(line: str) -> LabelMatch | None:
    """The speaker label a line starts with, if it has the shape of one (the document decides if it counts)."""
    line = _unemphasised(line)
    head = line[:_PREFIX]
    tail = line[_PREFIX:]
    timestamp = None
    lead = _LEADING_TIMESTAMP.match(head)
    if lead and lead.end() > 0:
        timestamp = format_timestamp(lead.group(1))
        head = head[lead.end():]
    for pattern, form in _LINE_FORMS:
        match = pattern.match(head)
        if match:
            label = squash(match.group(1))
            if not any(ch.isalpha() for ch in label):
                continue
            if form in ("upper-period", "mixed-period", "upper-semicolon") and not _period_label_ends_well(label):
                continue
            rest = next((group for group in match.groups()[1:] if group), "")
            # Rev's "Priya Nair: (00:03)": the bracketed time after the label is where the turn starts.
            stamp = _BRACKETED_TIME.match(rest)
            if stamp and timestamp is None:
                timestamp, rest = format_timestamp(stamp.group(1)), rest[stamp.end():]
            return LabelMatch(label, (rest + tail).strip(), form, timestamp)
    match = _LABEL_TIMESTAMP.match(head)
    if match:
        return LabelMatch(squash(match.group(1)), ((match.group(3) or "") + tail).strip(), "timestamped",
                          format_timestamp(match.group(2)))
    return None


_LINE_FORMS = (
    (_UPPER_COLON, "upper"),
    (_UPPER_PERIOD, "upper-period"),
    (_UPPER_SEMICOLON, "upper-semicolon"),
    (_MIXED_COLON, "mixed"),
    (_MIXED_AFFILIATION, "mixed"),
    (_MIXED_PERIOD, "mixed-period"),
    (_UPPER_BRACKETED, "upper"),
    (_MIXED_BRACKETED, "mixed"),
    (_BARE_Q, "q"),
    (_HEADED_Q, "upper"),
)
_HONORIFIC_WORDS = frozenset(
    ["MR", "MRS", "MS", "MESSRS", "DR", "PROF", "REV", "HON", "SEN", "REP", "GOV", "GEN", "LT", "COL", "MAJ", "CAPT", "CMDR", "ADM", "SGT", "AMB", "SEC", "ST", "JR", "SR", "PRES", "THE"]
)


def _period_label_ends_well(label: str) -> bool:
    """A period-form label must not end in an initial ("EDWIN M."), an honorific ("Q Mr.") or a number."""
    words = label.replace(".", " ").split()
    if not words:
        return False
    last = words[-1]
    if len(words) == 1:
        return (len(last) > 1 and last.upper() not in _HONORIFIC_WORDS) or last in ("Q", "A")
    return len(last) > 1 and last.upper() not in _HONORIFIC_WORDS and not last.isdigit()


def _plausible(key: str, form: str, count: int) -> str | None:
    """"strong" if a label of this shape, seen `count` times, names a speaker by itself; "weak" if only
    inside a document that is already a transcript; None if it is not a speaker."""
    if not key or key in _NOT_SPEAKERS or key.startswith(("TO ", "DEAR ")):
        return None
    words = key.split()
    if words[0] in _NOT_SPEAKERS or _SALUTATION_WORDS.intersection(words):
        return None
    if len(words) == 1 and (_ROMAN.match(key) and key != "Q" or (len(key) == 1 and key not in ("Q", "A"))):
        return None
    if form == "upper":
        return "strong"
    if form == "upper-semicolon":
        return "weak"
    if form in ("upper-period", "q"):
        # Run-in headings ("DEPARTMENT OF JUSTICE. The Attorney General ...") appear once; speakers recur.
        return "strong" if count >= 2 else "weak"
    if form == "mixed-period":
        # "Mr. Warren Wiggins. Mr. ..." in a list of appointees: only a recurring name is a speaker.
        return "strong" if count >= 2 and len(words) >= 2 else None
    return "strong" if count >= 2 else "weak"


def _display_names(raw_by_key: dict[str, Counter[str]]) -> dict[str, str]:
    """The most common spelling of each speaker ("THE. PRESIDENT" typos lose to "THE PRESIDENT")."""
    names = {}
    for key, spellings in raw_by_key.items():
        name = spellings.most_common(1)[0][0]
        names[key] = re.sub(r"\bTHE\.\s", "THE ", name)
    return names


# --- Speaker-labelled text --------------------------------------------------------------------------------


def parse_labelled_text(text: str, *, force: bool = False) -> ParsedFile | None:
    """Turns of a speaker-labelled text, or None when it does not read as a transcript (unless forced)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found: list[LabelMatch | None] = [match_label(line) if line.strip() else None for line in lines]
    counts: Counter[str] = Counter()
    for match in found:
        if match is not None:
            counts[speaker_key(match.label)] += 1
    strength = [
        _plausible(speaker_key(match.label), match.form, counts[speaker_key(match.label)]) if match else None
        for match in found
    ]
    strong_keys = {speaker_key(match.label) for match, level in zip(found, strength, strict=True)
                   if match is not None and level == "strong"}
    strong_turns = sum(1 for level in strength if level == "strong")
    other_weak_turns = sum(1 for match, level in zip(found, strength, strict=True)
                           if match is not None and level == "weak" and speaker_key(match.label) not in strong_keys)
    # Two recurring speakers make a transcript; so does one recurring speaker answering several one-off
    # questioners ("Frank Cormier, Associated Press: ..." then "THE PRESIDENT. ...").
    if not force and (strong_turns < 3 or (len(strong_keys) < 2 and other_weak_turns < 2)) \
            and not _every_paragraph_labelled(lines, found, strength):
        return None
    # Inside a transcript, a one-off "MR. JONES." or a bare "Q" also starts a turn: leaving it out
    # would hand that speaker's words to whoever spoke before. A mixed-case one-off in the header
    # block at the top ("President: NAME", "Date: ...") is metadata, not a turn.
    header_end = _header_end(lines, strength)
    accepted = [
        level is not None and not (level == "weak" and index < header_end and match is not None
                                   and match.form.startswith("mixed"))
        for index, (match, level) in enumerate(zip(found, strength, strict=True))
    ]
    # In a transcript, ">>" before no name is a new speaker all the same (">> Thank you. And next?").
    for index, line in enumerate(lines):
        if found[index] is None and line.lstrip().startswith(">>"):
            found[index] = LabelMatch(UNNAMED_SPEAKER, line.lstrip()[2:].strip(), "change")
            accepted[index] = True
    return _build_turns(lines, found, accepted)


def _every_paragraph_labelled(lines: list[str], found: list[LabelMatch | None], strength: list[str | None]) -> bool:
    """A short meeting: every paragraph (or every line) opens with a label, one label recurs and two people speak
    ("Priya Nair (00:00:03):" / "Marco Diaz (00:00:08):" ...), so its words are never all the executive's."""
    labelled = [speaker_key(match.label) for match, level in zip(found, strength, strict=True)
                if match is not None and level is not None]
    if len(labelled) < 3 or len(set(labelled)) < 2 or max(Counter(labelled).values()) < 2:
        return False
    body = range(_header_end(lines, strength), len(lines))
    starts = [index for index in body if lines[index].strip() and (index == 0 or not lines[index - 1].strip())]
    every_line = all(strength[index] is not None for index in body if lines[index].strip())
    return every_line or all(strength[index] is not None for index in starts)


def _header_end(lines: list[str], strength: list[str | None]) -> int:
    """Where the header block ends: the first blank line, when a few lines of no recurring speaker come before it
    and more text after; else 0 (a meeting written one turn a line has no header, only turns)."""
    blank = next((index for index, line in enumerate(lines[:_HEADER_LINES + 1]) if not line.strip()), None)
    if blank is None or "strong" in strength[:blank] or not any(line.strip() for line in lines[blank:]):
        return 0
    return blank


@dataclass
class _Turn:
    label: str | None
    paragraphs: list[list[str]]
    marks: list[tuple[int, str]]  # (paragraph index, timestamp): resolved to offsets at the end
    timestamp: str | None


def _build_turns(lines: list[str], found: list[LabelMatch | None], accepted: list[bool]) -> ParsedFile:
    """Group lines into turns and turn each into a block."""
    raw_by_key: dict[str, Counter[str]] = {}
    preamble = _Turn(None, [[]], [], None)
    turns: list[_Turn] = []
    current = preamble
    for line, match, ok in zip(lines, found, accepted, strict=True):
        if ok and match is not None:
            raw_by_key.setdefault(speaker_key(match.label), Counter())[match.label] += 1
            current = _Turn(match.label, [[match.rest]] if match.rest else [[]], [], match.timestamp)
            turns.append(current)
            continue
        stripped = line.strip()
        if not stripped:
            if current.paragraphs[-1]:
                current.paragraphs.append([])
            continue
        lead = _LEADING_TIMESTAMP.match(stripped[:_PREFIX])
        if lead and lead.end() > 0 and current.label is not None:
            # A timestamp alone opens a new paragraph of the same turn, located at that time.
            if current.paragraphs[-1]:
                current.paragraphs.append([])
            current.marks.append((len(current.paragraphs) - 1, format_timestamp(lead.group(1))))
            stripped = stripped[lead.end():].strip()
            if not stripped:
                continue
        current.paragraphs[-1].append(stripped)
    names = _display_names(raw_by_key)
    blocks: list[Block] = []
    intro = [squash(" ".join(para)) for para in preamble.paragraphs if para]
    block = join_paragraphs([(f"\u00b6 {n}", para) for n, para in enumerate(intro, 1)])
    if block is not None:
        blocks.append(block)
    speakers: list[str] = []
    for number, turn in enumerate(turns, 1):
        name = names[speaker_key(turn.label or "")]
        if name not in speakers:
            speakers.append(name)
        block = _turn_block(turn, name, number)
        if block is not None:
            blocks.append(block)
    metadata = {"speakers": ", ".join(speakers), "turns": str(len(turns))}
    return ParsedFile(blocks=merge_interrupted_turns(blocks), metadata=metadata, has_turns=bool(turns))


def _turn_block(turn: _Turn, speaker: str, number: int) -> Block | None:
    """One turn as a block: `turn N`, or the time it starts when the transcript is timed."""
    texts: list[str] = []
    marks: list[tuple[int, str]] = []
    mark_at = dict(turn.marks)
    offset = 0
    for index, para in enumerate(turn.paragraphs):
        text = clean_speech(squash(" ".join(para)))
        if not text:
            continue
        if texts:
            offset += 2
        if index in mark_at:
            marks.append((offset, mark_at[index]))
        texts.append(text)
        offset += len(text)
    if not texts:
        return None
    locator = turn.timestamp or f"turn {number}"
    return Block(text="\n\n".join(texts), locator=locator, speaker=speaker, marks=tuple(marks))


# A speaker resumes over at most this many backchannels ("Mm-hmm.", "Yeah.") of others.
_MAX_BACKCHANNELS = 2


def merge_interrupted_turns(blocks: list[Block]) -> list[Block]:
    """One block for a speaker's turn resumed after others only said "Mm-hmm." (or a turn left empty): the words
    run on, each part keeps its locator, and the backchannels follow it as turns of their own."""
    merged: list[Block] = []
    for block in blocks:
        key = speaker_key(block.speaker or "")
        at = len(merged) - 1
        while (key and at >= 0 and len(merged) - 1 - at < _MAX_BACKCHANNELS
               and speaker_key(merged[at].speaker or "") != key and is_backchannel(merged[at].text)):
            at -= 1
        # After their own question, a speaker who goes on over "Yes." has had an answer: a new turn. A speaker's own
        # "Yep." adds nothing to what they said before it.
        resumes = (key and at >= 0 and speaker_key(merged[at].speaker or "") == key and not is_backchannel(block.text)
                   and (at == len(merged) - 1 or not merged[at].text.rstrip().endswith("?")))
        if resumes:
            merged[at] = _run_on(merged[at], block)
        elif block.speaker is not None:
            merged.append(dataclasses.replace(block, text=turn_case(block.text)))
        else:
            merged.append(block)
    return merged


def _run_on(first: Block, then: Block) -> Block:
    """Two parts of one speaker's turn as one block: mid-sentence they join with a space, else as paragraphs."""
    joiner, text = "\n\n", then.text
    if is_unfinished(first.text):
        joiner, text = "" if first.text.endswith("\u2014") else " ", run_on_case(text)
    shift = len(first.text) + len(joiner)
    marks = first.marks or ((0, first.locator),)
    then_marks = then.marks or ((0, then.locator),)
    return Block(text=first.text + joiner + text, locator=first.locator, heading=first.heading,
                 speaker=first.speaker, executive=first.executive,
                 marks=marks + tuple((offset + shift, locator) for offset, locator in then_marks))


# --- WebVTT and SRT ---------------------------------------------------------------------------------------

_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>", re.IGNORECASE)
_TAG = re.compile(r"</?[^>]{0,200}>")
_SOUND = re.compile(r"^\s*[\[(][^\])]{1,40}[\])]\s*$")
_CUE_START = re.compile(r"(\d+):(\d{2}):(\d{2})")


@dataclass
class _Segment:
    speaker: str | None
    text: str
    timestamp: str
    # Opened by a caption's change-of-speaker mark (">>", "- "): never the turn before it.
    changed: bool = False


_SPEAKER_CHANGE = re.compile(r"^(?:>>|-)[ \t]+")


def parse_vtt(text: str) -> ParsedFile:
    """WebVTT cues: `<v Name>` voices (or a recurring "Name:" prefix) give speakers; locator is the cue start."""
    import webvtt

    captions = webvtt.WebVTT.from_string(text).captions
    segments: list[_Segment] = []
    for caption in captions:
        stamp = _cue_time(caption.start)
        raw = caption.raw_text
        pieces = list(_VOICE.finditer(raw))
        if not pieces:
            segments.append(_Segment(None, _cue_text(raw), stamp))
            continue
        if pieces[0].start() > 0:
            segments.append(_Segment(None, _cue_text(raw[: pieces[0].start()]), stamp))
        for index, piece in enumerate(pieces):
            end = pieces[index + 1].start() if index + 1 < len(pieces) else len(raw)
            name = squash(html.unescape(piece.group(1) or "")) or None
            segments.append(_Segment(name, _cue_text(raw[piece.end():end]), stamp))
    return _cues_to_file(segments, voiced=any(s.speaker for s in segments))


def parse_srt(text: str) -> ParsedFile:
    """SRT cues; a recurring "NAME:" prefix gives the speaker; locator is the cue start."""
    import webvtt

    captions = webvtt.WebVTT.from_buffer(io.StringIO(text), format="srt").captions
    segments = [_Segment(None, _cue_text(caption.raw_text), _cue_time(caption.start)) for caption in captions]
    return _cues_to_file(segments, voiced=False)


def _cue_time(start: str) -> str:
    """'00:12:31.000' -> '00:12:31'."""
    match = _CUE_START.search(start)
    if not match:
        return "00:00:00"
    return f"{int(match.group(1)):02d}:{match.group(2)}:{match.group(3)}"


def _cue_text(raw: str) -> str:
    """Cue text without tags, entities or sound annotations such as [Music]."""
    lines = []
    for line in raw.split("\n"):
        line = html.unescape(_TAG.sub("", line)).strip()
        if line.startswith(">>"):
            line = ">> " + line[2:].strip()
        if line.strip("> ") and not _SOUND.match(line.removeprefix(">> ")):
            lines.append(line)
    return "\n".join(lines)


def _split_speaker_changes(segments: list[_Segment]) -> list[_Segment]:
    """Each line a caption opens with ">>" or "- " (a new speaker) as a segment of its own, marked as a change."""
    split: list[_Segment] = []
    for segment in segments:
        parts: list[tuple[bool, list[str]]] = []
        for line in segment.text.split("\n") if segment.text else []:
            mark = _SPEAKER_CHANGE.match(line)
            if mark or not parts:
                parts.append((bool(mark), []))
            parts[-1][1].append(line[mark.end():] if mark else line)
        if not parts:
            split.append(segment)
        for changed, lines in parts:
            split.append(_Segment(segment.speaker, "\n".join(lines), segment.timestamp, changed))
    return split


def _cues_to_file(segments: list[_Segment], *, voiced: bool) -> ParsedFile:
    """Merge consecutive cues of one speaker into turns, each cue start marked in the turn's text."""
    segments = _split_speaker_changes(segments)
    if not voiced:
        voiced = _labels_from_prefixes(segments)
    if voiced:
        # An unvoiced cue continues the turn before it, as an unlabelled line does in a text transcript, unless
        # it opens with a change of speaker that names no one.
        last: str | None = None
        for index, segment in enumerate(segments):
            if segment.speaker is None and last is not None:
                segments[index] = _Segment(UNNAMED_SPEAKER if segment.changed else last, segment.text, segment.timestamp)
            last = segments[index].speaker or last
    turns: list[list[_Segment]] = []
    previous_lines: list[str] = []
    for segment in segments:
        lines = segment.text.split("\n") if segment.text else []
        same = bool(turns) and speaker_key(turns[-1][-1].speaker or "") == speaker_key(segment.speaker or "")
        if same:
            # Rolling captions repeat the previous cue's last line; keep each line once.
            while lines and previous_lines and lines[0] == previous_lines[-1]:
                lines.pop(0)
        previous_lines = lines or previous_lines
        text = clean_speech(squash(" ".join(lines)))
        if not text:
            continue
        segment = _Segment(segment.speaker, text, segment.timestamp)
        if same:
            turns[-1].append(segment)
        else:
            turns.append([segment])
    blocks: list[Block] = []
    speakers: list[str] = []
    for turn in turns:
        parts: list[str] = []
        marks: list[tuple[int, str]] = []
        offset = 0
        for segment in turn:
            if parts:
                offset += 1
            if not marks or marks[-1][1] != segment.timestamp:
                marks.append((offset, segment.timestamp))
            parts.append(segment.text)
            offset += len(segment.text)
        speaker = turn[0].speaker
        if speaker and speaker not in speakers:
            speakers.append(speaker)
        blocks.append(Block(text="\n".join(parts), locator=turn[0].timestamp, speaker=speaker, marks=tuple(marks)))
    metadata = {"cues": str(len(segments))}
    if speakers:
        metadata["speakers"] = ", ".join(speakers)
    return ParsedFile(blocks=merge_interrupted_turns(blocks) if speakers else blocks, metadata=metadata,
                      has_turns=bool(speakers))


def _labels_from_prefixes(segments: list[_Segment]) -> bool:
    """Give cues the speaker named by a "NAME:" prefix, when such prefixes read as speakers; True if any did."""
    found = [match_label(segment.text.split("\n", 1)[0]) if segment.text else None for segment in segments]
    counts: Counter[str] = Counter(speaker_key(m.label) for m in found if m is not None)
    levels = [_plausible(speaker_key(match.label), match.form, counts[speaker_key(match.label)])
              if match is not None and match.form in ("upper", "mixed") else None for match in found]
    # Once recurring names prefix the cues, a name said once does too: its cue is not the turn before it.
    wanted = ("strong", "weak") if "strong" in levels else ("strong",)
    raw_by_key: dict[str, Counter[str]] = {}
    accepted: list[bool] = []
    for match, level in zip(found, levels, strict=True):
        ok = match is not None and level in wanted
        accepted.append(ok)
        if ok and match is not None:
            raw_by_key.setdefault(speaker_key(match.label), Counter())[match.label] += 1
    if not any(accepted):
        return False
    names = _display_names(raw_by_key)
    for index, (segment, match, ok) in enumerate(zip(segments, found, accepted, strict=True)):
        if ok and match is not None:
            rest_lines = segment.text.split("\n", 1)
            body = match.rest + ("\n" + rest_lines[1] if len(rest_lines) > 1 else "")
            segments[index] = _Segment(names[speaker_key(match.label)], body.strip(), segment.timestamp)
    return True
