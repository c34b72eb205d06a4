"""A memo's table beside an answer: when the question asks for what a table of hers lays out ("What counts as
serious?", "Which depots have electric vans today?"), its rows are shown under its heading, cited, as data and
not as her spoken words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import islice

from sqlalchemy.orm import Session

from service.search import PassageHit, neighbours
from service.search.engine import Neighbour
from service.search.terms import TermStats
from service.twin.citations import citation_for
from service.twin.extractive import Composed, joined, term_weights
from textkit.sentences import is_table_passage, is_table_row, sentences
from textkit.words import query_terms, stem_set_with_compounds

# A table is looked at only when one of its passages is among this many of the executive's best passages.
TABLE_HITS = 6
# Share of the question's weight its words must hold to be answered by the table: all of its words, nearly.
TABLE_COVERAGE = 0.95
# Share of the question's weight the table's heading and header row must hold: the question asks for what the
# table is about ("what counts as serious", "electric vans today by depot"), not for a word one row mentions.
HEADER_COVERAGE = 0.5
# A header cell that only names what the rows are ("Measure | 2023 | 2024"): it says nothing of what the table is
# about, so "How do you measure a depot?" is not asking for it.
ROW_KIND_LABELS = frozenset(stem_set_with_compounds(
    "measure measures metric metrics item items name names category categories description descriptions kpi kpis "
    "indicator indicators type types field fields value values total totals"))
# How far around a passage of a table its other passages are looked for (a long table spans several).
TABLE_REACH = 4
MAX_ROWS = 20


@dataclass(frozen=True)
class SourceTable:
    """A whole table of one source: its heading, header cells and body rows, and the passages holding them."""

    heading: str
    header: list[str]
    rows: list[tuple[list[str], PassageHit]]
    passages: list[PassageHit]

    def header_stems(self) -> set[str]:
        """The words of the table's heading and header cells, a cell that only names the rows' kind aside."""
        cells = [c for c in self.header if not stem_set_with_compounds(c) <= ROW_KIND_LABELS]
        return stem_set_with_compounds(" ".join([self.heading, *cells]))

    def all_stems(self) -> set[str]:
        """Every word of the table and of its source's title, which says what it is part of ("How We Run Meetings"
        for "the questions I will ask")."""
        title = self.passages[0].title if self.passages else ""
        return self.header_stems() | stem_set_with_compounds(
            " ".join([title, *(" ".join(cells) for cells, _ in self.rows)]))


def cells(row: str) -> list[str]:
    """A row's cells as written ("Calder North | 240 | 38" -> ["Calder North", "240", "38"])."""
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def source_tables(session: Session, hits: Sequence[PassageHit], limit: int = TABLE_HITS) -> list[SourceTable]:
    """The whole tables that the best `limit` executive passages are part of, in the order they were found."""
    found = [h for h in islice((h for h in hits if h.executive), limit) if is_table_passage(h.text)]
    if not found:
        return []
    around = neighbours(session, [h.passage_id for h in found], before=TABLE_REACH, after=TABLE_REACH)
    tables: list[SourceTable] = []
    taken: set[int] = set()
    for hit in found:
        if hit.passage_id in taken:
            continue
        # Its neighbours under the same heading that are all rows are the same table (a long one is split).
        same = {n.ordinal: n for n in around.get(hit.passage_id, ())
                if n.locator == hit.locator and is_table_passage(n.text)}
        parts = [hit]
        for step in (-1, 1):
            ordinal = hit.ordinal + step
            while ordinal in same:
                part = _part_of(hit, same[ordinal])
                parts.insert(0, part) if step < 0 else parts.append(part)
                ordinal += step
        taken.update(p.passage_id for p in parts)
        lines = [(line, p) for p in parts for line in p.text.splitlines() if line.strip()]
        if len(lines) >= 2:
            tables.append(_table_of(hit, lines))
    return tables


def _part_of(hit: PassageHit, n: Neighbour) -> PassageHit:
    """A neighbouring passage of a hit's source as a hit of its own (same source, so the same title and visibility)."""
    return replace(hit, passage_id=n.passage_id, text=n.text, ordinal=n.ordinal, score=0.0, similarity=None)


def _table_of(hit: PassageHit, lines: Sequence[tuple[str, PassageHit]]) -> SourceTable:
    """A table from its lines (the header row first), each with the passage holding it, under the hit's heading."""
    return SourceTable(heading=hit.heading or hit.title, header=cells(lines[0][0]),
                       rows=[(cells(line), p) for line, p in lines[1:]],
                       passages=list({p.passage_id: p for _, p in lines}.values()))


def fitting_table(question: str, tables: Sequence[SourceTable],
                  stats: TermStats | None = None) -> tuple[SourceTable, list[tuple[list[str], PassageHit]]] | None:
    """The table that lays out what the question asks, and the rows to show: asked what its heading and columns
    say, those holding a name or figure the question holds beyond them ("Calder North"), or all of them; asked for
    what one row is about (a measure of a scorecard), that row."""
    weights = term_weights(query_terms(question), stats)
    if not weights:
        return None
    for table in tables:
        header, everything = table.header_stems(), table.all_stems()
        if sum(w for t, w in weights.items() if t in everything) < TABLE_COVERAGE:
            continue
        if sum(w for t, w in weights.items() if t in header) >= HEADER_COVERAGE:
            named = names_in(question) - header
            rows = [(row, p) for row, p in table.rows if named & stem_set_with_compounds(" ".join(row))]
            return table, rows or table.rows
        # A table of measures asked for one of them ("What's our electric share of urban vans?"): its row.
        labelled = [(row, p) for row, p in table.rows if row and sum(
            w for t, w in weights.items() if t in header | stem_set_with_compounds(row[0])) >= TABLE_COVERAGE]
        if labelled:
            return table, labelled
    return None


# A line that introduces what follows it ("these are the questions I ask of almost every proposal", "as follows:").
INTRODUCES_RE = re.compile(r"(?::\s*$|\b(?:these are|here are|the following|as follows|below|this table)\b)",
                           re.IGNORECASE)


def introduced_table(session: Session, composed: Composed) -> SourceTable | None:
    """The table that a quoted line introduces, when the table follows it under the same heading, in its passage or
    the next ("No surprises: these are the questions I ask of almost every proposal…" then the questions): quoted
    without it, the line points at nothing."""
    quotes = {c.passage_id: c.quote for c in composed.citations}
    for hit in composed.used:
        quote = quotes.get(hit.passage_id, "").rstrip()
        tail = quote[-60:]
        at = hit.text.find(tail) if hit.executive and quote else -1
        if at < 0 or not INTRODUCES_RE.search(sentences(quote)[-1]) or is_table_passage(hit.text):
            continue
        rest = [line for line in hit.text[at + len(tail):].splitlines() if line.strip()]
        if rest and not all(is_table_row(line) for line in rest):
            continue  # she goes on in sentences: what the line introduces is in the answer or left out
        lines = [(line, hit) for line in rest]
        ordinal = hit.ordinal
        following = neighbours(session, [hit.passage_id], before=0, after=TABLE_REACH).get(hit.passage_id, [])
        for n in following:
            if n.ordinal != ordinal + 1 or n.locator != hit.locator or not is_table_passage(n.text):
                break
            part = _part_of(hit, n)
            lines += [(line, part) for line in n.text.splitlines() if line.strip()]
            ordinal = n.ordinal
        if len(lines) >= 2:
            return _table_of(hit, lines)
    return None


# A name or a figure in a question picks rows out ("Calder North", "2026"); its other words say what the table is for.
NAME_RE = re.compile(r"(?<=\w )[A-Z][\w'’-]*|\b\w*\d\w*\b")


def names_in(question: str) -> set[str]:
    """The stems of the names and figures a question holds, past its first word ("Which", "How")."""
    return stem_set_with_compounds(" ".join(NAME_RE.findall(question)))


def row_line(header: Sequence[str], row: Sequence[str]) -> str:
    """A row as a person would read it out: "Calder North — Urban vans: 240; Electric today: 38"."""
    first, rest = (row[0], row[1:]) if row else ("", [])
    named = [f"{h}: {v}" if h else v for h, v in zip(header[1:], rest, strict=False) if v]
    return f"{first} — {'; '.join(named)}" if named else first


def with_table(composed: Composed, table: SourceTable, rows: Sequence[tuple[list[str], PassageHit]]) -> Composed:
    """The answer with the table's rows after it, under the table's heading, each passage holding them cited."""
    numbers = {c.passage_id: c.n for c in composed.citations}
    citations, used = list(composed.citations), list(composed.used)
    shown = rows[:MAX_ROWS]
    markers: list[str] = []
    for part in table.passages:
        quoted = [row for row, p in shown if p.passage_id == part.passage_id]
        if not quoted:
            continue
        lines = [line for line in part.text.splitlines() if line.strip() and cells(line) in quoted]
        if part.passage_id not in numbers:
            numbers[part.passage_id] = len(citations) + 1
            citations.append(citation_for(numbers[part.passage_id], part, "\n".join(lines)))
            used.append(part)
        else:  # the passage cited for a sentence holds rows too: its quote reads on to the last row shown
            at = next(i for i, c in enumerate(citations) if c.passage_id == part.passage_id)
            begin, end = part.text.find(citations[at].quote), part.text.rfind(lines[-1])
            if begin >= 0 and end >= begin:
                citations[at] = replace(citations[at], quote=part.text[begin:end + len(lines[-1])])
        markers.append(f"[{numbers[part.passage_id]}]")
    body = "\n".join(f"- {row_line(table.header, row)}" for row, _ in shown)
    more = len(rows) - len(shown)
    tail = f"\n({more} more rows in the source.)" if more > 0 else ""
    segment = f"\n{table.heading} {' '.join(markers)}:\n{body}{tail}"
    segments = [*composed.segments, segment]
    return replace(composed, answer=joined(segments), citations=citations, segments=segments, used=used)
