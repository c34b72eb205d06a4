"""A talk's byline or dateline under its title ("Dana Reyes, CEO. Town hall, Port Calder, 30 January 2025."):
who spoke, where and when, which is about the words and not among them."""

from __future__ import annotations

import re

from ingestion.parsers import header_date

# A byline is short; a longer opening paragraph is the talk itself.
MAX_WORDS = 50
# A dateline without any other sign ("Calder North, Port Calder, 27 September 2024.") is shorter still.
MAX_DATELINE_WORDS = 25

_ROLE = (r"chief|officer|ceo|cfo|coo|cto|president|chairman|chairwoman|chairperson|director|founder|co-founder|"
         r"vice|vp|svp|evp|minister|secretary|governor|mayor|dean|professor|chancellor")
_EVENT = (r"talk|keynote|remarks|speech|address|lecture|town hall|forum|conference|summit|meeting|all-hands|"
          r"webinar|panel|presentation|fireside|graduation|ceremony|delivered|presented|prepared for delivery")
_ROLE_WORD = re.compile(rf"\b(?:{_ROLE})\b", re.IGNORECASE)
_EVENT_WORD = re.compile(rf"\b(?:{_EVENT})\b", re.IGNORECASE)
# "… at the Halvorsen Customer Forum", "… in Port Calder": an occasion with a named place.
_AT_A_PLACE = re.compile(r"\b(?:at|in)\s+(?:the\s+)?[A-Z]")
# "By Dana Reyes", "Remarks by …", "As delivered", "Prepared remarks of …".
_LEAD = re.compile(r"^(?:By\s+[A-Z][\w.'\u2019-]*\s+[A-Z]|(?i:(?:prepared\s+)?(?:remarks|speech|address|keynote|talk|"
                   r"comments)\s+(?:by|of)\s+[A-Z]|as\s+(?:delivered|prepared)\b))")
# "Dana Reyes, Chief Executive Officer": a capitalised name of two to four words, a comma, then a role.
_NAME_THEN_ROLE = re.compile(rf"^[A-Z][\w.'\u2019-]*(?:\s+[A-Z][\w.'\u2019-]*){{1,3}},\s+(?:(?i:the)\s+)?"
                             rf"(?:[A-Z][\w&-]*\s+){{0,3}}?(?i:(?:{_ROLE})\b)")
# A sentence about someone ("Jo Park, the Assistant Secretary, will be nominated …") rather than a byline.
_AUXILIARY = re.compile(r"\b(?:is|was|are|were|be|been|being|has|have|had|having|will|would|shall|should|can|could|may|"
                        r"might|must|do|does|did)\b", re.IGNORECASE)
# An address to the audience ("Chief Justice Roberts, President Carter, …, fellow Americans: thank you.") is speech.
_GREETING = re.compile(r"\b(?:thank|thanks|fellow|friends|ladies|gentlemen|hello|welcome to|good (?:morning|afternoon|"
                       r"evening))\b", re.IGNORECASE)
# A memo's routing field ("To: All staff", "**Date:** 19 May 2025"): the memo header's, not a byline.
_ROUTING_FIELD = re.compile(r"\b(?:to|from|date|sent|subject|re|cc|bcc)\W{0,2}:", re.IGNORECASE)
# The speaker's own voice, or the audience addressed: a byline says neither "I", "we" nor "you".
_PERSONAL = re.compile(r"\b(?:you|your|yours|you're|you've|i|i'm|i've|i'd|i'll|me|my|mine|we|we're|we've|we'll|us|our|ours)\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{4}\b",
                         re.IGNORECASE)
_ENDS_WITH_DATE = re.compile(r"(?i)(?:^|[,;|\u00b7\u2013\u2014]\s*)(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
                             r"(?:\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]+\.?,?\s+\d{4}|[A-Za-z]+\.?\s+\d{1,2}(?:st|nd|rd|th)?,?"
                             r"\s+\d{4}|\d{4}-\d{2}-\d{2})\.?$")


def _has_date(text: str) -> bool:
    """Whether the text names a day ("8 October 2025", "October 8, 2025", "2025-10-08") or a month and year."""
    return header_date(text) is not None or _MONTH_YEAR.search(text) is not None


def is_byline(text: str, *, emphasised: bool = False) -> bool:
    """Whether an opening paragraph names the speaker, role, venue or date rather than saying anything.

    It must be short and never in the first person, and either wholly in italics or bold with a date, a role or an
    occasion in it; or open as a byline ("By …", "Remarks by …", "Dana Reyes, Chief Executive Officer, …"); or be a
    short dateline that ends with its date ("Calder North training yard, Port Calder, 27 September 2024.").
    """
    text = " ".join(text.split())
    words = len(text.split())
    if not text or words > MAX_WORDS or _PERSONAL.search(text) or _GREETING.search(text):
        return False
    if _ROUTING_FIELD.search(text):
        return False
    if text.endswith(("?", "!", ":")):
        return False
    if emphasised and (_has_date(text) or _ROLE_WORD.search(text)
                       or (_EVENT_WORD.search(text) and _AT_A_PLACE.search(text))):
        return True
    if _LEAD.match(text):
        return True
    if _NAME_THEN_ROLE.match(text) and not _AUXILIARY.search(text):
        # A name, not a title and a name ("Chief Justice Roberts, President Carter, …").
        return not _ROLE_WORD.search(text[:text.index(",")])
    return words <= MAX_DATELINE_WORDS and _ENDS_WITH_DATE.search(text) is not None and _has_date(text)
