"""Voice score: profiles, Delta, and that an author's own text scores closer than another's."""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from service.twin import voice
from service.twin.voice import VoiceProfile, build_voice_profile, burrows_delta, voice_score
from textkit.words import word_tokens

TOPICS = ["budget", "customers", "factory", "pricing", "hiring plan", "quarter", "launch", "supply chain",
          "board", "margin", "roadmap", "partners", "contract", "forecast", "team"]

# A formal writer: third person and "we", "shall", "upon", "which", "thus", long subordinate clauses.
FORMAL = [
    "It is upon the {a} that the success of the {b} shall depend, and thus we must consider it with care.",
    "The {a}, which has been the subject of much discussion, shall be reviewed by the board before the {b}.",
    "We shall therefore examine whether the {a} is consistent with the {b} of the company.",
    "Such questions of the {a} are not to be settled in haste, for the {b} has its own demands.",
    "It may be observed that the {a} and the {b} are, in their nature, connected with one another.",
    "Whether the {a} shall be extended is a matter upon which the {b} must be consulted.",
    "The interests of the {a} are thus bound to those of the {b}, and neither can be neglected.",
    "Of all the considerations which bear upon the {a}, none is more important than the {b}.",
]
# A chatty speaker: "I", "you", contractions, "just", "really", "so", "gonna"-style talk.
CHATTY = [
    "I just think you don't really get the {a} until you're in the room with the {b}.",
    "So I'm gonna be honest with you: I love the {a}, and I can't wait to see what you do with the {b}.",
    "You know, I've said it before, but it's really about the {a} and it's about you and me.",
    "I don't know about you, but I'm pretty excited, so let's just get the {a} done and then the {b}.",
    "Honestly, I'd say you're doing great on the {a}, and I'm sure you'll nail the {b} too.",
    "Look, I get it, you're busy, but I really need you on the {a} this week, okay?",
    "I mean, we're not there yet, but I'm telling you, the {a} is gonna be huge for you and me.",
    "And so I said to myself, I'm just gonna call you and talk about the {b}, because I can't wait.",
]


def write(bank: list[str], words: int, seed: int) -> str:
    """Text of about `words` words from one author's sentence bank, on the shared topics."""
    rng = random.Random(seed)
    sentences: list[str] = []
    count = 0
    while count < words:
        sentence = rng.choice(bank).format(a=rng.choice(TOPICS), b=rng.choice(TOPICS))
        sentences.append(sentence)
        count += len(sentence.split())
    return " ".join(sentences)


@pytest.fixture(scope="module")
def formal_profile() -> VoiceProfile:
    return build_voice_profile([write(FORMAL, 400, seed) for seed in range(15)])


@pytest.fixture(scope="module")
def chatty_profile() -> VoiceProfile:
    return build_voice_profile([write(CHATTY, 400, seed) for seed in range(15)])


def test_function_word_profile_is_relative_frequency() -> None:
    words = ["the", "and", "of"]
    profile = voice.function_word_profile("The cat and the dog", words)
    assert profile.tolist() == pytest.approx([0.4, 0.2, 0.0])
    assert voice.function_word_profile(["the", "cat", "and", "the", "dog"], words).tolist() == profile.tolist()
    assert voice.function_word_profile("", words).tolist() == [0.0, 0.0, 0.0]


def test_shipped_word_list_has_common_function_words_and_generic_frequencies() -> None:
    assert 150 <= len(voice.FUNCTION_WORDS) <= 300
    assert len(set(voice.FUNCTION_WORDS)) == len(voice.FUNCTION_WORDS)
    assert {"the", "of", "and", "i", "we", "you", "would", "upon", "don't"} <= set(voice.FUNCTION_WORDS)
    frequencies = dict(zip(voice.FUNCTION_WORDS, voice.generic_frequencies(), strict=True))
    assert all(0 < f < 0.1 for f in frequencies.values())
    assert frequencies["the"] > frequencies["of"] > frequencies["upon"]


@pytest.mark.parametrize("method", ["burrows", "cosine", "quadratic"])
def test_burrows_delta_prefers_the_matching_author(method: voice.DeltaMethod) -> None:
    docs = {bank: [voice.function_word_profile(write(texts, 300, seed)) for seed in range(6)]
            for bank, texts in (("formal", FORMAL), ("chatty", CHATTY))}
    means, stds = voice.feature_statistics(np.array(docs["formal"][1:] + docs["chatty"][1:]))
    centroids = {bank: np.mean(profiles[1:], axis=0) for bank, profiles in docs.items()}
    for bank in docs:
        deltas = burrows_delta(docs[bank][0], centroids, means, stds, method=method)
        assert min(deltas, key=lambda name: deltas[name]) == bank
    same = burrows_delta(centroids["formal"], {"itself": centroids["formal"]}, means, stds, method=method)
    assert same["itself"] == pytest.approx(0.0, abs=1e-12)


def test_burrows_delta_leaves_out_words_nobody_used_and_rejects_unknown_methods() -> None:
    means, stds = np.array([0.1, 0.0]), np.array([0.05, 0.0])
    deltas = burrows_delta(np.array([0.2, 0.3]), {"a": np.array([0.1, 0.0])}, means, stds)
    assert deltas["a"] == pytest.approx(2.0)
    with pytest.raises(ValueError):
        burrows_delta(np.array([0.2, 0.3]), {"a": np.array([0.1, 0.0])}, means, stds, method="euclid")  # type: ignore[arg-type]


def test_own_text_scores_closer_than_another_authors(formal_profile: VoiceProfile,
                                                     chatty_profile: VoiceProfile) -> None:
    for profile, own_bank, other_bank in ((formal_profile, FORMAL, CHATTY), (chatty_profile, CHATTY, FORMAL)):
        for seed in (101, 102, 103):
            own = voice_score(profile, write(own_bank, 200, seed))
            other = voice_score(profile, write(other_bank, 200, seed))
            assert own.delta < other.delta
            assert own.score > other.score
            assert own.reliable and other.reliable


def test_typical_own_text_scores_mid_range_and_another_author_near_zero(formal_profile: VoiceProfile) -> None:
    own = [voice_score(formal_profile, write(FORMAL, 200, seed)).score for seed in range(200, 220)]
    other = [voice_score(formal_profile, write(CHATTY, 200, seed)).score for seed in range(200, 220)]
    assert 0.2 < float(np.median(own)) < 0.9
    assert max(other) < 0.05


def test_short_texts_are_flagged_unreliable(formal_profile: VoiceProfile) -> None:
    short = voice_score(formal_profile, "We shall consider the budget upon which the board depends.")
    assert short.words == 10
    assert not short.reliable
    assert 0.0 <= short.score <= 1.0
    empty = voice_score(formal_profile, "")
    assert empty.words == 0 and not empty.reliable and 0.0 <= empty.score <= 1.0
    assert voice_score(formal_profile, write(FORMAL, 60, 7)).reliable


def test_a_corpus_too_small_to_calibrate_is_never_reliable() -> None:
    profile = build_voice_profile([write(FORMAL, 150, 1)])
    assert profile.calibration == {}
    result = voice_score(profile, write(FORMAL, 300, 2))
    assert not result.reliable
    assert 0.0 <= result.score <= 1.0


def test_profile_round_trips_through_json(formal_profile: VoiceProfile) -> None:
    restored = VoiceProfile.from_dict(json.loads(json.dumps(formal_profile.to_dict())))
    assert restored == formal_profile
    text = write(CHATTY, 250, 9)
    assert voice_score(restored, text) == voice_score(formal_profile, text)


def test_from_dict_rejects_other_versions_and_ragged_tables(formal_profile: VoiceProfile) -> None:
    data = formal_profile.to_dict()
    with pytest.raises(ValueError):
        VoiceProfile.from_dict({**data, "version": 99})
    with pytest.raises(ValueError):
        VoiceProfile.from_dict({**data, "frequencies": data["frequencies"][:-1]})


def test_score_is_deterministic_and_bounded(formal_profile: VoiceProfile, chatty_profile: VoiceProfile) -> None:
    texts = [write(FORMAL, n, n) for n in (30, 80, 500, 3000)] + [write(CHATTY, n, n) for n in (30, 80, 500, 3000)]
    texts.append("the the the the the " * 40)
    for profile in (formal_profile, chatty_profile):
        for text in texts:
            first, second = voice_score(profile, text), voice_score(profile, text)
            assert first == second
            assert 0.0 <= first.score <= 1.0
            assert 0.0 <= first.delta <= 2.0
            assert json.loads(json.dumps(first.to_dict()))["words"] == first.words


def test_building_is_deterministic_and_refuses_empty_input() -> None:
    texts = [write(CHATTY, 400, seed) for seed in range(5)]
    assert build_voice_profile(texts) == build_voice_profile(texts)
    with pytest.raises(ValueError):
        build_voice_profile(["", "  ...  "])


def test_same_genre_background_is_recorded_and_centres_the_profile() -> None:
    background = [write(CHATTY, 400, seed) for seed in range(40, 45)]
    profile = build_voice_profile([write(FORMAL, 400, seed) for seed in range(5)], background_texts=background)
    assert profile.background_words == sum(len(word_tokens(t)) for t in background)
    assert VoiceProfile.from_dict(json.loads(json.dumps(profile.to_dict()))) == profile
    you = profile.words.index("you")
    assert profile.background_means[you] > voice.generic_frequencies()[you]
    assert voice_score(profile, write(FORMAL, 200, 77)).score > voice_score(profile, write(CHATTY, 200, 77)).score


def _federalist(shared_data: Path) -> dict[str, list[str]]:
    csv.field_size_limit(sys.maxsize)
    papers: dict[str, list[str]] = {"Hamilton": [], "Madison": []}
    with (shared_data / "federalist" / "labels.tsv").open(encoding="utf-8", newline="") as handle:
        for _number, author, text in csv.reader(handle, delimiter="\t"):
            if author in papers:
                papers[author].append(text)
    return papers


def test_federalist_hamilton_and_madison_are_told_apart(shared_data: Path) -> None:
    """Burrows' Delta on the shipped list: most held-out papers go to their author."""
    papers = _federalist(shared_data)
    profiles = {a: [voice.function_word_profile(t) for t in texts] for a, texts in papers.items()}
    right = total = 0
    for author in profiles:
        for i in range(0, len(profiles[author]), 3):
            train = {a: [p for j, p in enumerate(ps) if a != author or j != i] for a, ps in profiles.items()}
            means, stds = voice.feature_statistics(np.array(train["Hamilton"] + train["Madison"]))
            centroids = {a: np.mean(ps, axis=0) for a, ps in train.items()}
            deltas = burrows_delta(profiles[author][i], centroids, means, stds)
            right += min(deltas, key=lambda a: deltas[a]) == author
            total += 1
    assert right / total >= 0.9


def test_federalist_voice_score_ranks_madison_below_hamilton_profile(shared_data: Path) -> None:
    """A Hamilton profile from half his papers scores his other half above Madison's papers on average."""
    papers = _federalist(shared_data)
    profile = build_voice_profile(papers["Hamilton"][::2])
    own = [voice_score(profile, t).delta for t in papers["Hamilton"][1::2]]
    other = [voice_score(profile, t).delta for t in papers["Madison"]]
    assert float(np.mean(own)) < float(np.mean(other))
    assert float(np.median(own)) < float(np.median(other))
