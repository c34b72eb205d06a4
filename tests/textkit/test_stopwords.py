"""Stop words: two lists on purpose, one for content words and one for search queries."""

from __future__ import annotations

from textkit.stopwords import CONTENT_STOP_WORDS, SEARCH_STOP_WORDS, word_set


def test_the_two_lists_differ_as_documented() -> None:
    assert len(CONTENT_STOP_WORDS) == 264 and len(SEARCH_STOP_WORDS) == 267
    assert len(CONTENT_STOP_WORDS & SEARCH_STOP_WORDS) == 175
    assert {"don't", "say", "know", "going", "thing", "mr"} <= CONTENT_STOP_WORDS - SEARCH_STOP_WORDS
    assert {"afterwards", "hence", "whereupon", "perhaps"} <= SEARCH_STOP_WORDS - CONTENT_STOP_WORDS
    assert not [w for w in SEARCH_STOP_WORDS if "'" in w], "the index splits words at apostrophes"


def test_word_set_splits_on_any_whitespace() -> None:
    assert word_set(" a b\n c  a ") == frozenset({"a", "b", "c"})
