"""The messaging-gap map with the embedded model: themes by meaning, names, dates, audiences, links, privacy."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.models import User
from service.errors import BadInput, NotFound
from service.twin import gaps
from service.twin.engine import answer_question
from tests.twin.conftest import World, add_document

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
# Everyday wordings written for these tests: three themes that share few words within a theme.
PARKING = ["Is the company going to pay for parking near the new office?",
           "Will staff get free car park spaces at the new building?",
           "Do I have to pay for my own parking spot when we move?",
           "Is there a parking allowance for people who drive in?"]
PENSION = ["When can I join the company pension scheme?",
           "Do new hires get a pension straight away?",
           "Is there an employer contribution to our pensions?"]
VACATION = ["How many vacation days do we get this year?",
            "How many days of holiday do I get per year?",
            "What's the yearly vacation allowance?"]


def employees(session: Session, n: int, audiences: list[str] | None = None, prefix: str = "asker") -> list[User]:
    return [store.add_user(session, f"{prefix}{i}@example.com", audiences=audiences or [])[0] for i in range(n)]


def log(session: Session, world: World, question: str, *, user: User | None = None, days_ago: float = 1,
        grounded: bool = False, refused: str | None = None, now: dt.datetime = NOW) -> None:
    """One recorded answer, as the engine records it, dated `days_ago` before `now`."""
    row = store.record_interaction(session, twin=world.twin, user_id=user.id if user else None, question=question,
                                   answer="I have not spoken to that.", conversation_id="c", passages=[],
                                   mode="extractive", grounded=grounded, latency_ms=1.0, refused_topic=refused)
    row.created_at = now - dt.timedelta(days=days_ago)
    session.flush()


def themes_by_members(found: gaps.GapMap) -> list[set[str]]:
    return [set(t.members) for t in found.themes]


def test_rewordings_group_together_and_distinct_themes_stay_apart(session: Session, settings: Settings,
                                                                   world: World) -> None:
    people = employees(session, 3)
    for i, question in enumerate(PARKING + PENSION + VACATION):
        log(session, world, question, user=people[i % 3], days_ago=i)
    found = gaps.gap_map(session, settings, world.twin, now=NOW)
    assert found.grouping == "meaning"
    assert sorted(themes_by_members(found), key=len, reverse=True) == [set(PARKING), set(PENSION), set(VACATION)]
    again = gaps.gap_map(session, settings, world.twin, now=NOW)
    assert [t.to_dict(again.weeks) for t in again.themes] == [t.to_dict(found.weeks) for t in found.themes]


def test_a_theme_is_named_by_a_phrase_of_its_most_central_question(session: Session, settings: Settings,
                                                                   world: World) -> None:
    for i, question in enumerate(PARKING):
        log(session, world, question, days_ago=i)
    (theme,) = gaps.gap_map(session, settings, world.twin, now=NOW).themes
    assert theme.question in PARKING and theme.examples[0] == theme.question
    assert theme.name.lower() in theme.question.lower()  # words as asked, in their order: not a keyword bag
    assert "parking" in theme.name.lower() or "car park" in theme.name.lower()
    assert 1 < len(theme.name.split()) <= gaps.NAME_MAX_WORDS
    assert theme.name[0].isupper()


def test_counts_first_and_last_asked_and_the_weekly_trend(session: Session, settings: Settings,
                                                          world: World) -> None:
    for days_ago in (40, 33, 3, 2, 1):
        log(session, world, PENSION[days_ago % 3], days_ago=days_ago)
    found = gaps.gap_map(session, settings, world.twin, now=NOW)
    (theme,) = found.themes
    assert theme.count == 5 and theme.wordings == 3
    assert theme.first_asked == NOW - dt.timedelta(days=40) and theme.last_asked == NOW - dt.timedelta(days=1)
    assert found.weeks[0] == gaps.week_of(NOW - dt.timedelta(days=40)) and found.weeks[-1] == gaps.week_of(NOW)
    assert all(w.weekday() == 0 for w in found.weeks) and sum(theme.weekly) == 5
    assert theme.trend == "rising"  # three in the last two weeks, none in the two before
    recent = gaps.gap_map(session, settings, world.twin, now=NOW, since=(NOW - dt.timedelta(days=10)).date())
    assert recent.themes[0].count == 3 and recent.themes[0].trend == "new"


def test_answered_questions_and_refused_topics_are_not_gaps(session: Session, settings: Settings,
                                                            world: World) -> None:
    log(session, world, VACATION[0])
    log(session, world, "Why did you choose cold chain?", grounded=True)
    log(session, world, "Are we acquiring our rival?", refused="deals in progress")
    found = gaps.gap_map(session, settings, world.twin, now=NOW)
    assert [t.members for t in found.themes] == [[VACATION[0]]] and found.questions == 1


def test_the_real_engine_logs_what_the_sources_cannot_answer(session: Session, settings: Settings,
                                                             world: World) -> None:
    for question in ("Why did you go into cold chain?", PARKING[0], PARKING[1], "thanks!", "Hi Dana"):
        answer_question(session, settings, "dana", question, world.employee)
    found = gaps.gap_map(session, settings, world.twin)
    assert [set(t.members) for t in found.themes] == [{PARKING[0], PARKING[1]}]


def test_audiences_are_hidden_below_five_askers_and_who_asked_never_appears(session: Session, settings: Settings,
                                                                           world: World) -> None:
    sales = employees(session, 6, ["sales"], prefix="seller")
    solo = employees(session, 1, ["finance"], prefix="solo")[0]
    for i, question in enumerate(PARKING + PARKING[:2]):
        log(session, world, question, user=sales[i], days_ago=i)  # six people
    for i, question in enumerate(PENSION * 2):
        log(session, world, question, user=solo, days_ago=i)  # one person, six times
    for i, question in enumerate(VACATION + VACATION[:1]):
        log(session, world, question, user=sales[i], days_ago=i)  # four people
    found = gaps.gap_map(session, settings, world.twin, now=NOW)
    by_topic = {frozenset(t.members): t for t in found.themes}
    parking, pension, vacation = by_topic[frozenset(PARKING)], by_topic[frozenset(PENSION)], by_topic[frozenset(VACATION)]
    assert parking.askers == 6 and parking.audiences == [{"audience": "sales", "askers": 6}]
    assert pension.count == 6 and pension.askers == 1 and pension.audiences is None
    assert vacation.askers == 4 and vacation.audiences is None
    exported = json.dumps(found.to_dict()) + found.to_csv()
    for user in [*sales, solo]:
        assert user.email not in exported
        assert f'"asker": {user.id}' not in exported
    assert "asker\"" not in exported and "user_id" not in exported and "interaction" not in exported


def test_an_audience_held_by_fewer_than_five_askers_is_pooled(session: Session, settings: Settings,
                                                              world: World) -> None:
    sales = employees(session, 5, ["sales"], prefix="seller")
    board = employees(session, 2, ["board"], prefix="director")
    for i, user in enumerate(sales + board):
        log(session, world, PARKING[i % 4], user=user, days_ago=i)
    found = gaps.gap_map(session, settings, world.twin, now=NOW)
    (theme,) = found.themes
    assert theme.audiences == [{"audience": "sales", "askers": 5}, {"audience": gaps.OTHER_AUDIENCES, "askers": 2}]
    assert "board" not in json.dumps(found.to_dict())


def test_the_csv_export_has_one_row_per_theme_with_weekly_counts(session: Session, settings: Settings,
                                                                 world: World) -> None:
    for i, question in enumerate(PARKING + VACATION):
        log(session, world, question, days_ago=3 * i)
    found = gaps.gap_map(session, settings, world.twin, now=NOW)
    rows = list(csv.DictReader(io.StringIO(found.to_csv())))
    assert [r["theme"] for r in rows] == [t.name for t in found.themes]
    assert [int(r["questions"]) for r in rows] == [4, 3]
    weeks = [k for k in rows[0] if k.startswith("week_")]
    assert weeks == [f"week_{w.isoformat()}" for w in found.weeks]
    assert all(sum(int(r[w]) for w in weeks) == int(r["questions"]) for r in rows)
    assert rows[0]["audiences"].startswith("hidden") and rows[0]["status"] == "open"
    assert PARKING[0] in rows[0]["example_questions"] or PARKING[1] in rows[0]["example_questions"]


def test_a_theme_linked_to_a_source_follows_up_later_questions(session: Session, settings: Settings,
                                                               world: World) -> None:
    today = dt.datetime.now(dt.UTC)
    for i, question in enumerate(PARKING[:3]):
        log(session, world, question, days_ago=10 + i, now=today)
    log(session, world, VACATION[0], days_ago=10, now=today)
    found = gaps.gap_map(session, settings, world.twin)
    parking = next(t for t in found.themes if PARKING[0] in t.members)
    draft = add_document(session, world.twin, "parking-draft.md", [("Parking is free at every depot.", None, True)],
                         title="Parking (draft)", approve=False)
    with pytest.raises(BadInput, match="approved"):
        gaps.link_theme(session, settings, world.twin, parking.key, draft.id, actor="curator@example.com")
    with pytest.raises(NotFound):
        gaps.link_theme(session, settings, world.twin, "no-such-theme", world.sources["cold"].id, actor="c")
    board = world.sources["board"]
    with pytest.raises(NotFound):  # a curator who may not read the source cannot link it
        gaps.link_theme(session, settings, world.twin, parking.key, board.id, actor="c", viewer=world.employee)
    memo = add_document(session, world.twin, "parking.md",
                        [("Parking at the new office is free for everyone who drives in.", None, True)],
                        title="Parking at the new office")
    link = gaps.link_theme(session, settings, world.twin, parking.key, memo.id, actor="curator@example.com")
    assert link.name == parking.name and link.source_id == memo.id
    # Every wording of the theme now counts as answered by that source in the unanswered list.
    reviews = store.question_reviews(session, world.twin)
    assert {store.question_key(q) for q in PARKING[:3]} <= set(reviews)
    assert all(reviews[store.question_key(q)].source_id == memo.id for q in PARKING[:3])
    # Later: one question that means the same goes unanswered, one is answered; an unrelated one is not counted.
    after = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    log(session, world, PARKING[3], days_ago=0, now=after)
    log(session, world, "Can we park for free at the new office?", days_ago=0, grounded=True, now=after)
    log(session, world, VACATION[1], days_ago=0, now=after)
    later = gaps.gap_map(session, settings, world.twin, now=after)
    theme = next(t for t in later.themes if PARKING[0] in t.members)
    assert theme.status == "answered-since" and theme.link is not None
    assert (theme.link.asked_since, theme.link.answered_since) == (2, 1)
    assert next(t for t in later.themes if VACATION[0] in t.members).status == "open"
    assert "answered-since" in later.to_csv()
    store.remove_gap_theme_link(session, world.twin, link.id, actor="curator@example.com")
    reopened = gaps.gap_map(session, settings, world.twin)
    assert all(t.status == "open" for t in reopened.themes) and reopened.links == []
    actions = [e.action for e in store.list_audit(session, twin_slug="dana")]
    assert "gaps.link" in actions and "gaps.unlink" in actions


def test_a_theme_of_one_wording_asked_in_lower_case_is_named_as_a_heading(session: Session, settings: Settings,
                                                                           world: World) -> None:
    log(session, world, "is the office pet friendly", days_ago=1)
    (theme,) = gaps.gap_map(session, settings, world.twin, now=NOW).themes
    assert theme.name == "Is the office pet friendly" and theme.question == "is the office pet friendly"
    (plain,) = gaps.gap_map(session, settings.replace(embeddings_model="off"), world.twin, now=NOW).themes
    assert plain.name == "Is the office pet friendly"


def test_with_the_model_off_questions_are_grouped_by_their_words(session: Session, settings: Settings,
                                                                 world: World) -> None:
    log(session, world, "Is parking free?", days_ago=2)
    log(session, world, "is PARKING free", days_ago=1)
    log(session, world, PARKING[1], days_ago=1)
    found = gaps.gap_map(session, settings.replace(embeddings_model="off"), world.twin, now=NOW)
    assert found.grouping == "wording"
    assert sorted(t.count for t in found.themes) == [1, 2]


def test_key_phrases_stand_on_phrase_boundaries() -> None:
    candidates = gaps.key_phrase_candidates("When will this year's performance bonuses be paid out?")
    assert "year's performance bonuses" in candidates
    assert "bonuses be paid" not in candidates and "will this" not in candidates
    assert gaps.sparkline([0, 1, 4]) == " ▂█" and gaps.sparkline([0, 0]) == "··"


def test_a_question_that_stood_on_a_source_the_curator_may_not_read_is_left_out(session: Session,
                                                                                 settings: Settings,
                                                                                 world: World) -> None:
    board = world.sources["board"]
    row = store.record_interaction(session, twin=world.twin, user_id=None, question="Where will the second hub be?",
                                   answer="", conversation_id="c", mode="extractive", grounded=False, latency_ms=1.0,
                                   passages=[{"passage_id": 1, "source_id": board.id, "version": 1, "n": None}])
    row.created_at = NOW - dt.timedelta(days=1)
    log(session, world, PARKING[0])
    everything = gaps.gap_map(session, settings, world.twin, now=NOW)
    assert everything.questions == 2
    seen = gaps.gap_map(session, settings, world.twin, now=NOW, viewer=world.employee)
    assert [t.members for t in seen.themes] == [[PARKING[0]]]
    assert [t.members for t in gaps.gap_map(session, settings, world.twin, now=NOW, viewer=world.board).themes] != \
        [[PARKING[0]]]


def test_a_question_that_looks_like_a_formula_stays_text_in_the_csv(session: Session, settings: Settings,
                                                                    world: World) -> None:
    log(session, world, '=HYPERLINK("http://example.com","Is parking free?")')
    rows = list(csv.reader(io.StringIO(gaps.gap_map(session, settings, world.twin, now=NOW).to_csv())))
    assert rows[1][0].startswith("'=") and rows[1][8].startswith("'=")


def test_a_link_stays_with_its_theme_and_never_passes_to_a_neighbour(session: Session, settings: Settings,
                                                                     world: World) -> None:
    today = dt.datetime.now(dt.UTC)
    for i, question in enumerate(PARKING):
        log(session, world, question, days_ago=20 + i, now=today)
    for i, question in enumerate(VACATION):
        log(session, world, question, days_ago=1 + i, now=today)
    parking = next(t for t in gaps.gap_map(session, settings, world.twin).themes if PARKING[0] in t.members)
    gaps.link_theme(session, settings, world.twin, parking.key, world.sources["cold"].id, actor="c")
    recent = gaps.gap_map(session, settings, world.twin, since=(today - dt.timedelta(days=10)).date())
    assert [t.status for t in recent.themes] == ["open"]  # the parking questions are outside the window
    assert [link.name for link in recent.links] == [parking.name]
