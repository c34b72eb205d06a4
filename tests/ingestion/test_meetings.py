"""Meeting transcripts as people record them: fillers, transcribers' marks, and a speaker resumed after "Mm-hmm."."""

from __future__ import annotations

import re
from pathlib import Path

from ingestion.model import ParsedDocument, ParsedPassage
from ingestion.pipeline import parse_path
from ingestion.speakers import is_executive_speaker

# A meeting recorded the way AMI-style corpora print it: tokenizer spacing, {vocalsound} marks, um/uh, T_V_.
MEETING_TXT = """\
Project Manager: Um , right , this is our second meeting .
Marketing: {vocalsound}
Project Manager: I'll go over what we decided last meeting ,
User Interface: Mm-hmm .
Project Manager: um , we decided upon a universal control , one handset for T_V_ and video .
Industrial Designer: {gap}
Project Manager: Uh the budget is tight , so we take the cheaper option {disfmarker} the one that does the same thing .
Marketing: Could we add a {vocalsound} speaker to find a lost remote ?
Project Manager: Th the beeper goes on the T_V_ , you press it and the remote beeps .
User Interface: Yeah .
Marketing: Should the case come in colours ?
Project Manager: Yes , different fascias like mobile phones {disfmarker} people pay more for it to look good .
"""

MEETING_VTT = """\
WEBVTT

00:00:12.000 --> 00:00:18.000
<v Priya Nair>Uh, so the Leeds warehouse missed its pick rate target three weeks running,

00:00:18.000 --> 00:00:19.000
<v Marco Diaz>Mm-hmm.

00:00:19.500 --> 00:00:26.000
<v Priya Nair>and I want a recovery plan from the site lead by Friday. [laughter]

00:00:26.500 --> 00:00:33.000
<v Jo Okafor>Um, the scanner vendor says the patch lands next Tuesday.

00:00:33.500 --> 00:00:40.000
<v Priya Nair>Um, if the patch slips again, we switch vendors.
"""


def parsed(tmp_path: Path, name: str, body: str, speaker: str) -> ParsedDocument:
    """A transcript written to disk and parsed as the CLI does."""
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return parse_path(path, speaker_labels=[speaker])


def passage_with(document: ParsedDocument, words: str) -> ParsedPassage:
    """The one passage whose text contains `words`."""
    found = [p for p in document.passages if words in p.text]
    assert len(found) == 1, f"{words!r} in {len(found)} passages: {[p.text for p in document.passages]}"
    return found[0]


def test_fillers_and_transcribers_marks_are_not_quoted_as_words(tmp_path: Path) -> None:
    document = parsed(tmp_path, "design-meeting.txt", MEETING_TXT, "Project Manager")
    text = "\n".join(p.text for p in document.passages)
    for noise in ("{", "}", "Um", "um ", "Uh", " ,", " .", " ?", "T_V_", "Th the"):
        assert noise not in text, noise
    assert passage_with(document, "this is our second meeting").text.startswith("Right, this is our second meeting.")
    assert "one handset for TV and video." in text
    assert "The budget is tight, so we take the cheaper option\u2014the one that does the same thing." in text
    assert "The beeper goes on the TV, you press it and the remote beeps." in text
    # A turn that was only a mark ({vocalsound}, {gap}) is no passage at all.
    assert all(p.text.strip() for p in document.passages)
    assert not [p for p in document.passages if p.speaker == "Industrial Designer"]


def test_a_speaker_resumed_after_a_backchannel_is_one_turn_with_both_locators(tmp_path: Path) -> None:
    document = parsed(tmp_path, "design-meeting.txt", MEETING_TXT, "Project Manager")
    decided = passage_with(document, "we decided upon a universal control")
    assert decided.executive and decided.speaker == "Project Manager"
    assert "I'll go over what we decided last meeting, we decided upon a universal control" in decided.text
    # Cited as the turns it spans: the Project Manager's turns 1, 3, 5 and 7 run on over a mark and a "Mm-hmm.".
    assert re.fullmatch(r"turn [13]\u2013[57]", decided.locator), decided.locator
    # The listener's "Mm-hmm." stays theirs, and is never inside the executive's passage.
    backchannel = passage_with(document, "Mm-hmm.")
    assert (backchannel.speaker, backchannel.executive) == ("User Interface", False)
    # A question from someone else is a turn: the answer after it is not run on into the turn before.
    beeper = passage_with(document, "the remote beeps")
    assert "cheaper option" not in beeper.text and beeper.locator == "turn 9"


def test_a_vtt_turn_cut_by_mm_hmm_reads_on_at_its_first_cue_time(tmp_path: Path) -> None:
    document = parsed(tmp_path, "2026-03-02-ops-review.vtt", MEETING_VTT, "Priya Nair")
    plan = passage_with(document, "recovery plan")
    assert plan.text == ("So the Leeds warehouse missed its pick rate target three weeks running, "
                         "and I want a recovery plan from the site lead by Friday.")
    assert (plan.speaker, plan.executive, plan.locator) == ("Priya Nair", True, "00:00:12")
    vendor = passage_with(document, "switch vendors")
    assert vendor.text == "If the patch slips again, we switch vendors."
    assert vendor.locator == "00:00:33"
    assert passage_with(document, "scanner vendor").text == "The scanner vendor says the patch lands next Tuesday."
    assert not any("laughter" in p.text for p in document.passages)


def test_a_passage_of_a_turn_resumed_after_mm_hmm_cites_the_turns_it_spans(tmp_path: Path) -> None:
    early = " ".join(f"Point {n} is that the depot needs more staff on the early shift." for n in range(9))
    late = " ".join(f"Rule {n} is that the late shift keeps its current rota until the spring review." for n in range(6))
    body = f"DANA REYES: {early}\nSAM ORTIZ: Right.\nDANA REYES: {late}\n"
    document = parsed(tmp_path, "depot-review.txt", body, "Dana Reyes")
    assert passage_with(document, "Point 0 is that").locator == "turn 1"
    assert passage_with(document, "Rule 0 is that").locator in ("turn 3", "turn 1\u20133")
    assert passage_with(document, "Rule 5 is that").locator == "turn 3"
    assert passage_with(document, "Right.").locator == "turn 2"


def test_a_one_off_speaker_in_a_short_meeting_is_never_the_executive(tmp_path: Path) -> None:
    body = ("Kirsty Williams: We publish the final curriculum in January.\n"
            "Suzy Davies: I think the January date is far too late for schools.\n"
            "Kirsty Williams: Schools already plan on the draft, so January is not too late.\n"
            "Lynne Neagle: Thank you both.\n"
            "Kirsty Williams: Thank you, Chair.\n")
    document = parsed(tmp_path, "committee.txt", body, "Kirsty Williams")
    suzy = passage_with(document, "far too late for schools")
    assert (suzy.speaker, suzy.executive) == ("Suzy Davies", False)
    assert not any("far too late" in p.text for p in document.passages if p.executive)


ZOOM_VTT = """\
WEBVTT

1
00:00:03.000 --> 00:00:08.000
Priya Nair: So the Leeds warehouse missed its target.

2
00:00:08.500 --> 00:00:10.000
Marco Diaz: Mm-hmm.

3
00:00:10.500 --> 00:00:15.000
Priya Nair: And I want a recovery plan by Friday.

4
00:00:15.500 --> 00:00:20.000
Jo Okafor: The patch lands on Tuesday, so we wait.

5
00:00:20.500 --> 00:00:24.000
Priya Nair: If it slips, we switch vendors.
"""


def test_a_name_said_once_before_a_cue_is_that_speaker_not_the_executive(tmp_path: Path) -> None:
    document = parsed(tmp_path, "zoom-ops.vtt", ZOOM_VTT, "Priya Nair")
    jo = passage_with(document, "The patch lands on Tuesday")
    assert (jo.speaker, jo.executive, jo.locator) == ("Jo Okafor", False, "00:00:15")
    assert jo.text == "The patch lands on Tuesday, so we wait."
    executive = "\n".join(p.text for p in document.passages if p.executive)
    assert "Jo Okafor" not in executive and "Marco Diaz" not in executive and "Mm-hmm" not in executive
    assert "So the Leeds warehouse missed its target.\nAnd I want a recovery plan by Friday." in executive
    assert document.metadata["speakers"] == "Priya Nair, Marco Diaz, Jo Okafor"


def test_a_restart_cut_by_a_backchannel_runs_on_without_a_gap(tmp_path: Path) -> None:
    body = ("Project Manager: We could use the code from the TV guide , is that {disfmarker}\n"
            "Industrial Designer: Yeah yeah .\n"
            "Project Manager: I always found that really easy .\n"
            "Marketing: Should we ask the users ?\n"
            "Project Manager: Yes , ask them .\n")
    document = parsed(tmp_path, "design.txt", body, "Project Manager")
    assert passage_with(document, "really easy").text == (
        "We could use the code from the TV guide, is that\u2014I always found that really easy.")


COMMITTEE_TXT = """\
The Chair (Hon. Anthony Rota (Nipissing, Lib.)): I call this meeting to order. Mr. Albas has the floor.
Mr. Dan Albas (Central Okanagan, CPC): Thank you, Mr. Chair. Why did the wage subsidy reach so few firms?
Right Hon. Justin Trudeau (Prime Minister): Mr. Chair, we moved quickly to reach as many workers as we could.
Ms. Jenny Kwan (Vancouver East, NDP): The subsidy left renters behind, and the government knows it.
Right Hon. Justin Trudeau: We will keep improving the programme as the needs become clear.
Mr. Dan Albas: Will the Prime Minister publish the list of firms?
Right Hon. Justin Trudeau: Yes, the list will be published this summer.
The Chair: Thank you.
"""


def test_a_name_with_its_seat_or_role_in_brackets_is_that_speaker(tmp_path: Path) -> None:
    document = parsed(tmp_path, "committee.txt", COMMITTEE_TXT, "Right Hon. Justin Trudeau")
    kwan = passage_with(document, "left renters behind")
    assert (kwan.speaker, kwan.executive, kwan.locator) == ("Ms. Jenny Kwan", False, "turn 4")
    quick = passage_with(document, "we moved quickly")
    assert (quick.speaker, quick.executive) == ("Right Hon. Justin Trudeau", True)
    assert quick.text == "Mr. Chair, we moved quickly to reach as many workers as we could."
    executive = "\n".join(p.text for p in document.passages if p.executive)
    assert "renters" not in executive and "(" not in executive and "order" not in executive


def test_a_twin_named_without_titles_owns_the_turns_of_its_titled_label(tmp_path: Path) -> None:
    # The labels `twin create --name "Justin Trudeau"` gives; no --speaker needed for "Right Hon. Justin Trudeau".
    path = tmp_path / "committee.txt"
    path.write_text(COMMITTEE_TXT, encoding="utf-8")
    document = parse_path(path, speaker_labels=["JUSTIN TRUDEAU", "TRUDEAU", "JUSTIN"])
    assert "warning" not in document.metadata
    published = passage_with(document, "the list will be published")
    assert published.executive and published.speaker == "Right Hon. Justin Trudeau"
    # A surname after a courtesy title names someone else as often as the twin: "Mr. Trudeau" is not matched.
    assert not is_executive_speaker("Mr. Trudeau", ["JUSTIN TRUDEAU", "TRUDEAU", "JUSTIN"])
    assert is_executive_speaker("Kirsty Williams AM", ["KIRSTY WILLIAMS", "WILLIAMS", "KIRSTY"])
    assert not is_executive_speaker("Liz Williams", ["KIRSTY WILLIAMS", "WILLIAMS", "KIRSTY"])


TEAMS_VTT = """WEBVTT

3f1c9a2e/12-0
00:00:01.200 --> 00:00:06.800
<v Reyes, Dana>Morning all. I want to spend ten minutes on the peak season plan.</v>

3f1c9a2e/13-0
00:00:07.000 --> 00:00:12.000
<v Okafor, Jo>Sure. We have the staffing numbers ready for the peak.</v>

3f1c9a2e/14-0
00:00:12.500 --> 00:00:25.000
<v Dana Reyes (she/her)>We will hire two hundred seasonal pickers this year, not three hundred.</v>

3f1c9a2e/15-0
00:00:25.500 --> 00:00:30.000
<v Dana (Sales)>What about agency drivers over Christmas?</v>
"""


def test_a_meeting_apps_directory_names_are_the_executives_full_name(tmp_path: Path) -> None:
    # Teams prints "Reyes, Dana" and "Dana Reyes (she/her)": both were asked about ("Reyes, Dana: 82 % of the
    # words. Is that Dana Reyes?") and none of her words counted until a curator added each form by hand.
    path = tmp_path / "2026-11-25-teams-sync.vtt"
    path.write_text(TEAMS_VTT, encoding="utf-8")
    document = parse_path(path, speaker_labels=["Dana Reyes", "Dana"])
    assert passage_with(document, "peak season plan").executive
    assert passage_with(document, "seasonal pickers").executive
    assert not passage_with(document, "staffing numbers").executive
    assert not passage_with(document, "agency drivers").executive  # another Dana: a bracket does not make her
    assert is_executive_speaker("Trudeau, Justin", ["JUSTIN TRUDEAU"])
    assert not is_executive_speaker("Williams, AM", ["KIRSTY WILLIAMS"])


def test_a_speakers_own_yep_after_anothers_is_not_run_on_into_what_they_said(tmp_path: Path) -> None:
    body = ("Project Manager: It should be simple , the manual I don't know if we deal with that , I think {disfmarker}\n"
            "User Interface: Yep ,\n"
            "Project Manager: Yep ,\n"
            "Marketing: Shall we stop there ?\n"
            "Project Manager: Yes , we stop there .\n")
    document = parsed(tmp_path, "design.txt", body, "Project Manager")
    simple = passage_with(document, "It should be simple")
    assert simple.text == "It should be simple, the manual I don't know if we deal with that, I think\u2014"


def test_diarized_voices_are_speakers_in_text_and_captions(tmp_path: Path) -> None:
    said = [("SPEAKER_00", "We open the Porto depot in May."), ("SPEAKER_01", "Is May realistic?"),
            ("SPEAKER_00", "Yes, the lease is signed."), ("SPEAKER_02", "Then I book the movers for April."),
            ("SPEAKER_00", "Good, and the staff move in June."), ("SPEAKER_01", "Noted.")]
    text = "".join(f"{who}: {words}\n" for who, words in said)
    captions = "".join(f"{n}\n00:00:{n:02d},000 --> 00:00:{n:02d},900\n[{who}]: {words}\n\n"
                       for n, (who, words) in enumerate(said, 1))
    for document in (parsed(tmp_path, "depot.txt", text, "SPEAKER_00"),
                     parsed(tmp_path, "depot.srt", captions, "SPEAKER_00")):
        movers = passage_with(document, "book the movers")
        assert (movers.speaker, movers.executive) == ("SPEAKER_02", False)
        assert movers.text == "Then I book the movers for April."
        assert passage_with(document, "lease is signed").executive


def test_a_bracketed_time_after_the_label_is_the_turns_locator(tmp_path: Path) -> None:
    said = [("Priya Nair", "We open the Porto depot in May."), ("Marco Diaz", "Is May realistic?"),
            ("Priya Nair", "Yes, the lease is signed."), ("Jo Okafor", "Then I book the movers for April.")]
    body = "\n".join(f"{who}: (0{n}:15)\n{words}\n" for n, (who, words) in enumerate(said, 1))
    document = parsed(tmp_path, "rev-export.txt", body, "Priya Nair")
    lease = passage_with(document, "lease is signed")
    assert (lease.text, lease.locator, lease.executive) == ("Yes, the lease is signed.", "00:03:15", True)
    # Four turns are a meeting too: Jo's words are Jo's, never the executive's as in a memo.
    movers = passage_with(document, "book the movers")
    assert (movers.speaker, movers.executive, movers.locator) == ("Jo Okafor", False, "00:04:15")


BROADCAST_VTT = """\
WEBVTT

00:00:01.000 --> 00:00:04.000
>> PRIYA NAIR: The Leeds warehouse missed its target.

00:00:04.500 --> 00:00:07.000
>> Thank you. And what happens if the patch slips?

00:00:07.500 --> 00:00:10.000
>> PRIYA NAIR: We switch vendors if the patch slips.
- Will you tell the site?
- Yes, today.

00:00:10.500 --> 00:00:13.000
>> MARCO DIAZ: Noted, and the night shift?
"""


def test_a_caption_speaker_change_that_names_no_one_is_not_the_executive(tmp_path: Path) -> None:
    document = parsed(tmp_path, "news.vtt", BROADCAST_VTT, "Priya Nair")
    asked = passage_with(document, "what happens if the patch slips")
    assert (asked.speaker, asked.executive, asked.locator) == ("Unnamed speaker", False, "00:00:04")
    site = passage_with(document, "Will you tell the site?")
    assert not site.executive and "switch vendors" not in site.text
    executive = "\n".join(p.text for p in document.passages if p.executive)
    assert "Thank you" not in executive and "Will you tell" not in executive
    assert "We switch vendors if the patch slips." in executive


def test_a_text_transcripts_unnamed_speaker_change_is_not_the_executive(tmp_path: Path) -> None:
    body = (">> PRIYA NAIR: The Leeds warehouse missed its target.\n"
            ">> Thank you. And what happens if the patch slips?\n"
            ">> PRIYA NAIR: We switch vendors if the patch slips.\n"
            ">> MARCO DIAZ: Noted, and the night shift?\n"
            ">> PRIYA NAIR: It stays through the peak season.\n")
    document = parsed(tmp_path, "news.txt", body, "Priya Nair")
    asked = passage_with(document, "what happens if the patch slips")
    assert (asked.speaker, asked.executive) == ("Unnamed speaker", False)
    assert passage_with(document, "We switch vendors").executive


def test_a_turn_that_opens_a_paragraph_starts_with_a_capital(tmp_path: Path) -> None:
    body = ("Project Manager: Okay , it's important that the laptops are on the square .\n"
            "Marketing: Should we start with the budget ?\n"
            "Project Manager: yeah , great . The budget is twelve Euro fifty .\n"
            "Marketing: That is tight .\n"
            "Project Manager: and the price is twenty five Euro .\n")
    document = parsed(tmp_path, "kickoff.txt", body, "Project Manager")
    assert passage_with(document, "twelve Euro fifty").text == "Yeah, great. The budget is twelve Euro fifty."
    assert passage_with(document, "twenty five Euro").text == "And the price is twenty five Euro."


def test_a_tokenized_meeting_reads_with_its_contractions_whole(tmp_path: Path) -> None:
    body = ("Professor B: I {disfmarker} I {disfmarker} I 'm sorry , I meant something different by baseline .\n"
            "PhD D: OK .\n"
            "Professor B: So it 's two times , but it includes the {disfmarker} the broad English data .\n"
            "PhD A: Right , and the Italian ?\n"
            "Professor B: We did n't train on Italian {pause} at all .\n")
    document = parsed(tmp_path, "bro004.txt", body, "Professor B")
    executive = [p.text for p in document.passages if p.executive]
    assert "I'm sorry, I meant something different by baseline." in executive[0]
    assert "So it's two times, but it includes the broad English data." in executive[0]
    assert executive[-1] == "We didn't train on Italian at all."
