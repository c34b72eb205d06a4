"""The messaging-gap map: what employees ask that the corpus cannot answer, grouped by meaning into named themes.

Every question the twin could not answer from its sources (an ungrounded answer that was not a refused topic) is
embedded with the search model; distinct wordings are grouped by average-linkage agglomerative clustering on
cosine similarity with one threshold (deterministic: the same log gives the same themes). Each theme is named by
the key phrase of its most central question, counted, dated, trended by week and described by its askers'
audiences, never by who asked; audiences are shown only for themes at least `min_audience_group` people asked.

A curator marks a theme answered by linking an approved source: the link keeps the theme's centroid, so questions
asked later that mean the same are followed up, answered or not.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import GapThemeLink, Interaction, Source, Twin, User
from service.errors import BadInput, NotFound
from service.twin.courtesy import courtesy_reply
from service.twin.gap_grouping import GAP_VECTORS as GAP_VECTORS
from service.twin.gap_grouping import NAME_MAX_WORDS as NAME_MAX_WORDS
from service.twin.gap_grouping import (
    Embed,
    _unit,
    embed_cached,
    embedder_for,
    group_by_meaning,
    key_phrase,
    readable,
)
from service.twin.gap_grouping import key_phrase_candidates as key_phrase_candidates

# GAP_VECTORS, NAME_MAX_WORDS and key_phrase_candidates are named again (as themselves) for callers that read them
# here: the bench clears the vector cache, tests check theme names and key phrases.

# Most distinct wordings one map groups (the newest); the pairwise distances grow with their square.
MAX_WORDINGS = 4000
EXAMPLES = 5
# How close a theme's centre must stay to a linked theme's centre to still be that theme (stricter than grouping:
# a neighbouring theme must not inherit another's link).
LINK_MATCH = 0.8
TREND_DAYS = 14
OTHER_AUDIENCES = "other audiences (under 5 each)"


@dataclass(frozen=True)
class AskedQuestion:
    """One asking of a question as the gap map sees it (the asker's id stays inside this module)."""

    question: str
    asked_at: dt.datetime
    asker: int | None
    audiences: tuple[str, ...]
    answered: bool


@dataclass
class LinkReport:
    """A theme marked answered by a source, and how the questions asked since then fared."""

    id: int
    name: str
    question: str
    source_id: int | None
    source_title: str
    linked_at: dt.datetime
    linked_by: str
    asked_since: int = 0
    answered_since: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "question": self.question, "source_id": self.source_id,
                "source_title": self.source_title, "linked_at": self.linked_at.isoformat(),
                "linked_by": self.linked_by, "asked_since": self.asked_since, "answered_since": self.answered_since,
                "unanswered_since": self.asked_since - self.answered_since}


@dataclass
class Theme:
    """A group of unanswered questions that mean the same."""

    key: str
    name: str
    question: str
    count: int
    wordings: int
    askers: int
    first_asked: dt.datetime
    last_asked: dt.datetime
    weekly: list[int]
    trend: str
    examples: list[str]
    audiences: list[dict[str, Any]] | None
    status: str = "open"
    link: LinkReport | None = None
    centroid: np.ndarray | None = field(default=None, repr=False)
    # Every distinct wording, most central first (only `examples` leave the domain).
    members: list[str] = field(default_factory=list, repr=False)

    def to_dict(self, weeks: Sequence[dt.date]) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "question": self.question, "count": self.count,
                "wordings": self.wordings, "askers": self.askers, "first_asked": self.first_asked.isoformat(),
                "last_asked": self.last_asked.isoformat(),
                "weekly": [{"week": w.isoformat(), "count": n} for w, n in zip(weeks, self.weekly, strict=True)],
                "trend": self.trend, "examples": self.examples, "audiences": self.audiences,
                "audiences_hidden": self.audiences is None, "status": self.status,
                "link": self.link.to_dict() if self.link else None}


@dataclass
class GapMap:
    """A twin's messaging gaps over a window: themes, biggest first, on one weekly axis."""

    twin_slug: str
    since: dt.date | None
    until: dt.datetime
    grouping: str
    similarity: float
    min_audience_group: int
    questions: int
    weeks: list[dt.date]
    themes: list[Theme]
    links: list[LinkReport]

    def theme(self, key: str) -> Theme:
        """The theme with this key, or NotFound (the map may have changed since it was shown)."""
        for theme in self.themes:
            if theme.key == key:
                return theme
        raise NotFound(f"no theme {key} in the current gap map (new questions may have regrouped it): reload it")

    def to_dict(self) -> dict[str, Any]:
        return {"twin": self.twin_slug, "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat(), "grouping": self.grouping, "similarity": self.similarity,
                "min_audience_group": self.min_audience_group, "questions": self.questions,
                "weeks": [w.isoformat() for w in self.weeks], "themes": [t.to_dict(self.weeks) for t in self.themes],
                "links": [link.to_dict() for link in self.links]}

    def to_csv(self) -> str:
        """One row per theme, for a spreadsheet: counts, dates, status, examples, audiences and weekly counts.
        Text that a spreadsheet would take for a formula (=, +, -, @ first) is kept as text."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["theme", "status", "questions", "distinct_wordings", "askers", "first_asked", "last_asked",
                         "trend", "example_questions", "audiences", "answered_by_source", "linked_at",
                         "asked_since_link", "answered_since_link", *[f"week_{w.isoformat()}" for w in self.weeks]])
        for t in self.themes:
            audiences = ("" if t.audiences is None
                         else "; ".join(f"{a['audience']}: {a['askers']}" for a in t.audiences))
            writer.writerow([_cell(t.name), t.status, t.count, t.wordings, t.askers, t.first_asked.isoformat(),
                             t.last_asked.isoformat(), t.trend, _cell(" | ".join(t.examples)),
                             audiences if t.audiences is not None else f"hidden (fewer than {self.min_audience_group} askers)",
                             _cell(t.link.source_title) if t.link else "", t.link.linked_at.isoformat() if t.link else "",
                             t.link.asked_since if t.link else "", t.link.answered_since if t.link else "",
                             *t.weekly])
        return buffer.getvalue()


def _cell(text: str) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- reading the log -------------------------------------------------------------------------------

def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _start_of(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def asked_questions(session: Session, twin: Twin, *, unanswered_only: bool, since: dt.datetime | None = None,
                    viewer: Viewer | None = None, limit: int = 50_000) -> list[AskedQuestion]:
    """Questions asked of the twin (not refused topics), oldest first; with a viewer, none that stood on a source
    the viewer may not read (as in the unanswered list)."""
    query = (select(Interaction.question, Interaction.created_at, Interaction.user_id, Interaction.grounded,
                    Interaction.passages, User.audiences)
             .outerjoin(User, User.id == Interaction.user_id)
             .where(Interaction.twin_id == twin.id, Interaction.kind == "ask", Interaction.refused_topic.is_(None)))
    if unanswered_only:
        query = query.where(Interaction.grounded.is_(False))
    if since is not None:
        query = query.where(Interaction.created_at >= since)
    rows = list(session.execute(query.order_by(Interaction.created_at.desc(), Interaction.id.desc()).limit(limit)))
    hidden: set[int] = set()
    if viewer is not None:
        ids = {int(p["source_id"]) for row in rows for p in row.passages or [] if p.get("source_id") is not None}
        if ids:
            hidden = {i for i, audience in store.audiences_by_source(session, ids).items()
                      if not viewer.sees(audience)}
    found = [AskedQuestion(question=row.question.strip(), asked_at=_aware(row.created_at), asker=row.user_id,
                           audiences=tuple(row.audiences or ()) if row.user_id else (), answered=bool(row.grounded))
             for row in rows
             if row.question.strip() and courtesy_reply(row.question, twin.name) is None  # "thanks!" is not a gap
             and not any(int(p["source_id"]) in hidden for p in row.passages or [] if p.get("source_id") is not None)]
    return list(reversed(found))


def theme_key(question: str) -> str:
    """A short stable key for the theme whose most central question this is."""
    return store.question_key(question)[:16]


# --- the map ---------------------------------------------------------------------------------------

def week_of(moment: dt.datetime) -> dt.date:
    """The Monday of the (UTC) week a moment falls in."""
    day = _aware(moment).astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def week_axis(first: dt.datetime, last: dt.datetime) -> list[dt.date]:
    """Every Monday from the week of `first` to the week of `last`."""
    start, end = week_of(first), week_of(last)
    return [start + dt.timedelta(weeks=i) for i in range((end - start).days // 7 + 1)]


def trend_of(moments: Sequence[dt.datetime], until: dt.datetime) -> str:
    """'new' (first asked in the last two weeks), 'rising', 'falling' or 'steady' (last two weeks against the two before)."""
    recent_start = until - dt.timedelta(days=TREND_DAYS)
    if min(moments) >= recent_start:
        return "new"
    recent = sum(1 for m in moments if m >= recent_start)
    before = sum(1 for m in moments if recent_start - dt.timedelta(days=TREND_DAYS) <= m < recent_start)
    if recent > before:
        return "rising"
    if recent < before:
        return "falling"
    return "steady"


def audience_breakdown(asked: Iterable[AskedQuestion], min_group: int) -> tuple[int, list[dict[str, Any]] | None]:
    """(distinct askers, askers per audience) where at least `min_group` people asked, else (askers, None); an
    audience held by fewer than `min_group` of them is pooled into 'other audiences' so that no cell points at a few."""
    people: dict[int, tuple[str, ...]] = {}
    for item in asked:
        if item.asker is not None:
            people[item.asker] = item.audiences or ("everyone",)
    if len(people) < max(min_group, 1):
        return len(people), None
    counts = Counter(a for audiences in people.values() for a in set(audiences))
    shown = sorted(((a, n) for a, n in counts.items() if n >= min_group), key=lambda an: (-an[1], an[0]))
    named = {a for a, _ in shown}
    pooled = sum(1 for audiences in people.values() if not set(audiences) & named)
    rows = [{"audience": a, "askers": n} for a, n in shown]
    if pooled:
        rows.append({"audience": OTHER_AUDIENCES, "askers": pooled})
    return len(people), rows


def gap_map(session: Session, settings: Settings, twin: Twin, *, since: dt.date | None = None,
            viewer: Viewer | None = None, now: dt.datetime | None = None) -> GapMap:
    """The messaging gaps of a twin: unanswered questions since `since`, grouped by meaning into themes."""
    until = _aware(now) if now else dt.datetime.now(dt.UTC)
    similarity = settings.gaps_similarity
    min_group = settings.gaps_min_audience_group
    asked = asked_questions(session, twin, unanswered_only=True, since=_start_of(since), viewer=viewer)
    by_wording: dict[str, list[AskedQuestion]] = {}
    for item in asked:
        by_wording.setdefault(item.question, []).append(item)
    wordings = sorted(by_wording, key=lambda w: max(i.asked_at for i in by_wording[w]), reverse=True)[:MAX_WORDINGS]
    wordings.sort(key=lambda w: (min(i.asked_at for i in by_wording[w]), w))
    embedder = embedder_for(settings)
    vectors: np.ndarray | None = None
    if embedder is not None and wordings:
        model, embed = embedder
        vectors = embed_cached(model, embed, wordings)
        labels = group_by_meaning(vectors, similarity)
    else:
        keys: dict[str, int] = {}
        labels = [keys.setdefault(store.question_key(w), len(keys)) for w in wordings]
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    kept = [i for w in wordings for i in by_wording[w]]
    weeks = week_axis(min(i.asked_at for i in kept), until) if kept else []
    themes: list[Theme] = []
    for indexes in members.values():
        counts = np.array([len(by_wording[wordings[i]]) for i in indexes], dtype=np.float32)
        if vectors is not None:
            group = vectors[indexes]
            centroid = _unit((group * counts[:, None]).sum(axis=0))
            closeness = group @ centroid
            order = sorted(range(len(indexes)), key=lambda j: (-float(closeness[j]), -counts[j], wordings[indexes[j]]))
        else:
            centroid = None
            order = list(range(len(indexes)))
        central = wordings[indexes[order[0]]]
        items = [i for j in indexes for i in by_wording[wordings[j]]]
        moments = [i.asked_at for i in items]
        per_week = Counter(week_of(m) for m in moments)
        askers, audiences = audience_breakdown(items, min_group)
        themes.append(Theme(
            key=theme_key(central), name=readable(central), question=central, count=len(items), wordings=len(indexes),
            askers=askers, first_asked=min(moments), last_asked=max(moments),
            weekly=[per_week.get(w, 0) for w in weeks], trend=trend_of(moments, until),
            examples=[wordings[indexes[j]] for j in order[:EXAMPLES]], audiences=audiences, centroid=centroid,
            members=[wordings[indexes[j]] for j in order]))
    themes.sort(key=lambda t: (-t.count, -t.last_asked.timestamp(), t.question))
    if embedder is not None:
        _name_themes(themes, embedder)
    links = _follow_links(session, settings, twin, themes, embedder, similarity, viewer)
    return GapMap(twin.slug, since, until, "meaning" if embedder is not None else "wording", similarity, min_group,
                  len(kept), weeks, themes, links)


_NAMES: OrderedDict[tuple[str, str, bytes], str] = OrderedDict()
_NAMES_LOCK = threading.Lock()


def _name_themes(themes: list[Theme], embedder: tuple[str, Embed]) -> None:
    """Name each theme of more than one wording by the key phrase of its most central question."""
    model, embed = embedder
    for theme in themes:
        if theme.wordings < 2 or theme.centroid is None:
            continue
        cache_key = (model, theme.question, np.round(theme.centroid, 2).tobytes())
        with _NAMES_LOCK:
            name = _NAMES.get(cache_key)
        if name is None:
            name = readable(key_phrase(theme.question, theme.centroid,
                                       lambda texts: embed_cached(model, embed, texts)))
            with _NAMES_LOCK:
                _NAMES[cache_key] = name
                while len(_NAMES) > 5000:
                    _NAMES.popitem(last=False)
        theme.name = name


def _follow_links(session: Session, settings: Settings, twin: Twin, themes: list[Theme],
                  embedder: tuple[str, Embed] | None, similarity: float, viewer: Viewer | None) -> list[LinkReport]:
    """Mark themes a source was linked to as answered since then, and count how later questions fared."""
    rows = store.gap_theme_links(session, twin)
    if not rows:
        return []
    titles = {s.id: s.title for s in session.scalars(
        select(Source).where(Source.id.in_([r.source_id for r in rows if r.source_id is not None])))}
    earliest = min(_aware(r.linked_at) for r in rows)
    later = asked_questions(session, twin, unanswered_only=False, since=earliest, viewer=viewer)
    model = embedder[0] if embedder else None
    later_vectors = (embed_cached(model, embedder[1], [q.question for q in later])
                     if embedder is not None and model is not None and later else None)
    reports: list[LinkReport] = []
    claimed: set[str] = set()
    for row in rows:  # newest first
        report = LinkReport(row.id, row.name, row.question, row.source_id, titles.get(row.source_id or -1, ""),
                            _aware(row.linked_at), row.linked_by)
        centroid = (np.frombuffer(row.centroid, dtype=np.float32)
                    if row.centroid and model is not None and row.model == model else None)
        since_link = [j for j, q in enumerate(later) if q.asked_at >= report.linked_at]
        if centroid is not None and later_vectors is not None:
            near = [j for j in since_link if float(later_vectors[j] @ centroid) >= similarity]
        else:
            key = store.question_key(row.question)
            near = [j for j in since_link if store.question_key(later[j].question) == key]
        report.asked_since = len(near)
        report.answered_since = sum(1 for j in near if later[j].answered)
        reports.append(report)
        best: Theme | None = None
        best_score = max(similarity, LINK_MATCH)
        for theme in themes:
            if theme.key in claimed:
                continue
            if centroid is not None and theme.centroid is not None:
                score = float(theme.centroid @ centroid)
            else:
                score = 1.0 if store.question_key(row.question) in {store.question_key(e) for e in theme.examples} else 0.0
            if score >= best_score:
                best, best_score = theme, score
        if best is not None:
            claimed.add(best.key)
            best.status, best.link = "answered-since", report
    return reports


def link_theme(session: Session, settings: Settings, twin: Twin, key: str, source_id: int, *, actor: str,
               since: dt.date | None = None, viewer: Viewer | None = None, note: str = "") -> GapThemeLink:
    """Mark a theme answered by an approved source of the twin; its wordings count as answered by it in the
    unanswered list, and later questions that mean the same are followed up."""
    themes = gap_map(session, settings, twin, since=since, viewer=viewer)
    theme = themes.theme(key)
    try:
        source = store.get_source(session, source_id)
    except NotFound:
        raise NotFound(f"no source {source_id}") from None
    if source.twin_id != twin.id or (viewer is not None and not viewer.sees(source.audience)):
        raise NotFound(f"no source {source_id}")
    if source.display_status != "approved":
        raise BadInput(f"source {source_id} is {source.display_status}: link an approved source")
    embedder = embedder_for(settings)
    model = embedder[0] if embedder and theme.centroid is not None else ""
    centroid = theme.centroid.astype(np.float32).tobytes() if model and theme.centroid is not None else b""
    row = store.add_gap_theme_link(session, twin, name=theme.name, question=theme.question, source_id=source.id,
                                   model=model, centroid=centroid, note=note, actor=actor)
    for wording in theme.members:
        store.review_question(session, twin, wording, status="answered", source_id=source.id,
                              note=f"theme “{theme.name}”", actor=actor)
    return row


def export_links(session: Session, twin: Twin) -> list[dict[str, Any]]:
    """A twin's theme links as its export carries them, oldest first (source ids of the export; centre in base64)."""
    return [{"id": row.id, "name": row.name, "question": row.question, "source_id": row.source_id,
             "model": row.model, "centroid": base64.b64encode(row.centroid or b"").decode("ascii"), "note": row.note,
             "linked_by": row.linked_by,
             "linked_at": (row.linked_at if row.linked_at.tzinfo else row.linked_at.replace(tzinfo=dt.UTC)).isoformat()}
            for row in reversed(store.gap_theme_links(session, twin))]


def restore_link(session: Session, twin: Twin, record: dict[str, Any], sources: dict[int, Source]) -> GapThemeLink:
    """An imported theme link, pointing at the imported source (none when its source did not travel)."""
    old = record.get("source_id")
    source = sources.get(int(old)) if old is not None else None
    centroid = base64.b64decode(str(record.get("centroid") or ""), validate=True)
    model = str(record.get("model") or "") if centroid else ""
    when = record.get("linked_at")
    row = GapThemeLink(twin_id=twin.id, name=str(record["name"])[:500], question=str(record.get("question") or ""),
                       source_id=source.id if source is not None else None, model=model, centroid=centroid,
                       note=str(record.get("note") or "")[:2000], linked_by=str(record.get("linked_by") or ""),
                       linked_at=dt.datetime.fromisoformat(when) if when else dt.datetime.now(dt.UTC))
    session.add(row)
    session.flush()
    return row


def sparkline(counts: Sequence[int]) -> str:
    """Weekly counts as one line of block characters, for a terminal."""
    blocks = " ▁▂▃▄▅▆▇█"
    top = max(counts, default=0)
    return "".join(blocks[0 if n == 0 else max(1, round(n / top * 8))] for n in counts) if top else "·" * len(counts)
