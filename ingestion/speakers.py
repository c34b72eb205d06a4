"""Whose words a passage holds: the executive's labels, each label's share of a transcript, e-mail senders."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingestion.parsers import speaker_key


@dataclass(frozen=True)
class LabelShare:
    """One speaker label and how many of a text's labelled words it holds."""

    label: str
    words: int
    share: float


# Courtesy titles before a full name and letters after it, which name no one by themselves.
_TITLES = frozenset({"MR", "MRS", "MS", "MISS", "MX", "DR", "PROF", "PROFESSOR", "SIR", "DAME", "LORD", "LADY", "HON",
                     "RIGHT", "RT", "REV", "SEN", "SENATOR", "REP", "GOV", "GOVERNOR", "MINISTER", "CHAIR"})
_POST_NOMINALS = frozenset({"AM", "MS", "MP", "MSP", "MLA", "MEP", "TD", "QC", "KC", "PHD", "OBE", "CBE", "MBE", "KBE",
                            "DBE", "CH"})


# How meeting apps print a directory name: last name first ("Reyes, Dana"), a note in brackets after it
# ("Dana Reyes (she/her)", "Sam Lind (Guest)").
_LAST_FIRST = re.compile(r"^\s*([^\W\d_][\w'\u2019-]*),\s*([^\W\d_][\w'\u2019.-]*(?:\s+[^\W\d_][\w'\u2019.-]*)?)\s*$")
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)\s*$")


def _full_name(words: list[str]) -> list[str]:
    """The words between a name's courtesy titles and its letters after it."""
    start, end = 0, len(words)
    while start < end and words[start] in _TITLES:
        start += 1
    while end > start and words[end - 1] in _POST_NOMINALS:
        end -= 1
    return words[start:end]


def name_key(label: str) -> str:
    """A label's full name without its courtesy titles or letters ("Right Hon. Justin Trudeau" and "Justin
    Trudeau MP" are "JUSTIN TRUDEAU"), as a meeting app's directory prints it too ("Trudeau, Justin", "Justin
    Trudeau (Guest)"); a name left with one word keeps them ("Mr. Williams" is not "Williams", "Dana (Sales)" is
    not "Dana")."""
    bare = _TRAILING_NOTE.sub("", label)
    last_first = _LAST_FIRST.match(bare)
    if last_first and speaker_key(last_first.group(2)).split()[0] not in _TITLES | _POST_NOMINALS:
        bare = f"{last_first.group(2)} {last_first.group(1)}"
    for words in (speaker_key(bare).split(), speaker_key(label).split()):
        core = _full_name(words)
        if len(core) >= 2:
            return " ".join(core)
    return speaker_key(label)


def label_keys(labels: Iterable[str]) -> set[str]:
    """The comparable forms of each label ("The President." and "THE PRESIDENT" are one; so are "Hon. Jane Roe" and
    "Jane Roe")."""
    keys: set[str] = set()
    for label in labels:
        keys.update(key for key in (speaker_key(label), name_key(label)) if key)
    return keys


def is_executive_speaker(speaker: str | None, labels: Iterable[str]) -> bool:
    """Whether a transcript turn with this speaker label is the executive's."""
    return speaker is not None and bool({speaker_key(speaker), name_key(speaker)} & label_keys(labels))


# Unlabelled opening words count as the executive's only when they are at least this share of the executive's labelled
# words (a debate's moderator introduces it in a few per cent of the candidates' words).
OPENING_SHARE = 0.1


def unlabelled_opening(turns: Sequence[tuple[str | None, bool, int]]) -> tuple[int, bool]:
    """How many (speaker, executive, words) turns open a transcript before its first labelled one, and whether they are
    the executive's: someone else speaks first after them, and they are a real share of the executive's labelled
    words. That is a speech whose transcriber labels only the interruptions ("AUDIENCE:", "Q.") and the replies to
    them; a short lead before another's turn is a host introducing a debate, and a lead before the executive's own
    first label is someone else's."""
    lead = next((i for i, (speaker, _, _) in enumerate(turns) if speaker), len(turns))
    if not lead or lead == len(turns):
        return 0, False
    opening_words = sum(count for _, _, count in turns[:lead])
    executive_words = sum(count for _, executive, count in turns[lead:] if executive)
    own = (opening_words > 0 and executive_words > 0 and not turns[lead][1]
           and opening_words >= OPENING_SHARE * executive_words)
    return lead, own


def is_own_email(sender_name: str, sender_address: str, labels: Sequence[str]) -> bool:
    """Whether an e-mail's sender is the executive: any sender when no label is given, else by name or address."""
    wanted = label_keys(labels)
    addresses = {label.strip().lower() for label in labels if "@" in label}
    return not wanted or speaker_key(sender_name) in wanted or sender_address.strip().lower() in addresses


def label_shares(turns: Iterable[tuple[str | None, int]]) -> list[LabelShare]:
    """Each speaker label's words and share of all labelled words, most words first."""
    words: Counter[str] = Counter()
    for speaker, count in turns:
        if speaker:
            words[speaker] += count
    total = sum(words.values())
    if not total:
        return []
    return [LabelShare(label, count, count / total) for label, count in words.most_common()]


def _role_key(label: str) -> str:
    """A role as a label or a title names it: "The Chair", "CHAIR" and "chair" are one."""
    return name_key(label).removeprefix("THE ")


def unknown_label_share(turns: Iterable[tuple[str | None, bool, int]], *, title: str | None = None) -> LabelShare | None:
    """When a text has labelled turns and none of them is the executive's: the label that is the executive's title
    ("Project Manager", "The Chair"), if one is, else the label holding most words."""
    rows = list(turns)
    if any(executive for speaker, executive, _ in rows if speaker):
        return None
    shares = label_shares((speaker, count) for speaker, _, count in rows)
    titled = [share for share in shares if title and _role_key(share.label) == _role_key(title)]
    found = titled or shares
    return found[0] if found else None
