"""Adding the executive's transcript labels after the fact: stored passages re-attributed, the style profile rebuilt."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingestion.pipeline import parse_bytes
from service.corpus import store
from service.corpus.models import Passage
from service.twin.labels import change_speaker_labels, source_label_hints
from service.twin.persona import fresh_persona_settings

PANEL = b"""THE CEO: Reliability first, then speed. Honestly, we measure it the way the customer feels it, every day.

MODERATOR: What about cost?

THE CEO: Honestly, cost follows reliability. A late pallet costs us three times what an early one does.

MODERATOR: Thank you.
"""


def executive_flags(session: Session, source_id: int) -> list[tuple[str | None, bool]]:
    return [(speaker, bool(flag)) for speaker, flag in session.execute(
        select(Passage.speaker, Passage.executive).where(Passage.source_id == source_id).order_by(Passage.ordinal))]


def test_adding_a_label_flips_stored_flags_and_rebuilds_the_style_profile(session: Session) -> None:
    twin = store.create_twin(session, "dana", "Dana Reyes")
    doc = parse_bytes(PANEL, "panel.txt", speaker_labels=twin.speaker_labels)
    source = store.add_source(session, twin, doc, approve=True).source
    assert source_label_hints(session, twin, [source.id])[source.id]["label"] == "THE CEO"
    before = fresh_persona_settings(session, twin).style.to_dict()
    change = change_speaker_labels(session, twin, add=["the ceo"], actor="curator@example.com")
    assert change.speaker_labels[-1] == "the ceo"
    assert (change.reattributed.sources, change.reattributed.to_executive) == (1, 2)
    assert executive_flags(session, source.id) == [("THE CEO", True), ("MODERATOR", False), ("THE CEO", True),
                                                   ("MODERATOR", False)]
    assert source_label_hints(session, twin, [source.id]) == {}
    after = fresh_persona_settings(session, twin).style.to_dict()
    assert before["words"] == 0 and after["words"] > 20
    again = change_speaker_labels(session, twin, add=["THE CEO"])  # the same label in other spelling: no change
    assert again.reattributed.to_executive == 0 and len(again.speaker_labels) == len(change.speaker_labels)


RALLY = b"""Thank you all for coming out on a cold morning. I want to talk about why we are opening the Eastgate depot,
and what it means for the people who work there. Eastgate puts forty new vans within ten minutes of our biggest
customers.

AUDIENCE MEMBER: Will there be night shifts?

CEO REYES: Not in the first year. We staff days first and add nights only when volume proves it.

AUDIENCE MEMBER: And the vans?

CEO REYES: Electric where the routes are short.
"""


def test_adding_the_label_of_her_replies_also_gives_her_the_speech_before_them(session: Session) -> None:
    twin = store.create_twin(session, "dana", "Dana Reyes")
    doc = parse_bytes(RALLY, "rally.txt", speaker_labels=twin.speaker_labels)
    source = store.add_source(session, twin, doc, approve=True).source
    assert not any(flag for _, flag in executive_flags(session, source.id))
    change = change_speaker_labels(session, twin, add=["CEO REYES"])
    assert executive_flags(session, source.id) == [(None, True), ("AUDIENCE MEMBER", False), ("CEO REYES", True),
                                                   ("AUDIENCE MEMBER", False), ("CEO REYES", True)]
    assert change.reattributed.to_executive == 3
    change_speaker_labels(session, twin, remove=["CEO REYES"])
    assert not any(flag for _, flag in executive_flags(session, source.id))


def test_an_email_from_someone_else_becomes_the_executives_when_their_address_is_added(session: Session) -> None:
    twin = store.create_twin(session, "dana", "Dana Reyes")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "D. R. <ceo-office@example.com>", "all@example.com", "Vans"
    message.set_content("We electrify the urban vans first, depot by depot.\n")
    doc = parse_bytes(bytes(message), "vans.eml", speaker_labels=twin.speaker_labels)
    source = store.add_source(session, twin, doc).source
    assert executive_flags(session, source.id) == [("D. R.", False)]
    change_speaker_labels(session, twin, add=["ceo-office@example.com"])
    assert executive_flags(session, source.id) == [("D. R.", True)]


DESIGN_MEETING = b"""Marketing: Our survey says people want fewer buttons and a menu on the screen, and they will pay more for a
remote that looks good, so the case matters as much as what is inside it.
Project Manager: We keep it to the TV only.
Marketing: Then we lose the people who want one remote for everything, and that is a big part of the market.
Project Manager: The budget decides that for us.
Marketing: Fine.
"""


def test_the_hint_names_the_label_that_is_the_twins_title_before_the_busiest_one(session: Session) -> None:
    twin = store.create_twin(session, "sam", "Sam Ortiz", title="Project Manager")
    doc = parse_bytes(DESIGN_MEETING, "design-meeting.txt", speaker_labels=twin.speaker_labels)
    source = store.add_source(session, twin, doc, approve=True).source
    hint = source_label_hints(session, twin, [source.id])[source.id]
    assert hint["label"] == "Project Manager"
    assert hint["message"].startswith("Project Manager: ") and hint["message"].endswith("Is that Sam Ortiz?")
    # Without a title that is a label, the label with most words is still the one named.
    other = store.create_twin(session, "lee", "Lee Park", title="CEO")
    doc = parse_bytes(DESIGN_MEETING, "design-meeting.txt", speaker_labels=other.speaker_labels)
    source = store.add_source(session, other, doc, approve=True).source
    assert source_label_hints(session, other, [source.id])[source.id]["label"] == "Marketing"
    # A role reads the same with or without "The": a twin titled "Chair" is asked about "The Chair".
    chair = store.create_twin(session, "kim", "Kim Ode", title="Chair")
    doc = parse_bytes(DESIGN_MEETING.replace(b"Project Manager:", b"The Chair:"), "board.txt",
                      speaker_labels=chair.speaker_labels)
    source = store.add_source(session, chair, doc, approve=True).source
    assert source_label_hints(session, chair, [source.id])[source.id]["label"] == "The Chair"
