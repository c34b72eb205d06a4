"""Rehearse a pitch against the twin: the questions this executive would ask, their push-back, a scorecard, and
rounds of follow-up; every point quoted from the executive's approved words and cited."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Rehearsal, Twin
from service.errors import BadInput, Conflict, TwinUnavailable
from service.rehearsal.bank import CONCERN, QUESTION, BankItem, VisibleBank, bank_for, stem_counts
from service.rehearsal.meaning import embed_safely, embedder_for, remembering
from service.rehearsal.phrasing import phrase_reaction
from service.rehearsal.pitch import (
    analyse_pitch,
    check_pitch_length,
    check_pitch_substance,
    pitch_stems,
    read_pitch,
)
from service.rehearsal.pushback import PushBack, find_push_back
from service.rehearsal.ranking import RankedItem, rank_items, same_wording
from service.rehearsal.rounds import (
    CRITERION_GAPS,
    GAP_LINES,
    SAME_POINT,
    assess,
    find_item,
    follow_up_for,
    item_ref,
    push_for_criterion,
    remember_for_rounds,
    why_it_matters,
)
from service.rehearsal.rubric import CriterionScore, Scorecard, rubric_for, score_pitch, speaking_rate
from service.rehearsal.stances import Embed
from service.search import PassageHit
from service.twin.citations import Citation, citation_for
from service.twin.guardrails import refused_topic
from service.twin.persona import PersonaSettings, persona_settings
from textkit.words import words

MAX_REPLY_WORDS = 1500
# Rubric criteria scored this low get pushed on during the rounds.
PUSH_BELOW = 3
ACCEPT_LINE = "That answers it."
MOVE_ON_LINE = "Let's leave that one there; have it ready before this comes to me."
# Questions the summary tells the presenter to prepare for.
PREPARE = 3
# Her questions ranked by fit before those on what the pitch answers in full give way to others: this many times the
# number asked.
WIDER_POOL = 3


class Citations:
    """Numbers the passages a reaction quotes, one number per passage and quote."""

    def __init__(self) -> None:
        self._items: dict[tuple[int, str], Citation] = {}
        self.hits: list[PassageHit] = []

    def cite(self, hit: PassageHit, quote: str) -> Citation:
        key = (hit.passage_id, quote)
        if key not in self._items:
            self._items[key] = citation_for(len(self._items) + 1, hit, quote)
            self.hits.append(hit)
        return self._items[key]

    def to_list(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self._items.values()]

    def interaction_passages(self) -> list[dict[str, Any]]:
        return [{"passage_id": c.passage_id, "source_id": c.source_id, "version": c.version, "n": c.n}
                for c in self._items.values()]


@dataclass
class RehearsalResult:
    """The twin's first reaction to a pitch."""

    rehearsal_id: int
    questions: list[dict[str, Any]]
    push_back: list[dict[str, Any]]
    scorecard: dict[str, Any]
    citations: list[dict[str, Any]]
    disclaimer: str
    mode: str
    round: int
    max_rounds: int
    analysis: dict[str, Any] = field(default_factory=dict)
    filename: str | None = None
    interaction_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rehearsal_id": self.rehearsal_id, "questions": self.questions, "push_back": self.push_back,
                "scorecard": self.scorecard, "citations": self.citations, "disclaimer": self.disclaimer,
                "mode": self.mode, "round": self.round, "max_rounds": self.max_rounds, "analysis": self.analysis,
                "filename": self.filename, "interaction_id": self.interaction_id}


@dataclass
class TurnResult:
    """The twin's reaction to one reply: a follow-up, an acceptance, or (at the end) the summary."""

    rehearsal_id: int
    round: int
    max_rounds: int
    reaction: str
    text: str
    citations: list[dict[str, Any]]
    done: bool
    mode: str
    disclaimer: str
    next_question: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    fallback_reason: str | None = None
    interaction_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {"rehearsal_id": self.rehearsal_id, "round": self.round, "max_rounds": self.max_rounds,
                "reaction": self.reaction, "text": self.text, "citations": self.citations, "done": self.done,
                "mode": self.mode, "disclaimer": self.disclaimer, "next_question": self.next_question,
                "interaction_id": self.interaction_id}
        if self.summary is not None:
            data["summary"] = self.summary
        if self.fallback_reason:
            data["fallback_reason"] = self.fallback_reason
        return data


def ensure_available(twin: Twin) -> None:
    """Refuse when the executive has not consented or the twin is paused, as answers do."""
    if twin.paused:
        raise TwinUnavailable(f"The {twin.name} twin is paused; it is not rehearsing pitches right now.")
    if not twin.has_consent:
        raise TwinUnavailable(f"The {twin.name} twin cannot rehearse yet: {twin.name}'s consent has not been "
                              "recorded.")


def _allowed(items: list[BankItem], persona: PersonaSettings) -> list[BankItem]:
    """Bank items not on a topic the twin must not speak to."""
    return [i for i in items if refused_topic(i.text, persona) is None]


def _usable_bank(session: Session, twin: Twin, viewer: Viewer, persona: PersonaSettings) -> VisibleBank:
    bank = bank_for(session, twin, viewer)
    stances = [s for s in bank.stances if refused_topic(s.text, persona) is None]
    return VisibleBank(items=_allowed(bank.items, persona), source_stems=bank.source_stems, stances=stances)


def same_question(a: BankItem, b: BankItem) -> bool:
    """Whether two of the executive's questions ask the same thing ("What's the number, and what was it last
    quarter?" and "And what's the number, and what was it last quarter?"), as the ranking merges them."""
    return same_wording(a, b)


def asked_in_any_wording(asked: set[str], bank: VisibleBank) -> set[str]:
    """The keys of the questions asked and of every question that asks the same thing in other words: none of them
    is put to the presenter again as if it were new."""
    done = [i for i in bank.questions if i.key in asked]
    return asked | {i.key for i in bank.questions if i.key not in asked and any(same_question(i, d) for d in done)}


# A question that opens by leaning on what was said before it in her meeting ("So…", "And what's the number…?",
# "But who…?", "Which means…?"), or that sets a scene and quotes a further question after a colon ("So when you lose a
# deal by a few percent, I'd ask you one question: what would have to be true…?"): quoted word for word, it reads
# oddly as an opening question. "Which customer, by name, gets…?" asks a question of its own.
LEANING_RE = re.compile(r"^\W*(?:so|and|but|or|also|then|plus|because|which(?=\s+(?:is|are|was|were|means|meant|"
                        r"would|will|makes|made|leaves|brings|puts|gets us)\b))\b", re.IGNORECASE)
QUOTED_QUESTION_RE = re.compile(r"^(?P<preamble>[^:?]{12,}):\s*(?:what|how|who|why|when|where|which|is|are|do|does|"
                                r"did|can|could|would|will|should|have|has)\b", re.IGNORECASE)


def leans_on_before(text: str) -> bool:
    """Whether a question of hers leans on what came before it: it opens on "So", "And", "But"…, or quotes a further
    question after a preamble."""
    return bool(LEANING_RE.match(text) or QUOTED_QUESTION_RE.match(text))


def choose_questions(pitch: Counter[str], bank: VisibleBank, n: int, *, embed: Embed | None = None,
                     sentences: Sequence[str] = (), scorecard: Scorecard | None = None) -> list[RankedItem]:
    """The executive's questions that bear most on the pitch (by meaning, with a sentence model); their concerns
    fill in when questions run short. Given the scorecard, her question on each point the pitch is weak on is among
    them however well it fits the pitch's words, and one on a point the pitch answers in full gives way to another
    of hers that it does not (see gaps_first). A question that leans on what came before it in her meeting is put in
    her wording that stands on its own when she asked it so elsewhere ("What's the number, and what was it last
    quarter?" for "And what's the number…?"), else after those that stand on their own: every question stays quoted
    word for word, with its own locator."""
    wider = n * WIDER_POOL if scorecard is not None else n
    chosen = rank_items(pitch, bank, bank.questions, n=wider, embed=embed, pitch_sentences=sentences)
    if scorecard is not None:
        chosen = _fitting_the_gaps(chosen, scorecard, pitch, bank, n, embed, sentences)
    if len(chosen) < n:
        taken = {r.item.key for r in chosen}
        chosen += rank_items(pitch, bank, bank.concerns, n=n - len(chosen), exclude=taken, embed=embed,
                             pitch_sentences=sentences)
    chosen = [_standing_wording(r, bank) for r in chosen]
    return sorted(chosen, key=lambda r: leans_on_before(r.item.text))


def _standing_wording(ranked: RankedItem, bank: VisibleBank) -> RankedItem:
    """The ranked question in a wording of hers that stands on its own, when she asked the same so elsewhere."""
    if not leans_on_before(ranked.item.text):
        return ranked
    pool = bank.questions if ranked.item.kind == QUESTION else bank.concerns
    other = next((i for i in pool if not leans_on_before(i.text) and same_question(i, ranked.item)), None)
    return ranked if other is None else RankedItem(item=other, score=ranked.score, sources=ranked.sources)


def wording(text: str) -> str:
    """A question or a criterion's label by its words alone: a criterion worded as her question is that question."""
    return " ".join(words(text))


def same_point(label: str, question: str) -> bool:
    """Whether a rubric criterion is the point of a question put in the rounds: the same words, or every content word
    of the label in the question ("What's the ask?" and "What's the ask, exactly?")."""
    wanted = set(stem_counts(label))
    return wording(label) == wording(question) or bool(wanted) and wanted <= set(stem_counts(question))


def criterion_of(question: str, scorecard: Scorecard, embed: Embed | None = None) -> CriterionScore | None:
    """The scorecard line whose point a question of hers is (the criterion worded as that question: "What's the
    ask?" for "What's the ask, exactly?"; with a sentence model, also one in other words close in meaning to it:
    "Which customer, by name, gets something different if we say yes?" for "Who is the customer and what changes for
    them on Monday?"), or None."""
    lines = [c for c in scorecard.criteria if c.max and c.weight > 0]
    found = next((c for c in lines if same_point(c.label, question)), None)
    if found is not None or embed is None or not lines:
        return found
    vectors = embed_safely(embed, [question, *(c.label for c in lines)])
    if vectors is None:
        return None
    closeness = vectors[1:] @ vectors[0]
    best = int(closeness.argmax())
    return lines[best] if float(closeness[best]) >= SAME_POINT else None


def _fitting_the_gaps(ranked: list[RankedItem], scorecard: Scorecard, pitch: Counter[str], bank: VisibleBank,
                      n: int, embed: Embed | None, sentences: Sequence[str]) -> list[RankedItem]:
    """Of her questions ranked by fit (more than n of them), the n to ask: first one on each point the pitch is weak
    on (a criterion below PUSH_BELOW, weakest first; the best-fitting of her questions on it, looked for among all of
    hers when none ranked), then those on points it does not answer in full, by fit, then those it answers in full."""
    chosen: list[RankedItem] = []
    # The point each question is on, by its words or (with the model) its meaning: "Which customer, by name, gets
    # something different…?" is on "Who is the customer and what changes for them on Monday?".
    points = {r.item.text: criterion_of(r.item.text, scorecard, embed) for r in ranked}
    answered: set[str] = set()  # the points answered in full that a question already asks

    def take(r: RankedItem) -> None:
        if any(same_question(r.item, c.item) for c in chosen):
            return
        # A point the pitch answers in full is asked once at most: after "Which customer, by name…?" (in other words
        # than the scorecard's, so asked before the points answered in full), not "Who is the customer…?" too.
        point = points.get(r.item.text)
        full = point is not None and point.score >= point.max
        if full and point is not None and point.key in answered:
            return
        chosen.append(r)
        if full and point is not None:
            answered.add(point.key)

    for criterion in scorecard.weakest():
        if criterion.score >= PUSH_BELOW or len(chosen) >= n:
            continue
        on_it = [r for r in ranked if same_point(criterion.label, r.item.text)]
        if not on_it:
            pool = [i for i in bank.questions if same_point(criterion.label, i.text)]
            on_it = rank_items(pitch, bank, pool, n=1, embed=embed, pitch_sentences=sentences) if pool else []
        if on_it:
            take(on_it[0])
    full = [r for r in ranked if (c := criterion_of(r.item.text, scorecard)) is not None and c.score >= c.max]
    for r in [*(r for r in ranked if r not in full), *full]:
        if len(chosen) >= n:
            break
        take(r)
    return chosen


def gaps_first(ranked: list[RankedItem], scorecard: Scorecard) -> list[RankedItem]:
    """Her questions in the order the pitch's gaps call for: those on what it is weakest on first (a criterion below
    PUSH_BELOW, the lowest score first), then the rest by fit, and those on a point it already answers in full (a
    criterion worded as that question scored full marks: "What's the ask, exactly?" after a 5/5 ask) last, so the
    rounds open on what the pitch leaves open. A question that leans on what came before it stays after those that
    stand on their own."""
    def order(pair: tuple[int, RankedItem]) -> tuple[bool, int, float, int]:
        position, r = pair
        c = criterion_of(r.item.text, scorecard)
        if c is None:
            group, score = 1, 0.0
        else:
            group = 0 if c.score < PUSH_BELOW else 2 if c.score >= c.max else 1
            score = c.score / c.max if group == 0 else 0.0
        return leans_on_before(r.item.text), group, score, position

    return [r for _, r in sorted(enumerate(ranked), key=order)]


def start_rehearsal(session: Session, settings: Settings, twin_slug: str, viewer: Viewer, *,
                    pitch_text: str | None = None, file_bytes: bytes | None = None, filename: str | None = None,
                    channel: str = "cli") -> RehearsalResult:
    """Rehearse a pitch (pasted text, or an uploaded .docx, .pdf, .md or .txt) and store the rehearsal."""
    started = time.perf_counter()
    twin = store.get_twin(session, twin_slug)
    ensure_available(twin)
    text, name = read_pitch(settings, pitch_text=pitch_text, file_bytes=file_bytes, filename=filename)
    check_pitch_length(text, settings.rehearsal_max_pitch_words)
    check_pitch_substance(text, settings.rehearsal_min_pitch_words)
    persona = persona_settings(twin)  # rehearsing only reads; the profile is rebuilt in the background
    rubric = rubric_for(persona.rehearsal_rubric)
    embed = remembering(embedder_for(settings))  # one embedding of each pitch sentence for every part below
    analysis = analyse_pitch(text, speaking_rate(rubric), embed)
    scorecard = score_pitch(analysis, rubric)
    bank = _usable_bank(session, twin, viewer, persona)
    cites = Citations()
    ranked = gaps_first(choose_questions(analysis.stems, bank, settings.rehearsal_questions, embed=embed,
                                         sentences=analysis.sentences, scorecard=scorecard), scorecard)
    questions = []
    for number, r in enumerate(ranked, start=1):
        citation = cites.cite(r.item.hit, r.item.text)
        question = {"n": number, "question": r.item.text, "kind": r.item.kind, "asked_in": r.sources,
                    "citation": citation.to_dict()}
        if r.item.context:
            question["context"] = r.item.context
        questions.append(question)
    push_back = []
    for p in find_push_back(session, twin, viewer, persona, analysis, bank, embed=embed):
        citation = cites.cite(p.evidence.hit, p.evidence.quote)
        push_back.append({"priority": p.priority, "why": p.why, "contradicts": p.contradicts,
                          "citation": citation.to_dict()})
    remember_for_rounds(text, [str(q["question"]) for q in questions], embed)
    max_rounds = settings.rehearsal_max_rounds
    state = _initial_state(ranked, scorecard)
    result = {"questions": questions, "push_back": push_back, "scorecard": scorecard.to_dict(),
              "citations": cites.to_list(), "analysis": analysis.to_dict()}
    row = store.create_rehearsal(session, twin=twin, user_id=viewer.user_id, pitch=text, filename=name,
                                 result=result, state=state, mode="extractive", max_rounds=max_rounds,
                                 channel=channel)
    latency = (time.perf_counter() - started) * 1000
    interaction = store.record_interaction(
        session, twin=twin, user_id=viewer.user_id, question=f"rehearsal {row.id}: pitch of {analysis.words} words",
        answer="", conversation_id=f"rehearsal-{row.id}", passages=cites.interaction_passages(), mode="extractive",
        grounded=bool(questions or push_back), latency_ms=latency, kind="rehearsal", channel=channel)
    return RehearsalResult(rehearsal_id=row.id, questions=questions, push_back=push_back,
                           scorecard=scorecard.to_dict(), citations=cites.to_list(),
                           disclaimer=persona.disclaimer_text, mode="extractive", round=0, max_rounds=max_rounds,
                           analysis=analysis.to_dict(), filename=name, interaction_id=interaction.id)


def _initial_state(ranked: list[RankedItem], scorecard: Scorecard) -> dict[str, Any]:
    queue = [item_ref(r.item) for r in ranked]
    weak = [c.key for c in scorecard.weakest() if c.score < PUSH_BELOW and c.key in CRITERION_GAPS]
    return {"queue": queue, "next": 1 if queue else 0, "pending": queue[0] if queue else None,
            "asked": [q["key"] for q in queue[:1]], "weak": weak, "pushed": [], "history": []}


def answer_turn(session: Session, settings: Settings, rehearsal_id: int, viewer: Viewer,
                reply_text: str) -> TurnResult:
    """The presenter answers the question on the table; the twin follows up or accepts, and sums up at the end."""
    started = time.perf_counter()
    row = store.get_rehearsal(session, rehearsal_id, user_id=viewer.user_id, for_update=True)
    twin = session.get(Twin, row.twin_id)
    if twin is None:
        raise Conflict(f"rehearsal {rehearsal_id} belongs to a twin that no longer exists")
    ensure_available(twin)
    if row.done:
        raise Conflict(f"rehearsal {rehearsal_id} is finished; start a new one to go again")
    reply = " ".join((reply_text or "").split())
    if not words(reply):
        raise BadInput("the reply is empty")
    if len(words(reply)) > MAX_REPLY_WORDS:
        raise BadInput(f"the reply is {len(words(reply))} words; answer in at most {MAX_REPLY_WORDS}")
    persona = persona_settings(twin)  # rehearsing only reads; the profile is rebuilt in the background
    bank = _usable_bank(session, twin, viewer, persona)
    state = _copy_state(row.state)
    pending = state.get("pending")
    question = pending["question"] if pending else "Anything else I should know?"
    pitch = pitch_stems(row.pitch)
    cites = Citations()
    embed = remembering(embedder_for(settings))  # the reply and the question, embedded once for every check below
    verdict = assess(question, reply, embed, pitch=row.pitch)
    asked = set(state["asked"])
    # What comes next is never the question already asked, in its words or in others.
    spent = asked_in_any_wording(asked, bank)
    last_round = row.round + 1 >= row.max_rounds
    lines: list[str] = []
    next_item: BankItem | None = None
    gap_line: str
    if verdict.accepted:
        gap_line = ACCEPT_LINE
        matters = why_it_matters(question, reply, bank, asked, embed)
        if matters is not None:
            lines.append(f"{matters.text} [{cites.cite(matters.hit, matters.text).n}]")
        if not last_round:
            next_item = _next_after_accept(state, bank, pitch, spent)
    else:
        gap = verdict.gap or "topic"
        gap_line = verdict.line if gap == "unknown" else "Not yet. " + verdict.line
        # Asked twice and still not answered: a third time gets nothing either, and one question that does not fit
        # must not use up the whole rehearsal. She moves on; it stays under what to fix.
        pressed = any(not h["accepted"] and h["question"] == question for h in state["history"])
        if pressed and gap != "unknown" and not last_round:
            gap_line = f"{gap_line} {MOVE_ON_LINE}"
        if gap == "unknown" or pressed:  # pressing them again gets nothing: she moves on, and it stays to prepare for
            next_item = _next_after_accept(state, bank, pitch, spent)
        elif gap in ("topic", "length", "count") and pending:
            next_item = find_item(bank, pending)
        else:
            next_item = follow_up_for(gap, question, reply, pitch, bank, spent, embed)
            if next_item is None and pending:
                next_item = find_item(bank, pending)
        if last_round:
            next_item = None
    state["history"].append({"round": row.round + 1, "question": question, "reply": reply,
                             **({"passage_id": pending.get("passage_id")} if pending else {}),
                             "accepted": verdict.accepted, "gap": verdict.gap, "missing": list(verdict.missing),
                             **({} if verdict.accepted else {"line": verdict.line})})
    next_question: dict[str, Any] | None = None
    if next_item is not None:
        citation = cites.cite(next_item.hit, next_item.text)
        lead = "" if verdict.accepted or next_item.key != (pending or {}).get("key") else "I'll ask again: "
        lines.append(f"{lead}{next_item.text} [{citation.n}]")
        state["pending"] = item_ref(next_item)
        state["asked"] = sorted(asked | {next_item.key})
        next_question = {"question": next_item.text, "kind": next_item.kind, "citation": citation.to_dict()}
    else:
        state["pending"] = None
    done = last_round or next_item is None
    text = " ".join([gap_line, *lines])
    mode, fallback_reason = "extractive", None
    if settings.llm_enabled and lines and not done:
        task = _llm_task(question, reply, verdict.accepted, gap_line, next_item)
        phrased = phrase_reaction(settings, persona, twin.title, task, cites.hits)
        if phrased.text is not None:
            text = f"{gap_line} {phrased.text}"
            mode = "llm"
            cited = {c.n for c in phrased.citations}
            all_cites = {c["n"]: c for c in cites.to_list()}
            if next_question is not None:
                cited.add(next_question["citation"]["n"])
            citations = [all_cites[n] for n in sorted(cited) if n in all_cites]
        else:
            fallback_reason = phrased.fallback_reason
            citations = cites.to_list()
    else:
        citations = cites.to_list()
    reaction = "accept" if verdict.accepted else "follow_up"
    summary = None
    if done:
        summary = build_summary(row, state, bank, cites)
        reaction = "summary"
        text = " ".join([gap_line, *lines, summary["text"]])
        citations = cites.to_list()
        mode = "extractive"
    turn = store.add_rehearsal_turn(session, row, question=question, reply=reply, reaction=reaction, text=text,
                                    citations=citations, mode=mode, state=state, done=done, summary=summary)
    latency = (time.perf_counter() - started) * 1000
    interaction = store.record_interaction(
        session, twin=twin, user_id=viewer.user_id, question=f"rehearsal {row.id}: round {turn.round}",
        answer="", conversation_id=f"rehearsal-{row.id}", passages=cites.interaction_passages(), mode=mode,
        grounded=bool(citations), latency_ms=latency, kind="rehearsal", channel=row.channel)
    return TurnResult(rehearsal_id=row.id, round=turn.round, max_rounds=row.max_rounds, reaction=reaction, text=text,
                      citations=citations, done=done, mode=mode, disclaimer=persona.disclaimer_text,
                      next_question=next_question, summary=summary, fallback_reason=fallback_reason,
                      interaction_id=interaction.id)


def _copy_state(state: dict[str, Any] | None) -> dict[str, Any]:
    base: dict[str, Any] = {"queue": [], "next": 0, "pending": None, "asked": [], "weak": [], "pushed": [], "history": []}
    base.update(dict(state or {}))
    for key in ("queue", "asked", "weak", "pushed", "history"):
        base[key] = list(base[key])
    return base


def _next_after_accept(state: dict[str, Any], bank: VisibleBank, pitch: Counter[str],
                       asked: set[str]) -> BankItem | None:
    """After an accepted answer: the next prepared question in line, then a push on a weak part of the pitch."""
    queue = state["queue"]
    while state["next"] < len(queue):
        ref = queue[state["next"]]
        state["next"] += 1
        if ref["key"] in asked:
            continue
        item = find_item(bank, ref)
        if item is not None:
            return item
    for criterion in state["weak"]:
        if criterion in state["pushed"]:
            continue
        state["pushed"].append(criterion)
        item = push_for_criterion(criterion, pitch, bank, asked)
        if item is not None:
            return item
    ranked = rank_items(pitch, bank, bank.questions, n=1, exclude=asked)
    return ranked[0].item if ranked else None


def _llm_task(question: str, reply: str, accepted: bool, gap_line: str, next_item: BankItem | None) -> str:
    """What the model is asked to say; the decision (accept or press) is already made."""
    head = f'In this rehearsal you asked: "{question}" The presenter replied: "{reply}"'
    if accepted:
        then = f' Then ask your next question: "{next_item.text}"' if next_item is not None else ""
        return f"{head} You accept the reply. Say briefly, from the sources, why this matters to you.{then}"
    ask = f' and ask: "{next_item.text}"' if next_item is not None else ""
    return f"{head} You do not accept it yet ({gap_line}). Press them on what is missing, from the sources{ask}."


def build_summary(row: Rehearsal, state: dict[str, Any], bank: VisibleBank, cites: Citations) -> dict[str, Any]:
    """What was strong, what to fix, and the questions to prepare for, each question cited."""
    scorecard = row.result.get("scorecard", {})
    criteria = scorecard.get("criteria", [])
    history = state.get("history", [])
    last_verdict: dict[str, dict[str, Any]] = {}
    for h in history:
        last_verdict[h["question"]] = h
    answered = [q for q, h in last_verdict.items() if h["accepted"]]
    unresolved = [h for h in last_verdict.values() if not h["accepted"]]
    # A round's row: the point is the twin's question, the detail what the presenter answered (or what it lacked). A
    # strong criterion worded as a question answered in the rounds ("How does this affect the drivers?") is that row,
    # not a second one. A criterion on the point of a question the rounds settled is no longer to fix once answered,
    # and no longer strong when left unanswered ("What's the ask, exactly?" against "What's the ask?").
    said = {wording(q) for q in answered}
    strong = [{"point": c["label"], "detail": c["reason"]} for c in criteria
              if c["score"] >= 4 and wording(c["label"]) not in said]
    strong += [{"point": q, "detail": f"Your answer: {last_verdict[q].get('reply', '')}".strip(), "round": True}
               for q in answered]
    fix = [{"point": c["label"], "detail": c["reason"]} for c in criteria
           if c["score"] < PUSH_BELOW and not any(same_point(c["label"], q) for q in answered)]
    fix += [{"point": h["question"], "detail": h.get("line") or GAP_LINES.get(h["gap"] or "topic", ""), "round": True}
            for h in unresolved]
    strong = [c for c in strong if c.get("round") or not any(same_point(c["point"], h["question"]) for h in unresolved)]
    prepare: list[dict[str, Any]] = []
    listed: list[BankItem] = [i for i in bank.items if i.text in answered]
    # Each question cited where it was cited when asked (the passage the rounds put to the presenter; for a round
    # stored without it, the one the question list gave), never another passage with the same words.
    queued = {ref["question"]: ref.get("passage_id") for ref in reversed(state.get("queue", []))}
    refs = [{"question": h["question"], "passage_id": h.get("passage_id") or queued.get(h["question"])}
            for h in unresolved] + list(state.get("queue", []))
    for ref in refs:
        item = next((i for i in bank.items if i.text == ref["question"]
                     and (ref.get("passage_id") is None or i.hit.passage_id == ref["passage_id"])), None)
        # A question already listed or answered, in these words or others, is not one more to prepare for; nor is
        # one whose point the pitch already makes well (a strong criterion in its words).
        if item is None or any(item.text == i.text or same_question(item, i) for i in listed) \
                or any(same_point(c["point"], item.text) for c in strong if not c.get("round")):
            continue
        listed.append(item)
        prepare.append({"question": item.text, "citation": cites.cite(item.hit, item.text).to_dict()})
        if len(prepare) >= PREPARE:
            break
    total, top = scorecard.get("total", 0), scorecard.get("max", 0)
    parts = [f"That's the end of this rehearsal. Scorecard: {total:g} of {top:g}."]
    if answered:
        parts.append(f"You answered {len(answered)} of my questions well.")
    labels = [c["point"] for c in strong if not c.get("round")]
    if labels:
        parts.append("Strong: " + "; ".join(labels[:4]) + ".")
    labels = [c["point"] for c in fix if not c.get("round")]
    if labels:
        parts.append("To fix: " + "; ".join(labels[:4]) + ".")
    lines = list(parts)  # what a channel without a Summary section sets out line by line, the questions listed
    if prepare:
        parts.append("Prepare for: " + " ".join(f"{p['question']} [{p['citation']['n']}]" for p in prepare))
    return {"strong": strong, "fix": fix, "prepare": prepare, "rounds": row.round + 1,
            "score": {"total": total, "max": top}, "text": " ".join(parts), "lines": lines}


CITE_MARK_RE = re.compile(r"\[(\d+)\]")


def cited_in(text: str, citations: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The citations a text cites by its [n] markers, in their order: a face that shows part of a round's text (the
    reaction without the summary set out below it) lists the sources of that part only, never a source its words do
    not cite."""
    marked = {int(n) for n in CITE_MARK_RE.findall(text or "")}
    return [c for c in citations if c.get("n") in marked]


def set_out(turn: dict[str, Any]) -> tuple[str, list[str], list[str]] | None:
    """A closing round as a channel without a Summary section sets it out: the reaction, the summary's lines, and the
    questions to prepare for with their [n]; None for any other round (or one stored before summaries had lines)."""
    summary = turn.get("summary") or {}
    text = turn.get("text") or ""
    if not summary.get("lines") or not summary.get("text") or not text.endswith(summary["text"]):
        return None
    prepare = [f"{p['question']} [{p['citation']['n']}]" for p in summary.get("prepare") or []]
    return text[:len(text) - len(summary["text"])].strip(), list(summary["lines"]), prepare


def get_rehearsal(session: Session, rehearsal_id: int, viewer: Viewer) -> dict[str, Any]:
    """A rehearsal with its rounds, for its author only (anyone else gets NotFound)."""
    row = store.get_rehearsal(session, rehearsal_id, user_id=viewer.user_id)
    twin = session.get(Twin, row.twin_id)
    turns = store.rehearsal_turns(session, row)
    return {"rehearsal_id": row.id, "twin": twin.slug if twin else None, "channel": row.channel,
            "created_at": row.created_at.isoformat() if row.created_at else None, "pitch": row.pitch,
            "filename": row.filename, **row.result, "mode": row.mode, "round": row.round,
            "max_rounds": row.max_rounds, "done": row.done, "summary": row.summary,
            "next_question": (row.state or {}).get("pending"),
            "disclaimer": persona_settings(twin).disclaimer_text if twin else "",
            "turns": [{"round": t.round, "question": t.question, "reply": t.reply, "reaction": t.reaction,
                       "text": t.text, "citations": t.citations, "mode": t.mode,
                       "created_at": t.created_at.isoformat() if t.created_at else None} for t in turns]}


def list_rehearsals(session: Session, viewer: Viewer, *, twin_slug: str | None = None,
                    limit: int = 50) -> list[dict[str, Any]]:
    """The viewer's own rehearsals, newest first, in brief."""
    twin = store.get_twin(session, twin_slug) if twin_slug else None
    rows = store.list_rehearsals(session, user_id=viewer.user_id, twin=twin, limit=limit)
    slugs = {t.id: t.slug for t in store.list_twins(session)}
    return [{"rehearsal_id": r.id, "twin": slugs.get(r.twin_id), "created_at": r.created_at.isoformat(),
             "words": r.result.get("analysis", {}).get("words"), "filename": r.filename, "round": r.round,
             "max_rounds": r.max_rounds, "done": r.done,
             "score": {"total": r.result.get("scorecard", {}).get("total"),
                       "max": r.result.get("scorecard", {}).get("max")}} for r in rows]


__all__ = ["CONCERN", "QUESTION", "PushBack", "RehearsalResult", "TurnResult", "answer_turn", "ensure_available",
           "get_rehearsal", "list_rehearsals", "set_out", "start_rehearsal"]
