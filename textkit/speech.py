"""Spoken words as a transcript prints them: fillers, transcriber's marks and tokenizer spacing removed."""

from __future__ import annotations

import re

from textkit.stopwords import CONTENT_STOP_WORDS, word_set

# Hesitations a published ("clean verbatim") transcript leaves out; never words anyone would quote.
_FILLER = r"(?:[Uu]m+|[Uu]h+m*|[Ee]rm+|[Ee]r+|[Hh]m+|[Mm]m+)"
# A filler with the comma that set it off: "Um, the night shift" -> "the night shift".
_FILLER_RUN = re.compile(rf"(?<![\w'\u2019-]){_FILLER}(?![\w'\u2019-])[ \t]*(?:[,.][ \t]*)?")
# A filler set off by commas inside a phrase takes both: "we will, uh, ask" -> "we will ask", "followed by, um, a
# list". After any other word the comma may be the speaker's own ("So, um, the plan", "a hundred subjects, um, we").
_FILLER_BETWEEN_COMMAS = re.compile(rf"(?<![\w'\u2019-])([\w'\u2019]+),[ \t]*{_FILLER}(?![\w'\u2019-])[ \t]*,")
_MID_PHRASE_WORDS = word_set("""
a an the of to for with by from at in into on onto about as than and or nor but if because whether
is are was were be been being am will would can could should shall may might must do does did have has had
not never just still also really very only even my our your their his its i we they he she which whose
""")
# Marks transcribers put among the words: {vocalsound}, {gap}, {disfmarker}; [laughter], (inaudible).
_BRACED = re.compile(r"\{(\w{1,30})\}")
_SOUND_WORDS = (r"laughs?|laughter|inaudible|unintelligible|crosstalk|interruption|applause|music|pause|silence|"
                r"coughs?|noise|background noise|indiscernible|overlapping|overtalk|sighs?")
_BRACKETED_SOUND = re.compile(rf"[\[(](?:{_SOUND_WORDS})\.?[\])]", re.IGNORECASE)
# A restart the transcriber marked: "the thing that you use {disfmarker} it needs to be".
_RESTART_MARKS = frozenset({"disfmarker"})
# Punctuation a tokenizer set apart from its word: "okay , that's fine ." -> "okay, that's fine."
_SPACED_PUNCTUATION = re.compile(r"(?<=[\w'\u2019\"\u201d)\]])[ \t]+([,.;:?!])(?=\s|$)")
# Letters spelt out one by one, as AMI writes them: "T_V_" -> "TV", "F_ eight" -> "F eight".
_SPELT_LETTERS = re.compile(r"\b((?:[A-Za-z]_)+)")
# Where a filler opened a sentence, the word after it takes the capital.
_OPENED = "\x00"
_AT_SENTENCE_START = re.compile(r"(?:^|(?<=[.?!]))\s*$")
# A word cut off where the speaker started again, as AMI writes it: "th the shape", "c 'cause", "I th Instruction
# manuals" (never a word).
_SHORT_WORDS = frozenset(["a", "i", "o", "ah", "am", "an", "as", "at", "be", "by", "do", "go", "he", "if", "in", "is",
                          "it", "me", "my", "no", "of", "oh", "ok", "on", "or", "so", "to", "up", "us", "we"])
_CUT_OFF = re.compile(r"(?<![\w'\u2019.-])([A-Za-z][a-z]?)\s+(?=['\u2019][a-z]|(?i:\1)[a-z])")
_CUT_BEFORE_NAME = re.compile(r"(?<![\w'\u2019.-])([a-z]{1,2})\s+(?=[A-Z][a-z]{2})")
# A stammered word said twice: "I'm I'm not sure", "the the shape".
_STAMMER = re.compile(r"(?<![\w'\u2019-])(I|I'm|I'll|I've|I'd|we|we're|we'll|we've|you've|they've|the|a|an|to|it|"
                      r"it's|you|and|so|but|oh|is|are|was|in|of|on|for|with|my|our|your|this|that's|they|they're|like|just|can|will|be|if|or)"
                      r"(?:(?:,?\s+|\s*\u2014\s*)\1)+(?![\w'\u2019-])", re.IGNORECASE)
# A word begun again as its contraction: "I—I'm sorry", "it—it's".
_RESTARTED_CONTRACTION = re.compile(r"(?<![\w'\u2019-])(\w+)\s*\u2014\s*(?=(?i:\1)['\u2019]\w)")
# A contraction a tokenizer split from its word: "it 's", "I 'm", "did n't" -> "it's", "I'm", "didn't".
_SPLIT_CONTRACTION = re.compile(r"(?<=\w)\s+((?:['\u2019](?:s|m|re|ve|ll|d))|n['\u2019]t)(?![\w'\u2019])", re.IGNORECASE)
_DASH_RUN = re.compile(r"\s*\u2014(?:\s*\u2014)*\s*")


def clean_speech(text: str) -> str:
    """A turn's words as a reader expects them: no um/uh, no {vocalsound} or [laughter], "T_V_" as "TV",
    punctuation against its word, a marked restart as a dash, a capital where a filler opened a sentence."""
    starts_upper = text.lstrip()[:1].isupper()
    text = _BRACED.sub(lambda m: " \u2014 " if m.group(1).lower() in _RESTART_MARKS else " ", text)
    text = _BRACKETED_SOUND.sub(" ", text)
    text = _SPELT_LETTERS.sub(lambda m: m.group(1).replace("_", ""), text)
    text = _SPACED_PUNCTUATION.sub(r"\1", " ".join(text.split()))
    text = _SPLIT_CONTRACTION.sub(r"\1", text)
    text = _FILLER_BETWEEN_COMMAS.sub(
        lambda m: m.group(1) + (" " if m.group(1).lower() in _MID_PHRASE_WORDS else ", "), text)
    text = _FILLER_RUN.sub(lambda m: f" {_OPENED}" if _AT_SENTENCE_START.search(text, 0, m.start()) else " ", text)
    for cut in (_CUT_OFF, _CUT_BEFORE_NAME):
        text = cut.sub(lambda m: m.group(0) if m.group(1).lower() in _SHORT_WORDS else "", text)
    text = _STAMMER.sub(r"\1", text)
    text = " ".join(text.split())
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)  # "okay, um, this" leaves "okay, , this"
    text = _DASH_RUN.sub("\u2014", text)
    text = re.sub(r"\u2014(?=[.?!,;:])", "", text)
    text = re.sub(r"([,;:])\u2014", "\u2014", text)  # "the format,—sorry": one break, not two
    text = re.sub(r"([.?!])\s*\u2014\s*", r"\1 ", text)  # "Let me see. —Well": a sentence opens on its word
    text = _STAMMER.sub(r"\1", _RESTARTED_CONTRACTION.sub("", text))
    text = re.sub(rf"{_OPENED}\s*(?:{_OPENED}\s*)*(\W*)(\w)", lambda m: m.group(1) + m.group(2).upper(), text)
    text = text.replace(_OPENED, "").lstrip(" \u2014,;:.").rstrip()
    return text[:1].upper() + text[1:] if starts_upper else text


# What a listener says to keep a speaker going, without taking the floor: "Mm-hmm.", "Yeah, okay.", "Sorry."
_BACKCHANNEL_WORDS = frozenset({
    "mm-hmm", "mhm", "mm", "hmm", "uh-huh", "um-hmm", "yeah", "yes", "yep", "yup", "okay", "ok", "right", "alright",
    "sure", "sorry", "oh", "ah", "aha", "true", "exactly", "cool", "great", "good", "fine", "i", "see", "thanks",
})
BACKCHANNEL_MAX_WORDS = 4


def is_backchannel(text: str) -> bool:
    """Whether a turn only keeps the other speaker going ("Mm-hmm.", "Yeah, okay."), or is empty."""
    if "?" in text:
        return False
    found = [w.strip(".,!;:\u2014'\"").lower() for w in text.split()]
    found = [w for w in found if w]
    return len(found) <= BACKCHANNEL_MAX_WORDS and all(w in _BACKCHANNEL_WORDS for w in found)


def is_unfinished(text: str) -> bool:
    """Whether spoken words stop mid-sentence: no closing full stop, question or exclamation mark."""
    return not text.rstrip().rstrip("\"'\u201d\u2019)").endswith((".", "?", "!", "\u2026"))


def run_on_case(text: str) -> str:
    """Words that carry on a sentence begun before them: "We decided…" -> "we decided…" (not "I", not a name)."""
    first = text.split(" ", 1)[0]
    bare = first.strip(",.;:!?\u2014'\"")
    if bare[:1].isupper() and bare[1:].islower() and bare.lower() in CONTENT_STOP_WORDS and bare != "I" \
            and not bare.startswith("I'"):
        return text[:1].lower() + text[1:]
    return text


def turn_case(text: str) -> str:
    """A turn as it opens a paragraph: its first letter a capital ("yeah, great." -> "Yeah, great.")."""
    return text[:1].upper() + text[1:]
