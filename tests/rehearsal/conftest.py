"""A small corpus for rehearsals: a transcript where the executive AND others ask questions, a restricted
transcript, memos with the executive's concerns; pitch files built as real .docx and .pdf."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

import docx
import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from sqlalchemy.orm import Session

from ingestion.pipeline import parse_bytes
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Source, Twin
from service.rehearsal.bank import BANKS

REVIEW_VTT = """WEBVTT

1
00:15:20.000 --> 00:15:40.000
<v Priya Nair>Thanks, Dana. The short version: Pier 9 is at 41% utilisation against a plan of 35%. We want to add sixty reefer trailers for inland pharma distribution.

2
00:16:40.000 --> 00:16:54.000
<v Dana Reyes>Thank you. Let me start where I always start. What's the ask, and who approves it? Walk me through the cost to serve on the inland reefer lanes.

3
00:16:56.000 --> 00:17:15.000
<v Priya Nair>The ask is twenty-one million, approved today. Can we also agree to repaint the canteen at Eastgate before the summer party?

4
00:17:17.000 --> 00:17:30.000
<v Dana Reyes>Who is the customer and what changes for their hospital deliveries on Monday?

5
00:17:32.000 --> 00:17:58.000
<v Priya Nair>Corvane Pharma: we carry their freight from the quay to the hospital pharmacy.

6
00:18:09.000 --> 00:18:24.000
<v Dana Reyes>Good. What's the riskiest assumption in the trailer plan, and how will we know early? How does this affect the drivers on night routes?

7
00:18:27.000 --> 00:18:42.000
<v Marcus Lee>Should the new trailers carry the green livery from the brand refresh?
"""

QBR_TXT = """DANA REYES: Tomas, two minutes, then questions.

TOMAS: We want a second night shift at Ashby Road for the depot backlog.

DANA REYES: What's the number on late departures, and what was it last quarter?

TOMAS: Fourteen percent, up from nine. Which budget line should the overtime come from?

DANA REYES: What would have to be true for a second night shift to fix the departures?
"""

LEADERSHIP_TXT = """DANA REYES: Before we talk about anything else: how much will the Lisbon warehouse expansion cost per pallet?

OWEN: Nine euros a pallet in the first year.

DANA REYES: Who signs the Lisbon lease, and when does the landlord need an answer?
"""

MEMO_PARAGRAPHS = [
    "What worries me about any new lane is whether our drivers get home safe after night routes.",
    "We do not price below the cost to serve, whatever the size of the customer.",
    "Start with the customer's shipment: what changes for them, and when.",
    "I need to see the driver hours before we sign any new contract.",
]
SAFETY_MEMO_PARAGRAPHS = [
    "Drivers home safe is the first line of every plan we approve.",
    "What worries me most is fatigue: our drivers on night routes carry the risk of every promise we make.",
    "Show me the number, then show me the person behind it.",
]

GOOD_PITCH = textwrap.dedent("""\
    Proposal: reefer capacity for inland pharma.

    Corvane Pharma and two other hospital customers want us to carry their freight from the quay to the pharmacy.
    Today we hand those loads to a specialist carrier at our gate, and we lose about 2.4 million dollars of
    revenue a year. Our pilot on the Marlow lane ran 98.4% on time for twelve weeks, against a target of 97%.
    The cost to serve is 41 dollars a pallet, below the 52 dollars the specialist charges.
    The biggest risk is driver fatigue on night routes. To mitigate it we cap night shifts at four a week and
    monitor driver hours every week; if overtime rises above 5 percent we stop and review.
    We are asking you to approve 6.5 million dollars for thirty reefer trailers by 15 March.
    """)
WEAK_PITCH = textwrap.dedent("""\
    Inland pharma is a huge opportunity for the company and it fits our strategy.
    The market is moving and we should be there. Trailers are important and the team is excited.
    This is a holistic, scalable play that will leverage our ecosystem and create synergy.
    """)


def build_docx(paragraphs: list[str], title: str = "Memo") -> bytes:
    """A real .docx with a title and one paragraph each."""
    document = docx.Document()
    document.core_properties.title = title
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_pdf(text: str, title: str = "Pitch") -> bytes:
    """A real one-page PDF with the text drawn line by line."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter)
    pdf.setTitle(title)
    y = 720
    for paragraph in text.split("\n\n"):
        for line in textwrap.wrap(" ".join(paragraph.split()), 85):
            pdf.drawString(60, y, line)
            y -= 15
        y -= 10
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@dataclass
class World:
    """The twin, its sources and the people who rehearse."""

    twin: Twin
    review: Source
    qbr: Source
    leadership: Source
    memo: Source
    employee: Viewer
    colleague: Viewer
    leader: Viewer


def _add(session: Session, twin: Twin, data: bytes, filename: str, kind: str, audience: str = "everyone",
         labels: tuple[str, ...] = ("DANA REYES", "DANA", "REYES", "Dana Reyes")) -> Source:
    document = parse_bytes(data, filename, kind=kind, speaker_labels=labels)
    return store.add_source(session, twin, document, audience=audience, approve=True).source


@pytest.fixture
def world(session: Session) -> World:
    BANKS.clear()
    twin = store.create_twin(session, "dana", "Dana Reyes", title="Chief Executive Officer")
    store.record_consent(session, "dana", by="Dana Reyes", scope="internal Q&A and rehearsal")
    review = _add(session, twin, REVIEW_VTT.encode(), "2025-08-18-cold-chain-review.vtt", "transcript")
    qbr = _add(session, twin, QBR_TXT.encode(), "2025-10-20-qbr.txt", "transcript")
    leadership = _add(session, twin, LEADERSHIP_TXT.encode(), "2026-05-04-lisbon.txt", "transcript",
                      audience="leadership")
    memo = _add(session, twin, build_docx(MEMO_PARAGRAPHS, "How We Decide"), "2025-01-13-how-we-decide.docx", "memo")
    _add(session, twin, build_docx(SAFETY_MEMO_PARAGRAPHS, "Drivers Home Safe"), "2024-04-22-home-safe.docx", "memo")
    employee_user, _ = store.add_user(session, "employee@x.com", role="employee")
    colleague_user, _ = store.add_user(session, "colleague@x.com", role="employee")
    leader_user, _ = store.add_user(session, "leader@x.com", role="employee", audiences=["leadership"])
    session.commit()
    return World(twin=twin, review=review, qbr=qbr, leadership=leadership, memo=memo,
                 employee=store.viewer_for(employee_user), colleague=store.viewer_for(colleague_user),
                 leader=store.viewer_for(leader_user))
