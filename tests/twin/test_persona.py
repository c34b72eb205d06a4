"""Persona: curator settings over defaults, their validation, and the style profile derived from the corpus."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from service.corpus import store
from service.errors import BadInput
from service.rehearsal.rubric import validate_rubric
from service.twin.persona import (
    DEFAULT_NO_ANSWER,
    RETIRED_TOPIC_PATTERNS,
    RefusedTopic,
    build_style_profile,
    keyword_pattern,
    persona_settings,
    refresh_persona,
    validate_persona_changes,
)
from tests.twin.conftest import World, add_document

MEMOS = [
    ["Good morning, team. Customers first, always. Our renewal rate climbed again this quarter because "
     "support answered faster. Let's keep shipping. Onward together."],
    ["Good morning, team. Customers first, always. Freight volumes in the cold chain lanes doubled since "
     "spring, and reliability is why. Onward together."],
    ["Good morning, team. The cold chain lanes need more drivers before winter. Customers first, always. "
     "Reliability wins renewals. Onward together."],
    ["Good morning, team. We hired forty drivers for the cold chain lanes. Reliability is the product. "
     "Customers first, always. Onward together."],
]


def test_defaults_name_the_executive_and_refuse_the_sensitive_topics(world: World) -> None:
    persona = persona_settings(world.twin)
    assert persona.no_answer_message == DEFAULT_NO_ANSWER
    assert persona.disclaimer_text == "AI twin of Dana Reyes, built from approved sources; not Dana Reyes."
    assert {t.name for t in persona.refused_topics} == {"compensation", "layoffs", "reorganisation", "m-and-a",
                                                       "legal", "individual-performance", "health"}
    assert persona.answer_openers


def test_curator_settings_override_the_defaults(session: Session, world: World) -> None:
    changes = validate_persona_changes({
        "no_answer_message": "I haven't said anything about that yet.",
        "disclaimer": "Dana's AI stand-in ({name}); not {name} in person.",
        "refused_topics": [{"name": "roadmap", "label": "the product roadmap", "keywords": ["launch date"]}],
        "answer_openers": ["Short version:"],
    })
    store.update_persona(session, "dana", changes)
    persona = persona_settings(world.twin)
    assert persona.no_answer_message == "I haven't said anything about that yet."
    assert persona.disclaimer_text == "Dana's AI stand-in (Dana Reyes); not Dana Reyes in person."
    assert [t.name for t in persona.refused_topics] == ["roadmap"]
    assert persona.refused_topics[0].matches("What are the LAUNCH DATES for the new app?")
    openers = {persona.opener_for(q) for q in ("anything", "pricing?", "the fleet?", "why cold chain?", "vans?")}
    assert openers == {"Short version:", ""}, "the curator's opener, or none: answers do not all open alike"


def test_a_twin_stored_with_an_earlier_releases_topic_patterns_gets_the_fixed_ones(session: Session,
                                                                                      world: World) -> None:
    earlier = RETIRED_TOPIC_PATTERNS["m-and-a"][0]
    stored = {"name": "m-and-a", "label": "mergers and acquisitions", "patterns": list(earlier)}
    assert RefusedTopic(name="m-and-a", label="", patterns=earlier).matches("Are we buying electric vans?")
    store.update_persona(session, "dana", {"refused_topics": [stored]})
    (topic,) = persona_settings(world.twin).refused_topics
    assert not topic.matches("Are we buying electric vans?"), "a purchase of vans is not a deal"
    assert topic.matches("Are we buying Nordfreight?") and topic.matches("Any news on the merger?")


def test_a_twin_stored_with_the_last_releases_deal_and_reorganisation_patterns_gets_the_new_ones(
        session: Session, world: World) -> None:
    stored = [{"name": name, "label": name, "patterns": list(RETIRED_TOPIC_PATTERNS[name][-1])}
              for name in ("reorganisation", "m-and-a")]
    store.update_persona(session, "dana", {"refused_topics": stored})
    reorganisation, deals = persona_settings(world.twin).refused_topics
    assert reorganisation.matches("Is my depot going to be merged into another region?")
    assert deals.matches("Are we going to buy Corvane?")


@pytest.mark.parametrize("changes, complaint", [
    ({"favourite_colour": "blue"}, "unknown persona settings"),
    ({"style": {}}, "derived"),
    ({"no_answer_message": "   "}, "non-empty"),
    ({"no_answer_message": "x" * 1001}, "at most"),
    ({"display_name": "x" * 201}, "display_name must be at most 200"),
    ({"disclaimer": "An assistant."}, "not the executive"),
    ({"refused_topics": [{"name": "x", "patterns": ["(unclosed"]}]}, "not a valid regex"),
    ({"refused_topics": [{"name": "x", "patterns": [".*"]}]}, "matches everything"),
    ({"refused_topics": [{"name": "x"}]}, "needs keywords or patterns"),
    ({"refused_topics": [{"name": "x", "keywords": ["a"]}, {"name": "x", "keywords": ["b"]}]}, "twice"),
    ({"answer_openers": "Here goes."}, "list of text"),
    ({"rehearsal_rubric": [{"criterion": "Clarity", "weight": -1}]}, "non-negative"),
    ({}, "non-empty"),
    ({"pronoun": "it"}, "pronoun must be one of she, he, they"),
])
def test_invalid_curator_edits_are_refused_with_a_reason(changes: dict, complaint: str) -> None:
    with pytest.raises(BadInput, match=complaint):
        validate_persona_changes(changes, check_rubric=validate_rubric)


def test_topics_given_as_plain_words_become_keyword_topics() -> None:
    clean = validate_persona_changes({"refused_topics": ["office relocation"]})
    topic = RefusedTopic.from_dict(clean["refused_topics"][0])
    assert topic.matches("Are we relocating offices next year?") is False  # different words stay allowed
    assert topic.matches("What about the office relocations?")


@pytest.mark.parametrize("keyword, text", [
    ("layoff", "Are more layoffs coming?"),
    ("reorganisation", "Why are we reorganising sales?"),
    ("salary", "When are salaries reviewed?"),
    ("product roadmap", "Show me the product roadmaps"),
])
def test_keywords_match_their_inflections(keyword: str, text: str) -> None:
    import re
    assert re.search(keyword_pattern(keyword), text, re.IGNORECASE)


def test_style_profile_finds_openings_closings_phrases_and_favoured_words() -> None:
    profile = build_style_profile(MEMOS)
    assert profile.documents == 4
    assert profile.openings[0] == {"text": "Good morning, team.", "count": 4}
    assert profile.closings[0] == {"text": "Onward together.", "count": 4}
    phrases = [p["phrase"] for p in profile.signature_phrases]
    assert "customers first always" in phrases
    assert "cold chain lanes" in phrases
    favoured = [w["word"] for w in profile.favoured_words]
    assert "reliability" in favoured[:8]
    # Ordinary English words that the executive does not overuse are not "favoured".
    assert "because" not in favoured and "the" not in favoured
    assert 3 <= profile.sentence_length["median"] <= 15
    assert any("chain" in t["terms"] or "cold chain" in t["terms"] for t in profile.themes)


def test_style_profile_of_nothing_is_empty() -> None:
    profile = build_style_profile([])
    assert profile.documents == 0 and profile.signature_phrases == [] and profile.voice is None


def test_refresh_persona_stores_the_profile_from_approved_executive_words_only(session: Session,
                                                                                world: World) -> None:
    add_document(session, world.twin, "draft.md", [("Quantum teleportation will reshape freight.", None, True)],
                 title="Unapproved draft", approve=False)
    profile = refresh_persona(session, world.twin)
    stored = persona_settings(world.twin).style
    assert stored.to_dict() == profile.to_dict()
    words = {w["word"] for w in stored.favoured_words}
    assert "quantum" not in words and "teleportation" not in words  # drafts are not the executive's corpus
    assert "critics" not in words  # the interviewer's words are not theirs
    assert profile.voice is not None  # function-word profile for the voice score
    # The profile is the system's derivation, not a person's change: the audit log does not record it.
    assert "persona.update" not in {e.action for e in store.list_audit(session, twin_slug="dana")}


def test_style_profile_follows_the_approved_corpus_without_a_manual_refresh(session: Session,
                                                                            world: World) -> None:
    from service.twin.persona import fresh_persona_settings

    first = fresh_persona_settings(session, world.twin).style
    assert "teleportation" not in {w["word"] for w in first.favoured_words}
    assert fresh_persona_settings(session, world.twin).style.to_dict() == first.to_dict()
    audits = len(store.list_audit(session, twin_slug="dana"))
    assert fresh_persona_settings(session, world.twin) and len(store.list_audit(session, twin_slug="dana")) == audits, \
        "an unchanged corpus must not rebuild the profile"
    memo = add_document(session, world.twin, "quantum.md",
                        [("Quantum teleportation will reshape freight. Quantum teleportation is my bet. "
                          "I want quantum teleportation in every depot.", None, True)],
                        title="Quantum")
    assert "teleportation" in {w["word"] for w in fresh_persona_settings(session, world.twin).style.favoured_words}
    store.retire_source(session, memo.id)
    assert "teleportation" not in {w["word"] for w in fresh_persona_settings(session, world.twin).style.favoured_words}


def test_the_pronoun_defaults_to_they_and_a_curator_may_set_she_or_he(session: Session, world: World) -> None:
    assert persona_settings(world.twin).pronoun == "they" and persona_settings(world.twin).possessive == "their"
    store.update_persona(session, world.twin.slug, validate_persona_changes({"pronoun": "she"}))
    assert persona_settings(world.twin).possessive == "her"
    assert persona_settings(world.twin).to_dict()["pronoun"] == "she"


def test_the_demo_executive_is_she(session: Session) -> None:
    from pathlib import Path

    from service.cli.demo import create_demo_twin, load_demo_twin

    spec = load_demo_twin(Path(__file__).resolve().parents[2] / "examples" / "dana-reyes")
    create_demo_twin(session, spec)
    twin = store.get_twin(session, spec["slug"])
    assert persona_settings(twin).possessive == "her"  # "Stands on: her words" on the demo


def test_a_twin_stored_before_the_review_and_merged_regions_patterns_gets_them(session: Session,
                                                                              world: World) -> None:
    stored = [{"name": name, "label": name, "patterns": list(RETIRED_TOPIC_PATTERNS[name][index])}
              for name, index in (("reorganisation", -1), ("individual-performance", 0))]
    store.update_persona(session, "dana", {"refused_topics": stored})
    reorganisation, performance = persona_settings(world.twin).refused_topics
    assert reorganisation.matches("Are the regions being merged?")
    assert performance.matches("How did Hannah Cole do in her last review?")
    assert performance.matches("Is the Ashby Road depot manager going to be fired for the bad numbers?")


def test_a_twin_stored_with_the_review_patterns_gets_the_role_named_one(session: Session, world: World) -> None:
    stored = [{"name": "individual-performance", "label": "performance",
               "patterns": list(RETIRED_TOPIC_PATTERNS["individual-performance"][-1])}]
    store.update_persona(session, "dana", {"refused_topics": stored})
    performance, = persona_settings(world.twin).refused_topics
    assert performance.matches("Is the Ashby Road depot manager going to be fired for the bad numbers?")


def test_a_twin_stored_with_the_earlier_deal_patterns_gets_the_rumoured_deal_in_other_words(
        session: Session, world: World) -> None:
    stored = [{"name": "m-and-a", "label": "deals", "patterns": list(RETIRED_TOPIC_PATTERNS["m-and-a"][-1])}]
    store.update_persona(session, "dana", {"refused_topics": stored})
    deals, = persona_settings(world.twin).refused_topics
    assert deals.matches("People say we're about to snap up a refrigerated haulier up north. Is that true?")
