"""Candidate retrieval from the database's full-text index: rank first, then apply the access filter."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from service.search.query import ParsedQuery, essential_terms, fts5_match, tsquery_text

log = logging.getLogger(__name__)

# FTS5 bm25() column weights: title, heading, speaker, text, context, twin_id (a filter, never scored).
FTS5_WEIGHTS = (0.6, 0.8, 0.6, 1.0, 0.35, 0.0)
# ts_rank() weights for the D (context), C (text), B (heading, speaker) and A (title) labels.
TS_RANK_WEIGHTS = "{0.25, 1.0, 0.6, 0.6}"
# Widen the pool (x4) while the access filter leaves too few of the top-ranked rows, up to this many.
MAX_POOL = 51_200
# Postings a query's essential (rarest) terms may add up to; common words beyond it only score, never match.
MATCH_BUDGET = 1_000
# A twin holding less than this share of the index is matched by its twin_id token inside MATCH, so
# other twins' rows can never crowd it out of the pool; a larger twin skips that (costly) doclist.
TWIN_TOKEN_SHARE = 0.5


@dataclass
class Candidate:
    """One visible passage with its source's fields and its lexical score (higher is better)."""

    passage_id: int
    source_id: int
    source_version: int
    title: str
    kind: str
    date: dt.date | None
    ordinal: int
    locator: str
    speaker: str | None
    executive: bool
    text: str
    heading: str | None
    context: str
    lexical: float


_ROW_COLUMNS = """p.id, p.source_id, s.version, s.title, s.kind, s.date, p.ordinal, p.locator, p.speaker,
                  p.executive, p.text, p.heading, p.context"""
_VISIBLE = """p.twin_id = :twin AND s.twin_id = :twin AND s.status = 'approved' AND s.superseded_by_id IS NULL
              AND s.audience IN :audiences"""


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def row_candidate(row: Sequence[Any], lexical: float) -> Candidate:
    (pid, sid, version, title, kind, date, ordinal, locator, speaker, executive, body, heading, context) = row[:13]
    return Candidate(passage_id=int(pid), source_id=int(sid), source_version=int(version), title=str(title),
                     kind=str(kind), date=_date(date), ordinal=int(ordinal), locator=str(locator or ""),
                     speaker=None if speaker is None else str(speaker), executive=bool(executive), text=str(body),
                     heading=None if heading is None else str(heading), context=str(context or ""),
                     lexical=lexical)


def _rank_expression() -> str:
    return "bm25(" + ", ".join(f"{w:g}" for w in FTS5_WEIGHTS) + ")"


_TWIN_SIZES: dict[tuple[str, int], tuple[float, float]] = {}
_TWIN_SIZE_TTL_S = 300.0


_K = TypeVar("_K")
_V = TypeVar("_V")


def _remembered(cache: dict[_K, tuple[float, _V]], key: _K, ttl_s: float, compute: Callable[[], _V]) -> _V:
    """`compute()` for `key`, kept in `cache` for `ttl_s` seconds (a cache past 10,000 keys starts afresh)."""
    now = time.monotonic()
    cached = cache.get(key)
    if cached is not None and now - cached[0] < ttl_s:
        return cached[1]
    value = compute()
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = (now, value)
    return value


def _database_key(session: Session) -> str:
    """The session's database URL without its password: the key of per-database caches."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def _twin_share(session: Session, twin_id: int) -> float:
    """Roughly what share of all passages belong to this twin (cached for a few minutes)."""
    def share() -> float:
        mine = session.scalar(text("SELECT count(*) FROM passages WHERE twin_id = :t"), {"t": twin_id}) or 0
        # Ids are never reused, so the highest one bounds the count without a scan.
        total = session.scalar(text("SELECT max(id) FROM passages")) or 0
        return min(mine / total, 1.0) if total else 1.0

    return _remembered(_TWIN_SIZES, (_database_key(session), twin_id), _TWIN_SIZE_TTL_S, share)


def _ranked_ids(session: Session, query: ParsedQuery, essential: tuple[str, ...], twin_id: int,
                pool: int, *, twin_token: bool = True) -> list[tuple[int, float]]:
    """The twin's top `pool` passage ids by the index's own score, before any access filter.

    Without the twin token (SQLite) the pool may hold other twins' rows; the access filter drops them.
    """
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(
            text("SELECT rowid, rank FROM passages_fts WHERE passages_fts MATCH :match AND rank MATCH :rank "
                 "ORDER BY rank LIMIT :pool"),
            {"match": fts5_match(query, twin_id if twin_token else None, essential), "rank": _rank_expression(),
             "pool": pool},
        ).all()
        return [(int(pid), -float(score)) for pid, score in rows]
    rows = session.execute(
        text("SELECT p.id, ts_rank(CAST(:weights AS float4[]), p.search_vector, q, 1) AS score "
             "FROM passages p, to_tsquery('english', :tsq) q "
             "WHERE p.twin_id = :twin AND p.search_vector @@ to_tsquery('english', :essential) "
             "ORDER BY score DESC LIMIT :pool"),
        {"weights": TS_RANK_WEIGHTS, "tsq": tsquery_text(query.terms), "essential": tsquery_text(essential),
         "twin": twin_id, "pool": pool},
    ).all()
    return [(int(pid), float(score)) for pid, score in rows]


def visible_rows(session: Session, ids: list[int], twin_id: int, audiences: list[str],
                  executive_only: bool) -> list[Sequence[Any]]:
    """The rows among `ids` this viewer may see, with their sources' fields."""
    if not ids:
        return []
    if session.get_bind().dialect.name == "sqlite":
        id_filter, ids_param = "p.id IN (SELECT value FROM json_each(:ids))", json.dumps(ids)
    else:
        id_filter, ids_param = "p.id = ANY(CAST(:ids AS integer[]))", "{" + ",".join(map(str, ids)) + "}"
    sql = (f"SELECT {_ROW_COLUMNS} FROM passages p JOIN sources s ON s.id = p.source_id "
           f"WHERE {id_filter} AND {_VISIBLE}" + (" AND p.executive" if executive_only else ""))
    stmt = text(sql).bindparams(bindparam("audiences", expanding=True))
    return list(session.execute(stmt, {"ids": ids_param, "twin": twin_id, "audiences": audiences}).all())


def _pg_ranked_visible(session: Session, query: ParsedQuery, essential: tuple[str, ...], twin_id: int, pool: int,
                       audiences: list[str], executive_only: bool) -> tuple[int, list[Candidate]]:
    """PostgreSQL in one round trip: the twin's top `pool` rows by ts_rank, then the access filter on those."""
    extra = " AND p.executive" if executive_only else ""
    stmt = text(
        "WITH ranked AS MATERIALIZED ("
        " SELECT p.id, ts_rank(CAST(:weights AS float4[]), p.search_vector, q, 1) AS score"
        " FROM passages p, to_tsquery('english', :tsq) q"
        " WHERE p.twin_id = :twin AND p.search_vector @@ to_tsquery('english', :essential)"
        " ORDER BY score DESC LIMIT :pool) "
        f"SELECT {_ROW_COLUMNS}, r.score FROM ranked r "
        "LEFT JOIN passages p ON p.id = r.id "
        f"LEFT JOIN sources s ON s.id = p.source_id AND {_VISIBLE}{extra}"
    ).bindparams(bindparam("audiences", expanding=True))
    rows = session.execute(stmt, {"weights": TS_RANK_WEIGHTS, "tsq": tsquery_text(query.terms),
                                  "essential": tsquery_text(essential), "twin": twin_id, "pool": pool,
                                  "audiences": audiences}).all()
    return len(rows), [row_candidate(row, float(row[13])) for row in rows if row[2] is not None]


def fetch_candidates(session: Session, query: ParsedQuery, twin_id: int, audiences: list[str], *,
                     want: int, pool: int, executive_only: bool = False,
                     df: dict[str, int] | None = None, budget: int = MATCH_BUDGET) -> list[Candidate]:
    """Rank in the index first, then filter by access; widen the pool while the filter starves the result."""
    if query.empty or not audiences:
        return []
    if df is None:
        df, _ = document_frequencies(session, dict(zip(query.stems, query.terms, strict=True)))
    essential = essential_terms(query, df, budget)
    pool = max(pool, want)
    twin_token = (session.get_bind().dialect.name != "sqlite"
                  or _twin_share(session, twin_id) < TWIN_TOKEN_SHARE)
    while True:
        if session.get_bind().dialect.name == "sqlite":
            ranked = _ranked_ids(session, query, essential, twin_id, pool, twin_token=twin_token)
            if not ranked:
                return []
            scores = dict(ranked)
            rows = visible_rows(session, [pid for pid, _ in ranked], twin_id, audiences, executive_only)
            found = [row_candidate(row, scores[int(row[0])]) for row in rows]
            pooled = len(ranked)
        else:
            pooled, found = _pg_ranked_visible(session, query, essential, twin_id, pool, audiences, executive_only)
        if len(found) >= want or pooled < pool:
            return sorted(found, key=lambda c: -c.lexical)
        if not twin_token:
            twin_token = True  # other twins crowded the pool: ask for this twin's rows only
            continue
        if pool >= MAX_POOL:
            return fetch_candidates_filtered_in_query(session, query, twin_id, audiences, limit=pool,
                                                      executive_only=executive_only)
        pool *= 4


def fetch_candidates_filtered_in_query(session: Session, query: ParsedQuery, twin_id: int, audiences: list[str],
                                       *, limit: int, executive_only: bool = False) -> list[Candidate]:
    """The naive plan: MATCH, join and access filter in one statement (complete, but slow on large corpora)."""
    if query.empty or not audiences:
        return []
    extra = " AND p.executive" if executive_only else ""
    if session.get_bind().dialect.name == "sqlite":
        sql = (f"SELECT {_ROW_COLUMNS}, f.rank FROM passages_fts f JOIN passages p ON p.id = f.rowid "
               f"JOIN sources s ON s.id = p.source_id WHERE passages_fts MATCH :match AND f.rank MATCH :rank "
               f"AND {_VISIBLE}{extra} ORDER BY f.rank LIMIT :limit")
        params: dict[str, object] = {"match": fts5_match(query, None), "rank": _rank_expression()}
        sign = -1.0
    else:
        sql = (f"SELECT {_ROW_COLUMNS}, ts_rank(CAST(:weights AS float4[]), p.search_vector, q, 1) AS score "
               f"FROM passages p JOIN sources s ON s.id = p.source_id, to_tsquery('english', :tsq) q "
               f"WHERE p.search_vector @@ q AND {_VISIBLE}{extra} ORDER BY score DESC LIMIT :limit")
        params = {"weights": TS_RANK_WEIGHTS, "tsq": tsquery_text(query.terms)}
        sign = 1.0
    stmt = text(sql).bindparams(bindparam("audiences", expanding=True))
    rows = session.execute(stmt, {**params, "twin": twin_id, "audiences": audiences, "limit": limit}).all()
    return [row_candidate(row, sign * float(row[13])) for row in rows]


def document_frequencies(session: Session, terms: dict[str, str]) -> tuple[dict[str, int], int]:
    """How many passages hold each stem ({stem: a word with that stem}), and about how many passages there are."""
    if not terms:
        return {}, 0
    if session.get_bind().dialect.name == "sqlite":
        stmt = text("SELECT term, doc FROM passages_fts_vocab WHERE term IN :terms").bindparams(
            bindparam("terms", expanding=True))
        df = {str(term): int(doc) for term, doc in session.execute(stmt, {"terms": list(terms)})}
        total = session.scalar(text("SELECT max(id) FROM passages")) or 0
        return df, int(total)
    return _pg_document_frequencies(session, terms)


_PG_DF_CACHE: dict[tuple[str, str], tuple[float, int]] = {}
_PG_DF_TTL_S = 600.0


# When this process last tried to analyse a never-analysed table, per database.
_PG_ANALYZED: dict[str, float] = {}
# Statistics count as stale when the row estimate is off by more than this share (or this many rows).
STALE_SHARE = 0.1
STALE_MIN_ROWS = 1_000
# A never-analysed table is analysed from a request at most this often per process (autovacuum may be off).
_PG_ANALYZE_EVERY_S = 60.0


def _pg_row_estimate(session: Session) -> float:
    """PostgreSQL's estimate of the passages table's rows; -1 when it was never analysed."""
    return float(session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'passages'")) or 0)


# The row estimate as searches read it, per database: (when read, value); a round trip saved per query.
_PG_ROWS_CACHE: dict[str, tuple[float, float]] = {}
_PG_ROWS_TTL_S = 30.0


def _pg_cached_row_estimate(session: Session, database: str) -> float:
    return _remembered(_PG_ROWS_CACHE, database, _PG_ROWS_TTL_S, lambda: _pg_row_estimate(session))


def refresh_search_statistics(session: Session) -> None:
    """After an ingestion, bring PostgreSQL's statistics up to date: search sizes its matching budget from them.

    Autovacuum may be off or minutes behind; without fresh statistics a query's common words look rare and
    one answer can rank tens of thousands of rows. SQLite's FTS5 vocabulary is always exact: nothing to do.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    database = _database_key(session)
    estimated = _pg_row_estimate(session)
    if estimated >= 0:
        actual = int(session.scalar(text("SELECT count(*) FROM passages")) or 0)
        if abs(actual - estimated) <= STALE_SHARE * max(estimated, STALE_MIN_ROWS):
            return  # close enough: a large table is not analysed again for every small upload
    try:
        with session.begin_nested():
            session.execute(text("ANALYZE passages"))
    except Exception as exc:  # noqa: BLE001 - e.g. not the table's owner: searches still work, more slowly
        log.warning("could not refresh search statistics (ANALYZE passages): %s", exc)
        return
    _PG_ROWS_CACHE.pop(database, None)
    _PG_FREQUENCIES.pop(database, None)
    for key in [k for k in _PG_DF_CACHE if k[0] == database]:
        _PG_DF_CACHE.pop(key, None)


def _pg_document_frequencies(session: Session, terms: dict[str, str]) -> tuple[dict[str, int], int]:
    # PostgreSQL keeps lexeme frequencies in the column statistics: the planner's estimate costs no scan.
    database = _database_key(session)
    total = _pg_cached_row_estimate(session, database)
    if total < 0 and time.monotonic() - _PG_ANALYZED.get(database, float("-inf")) >= _PG_ANALYZE_EVERY_S:
        _PG_ANALYZED[database] = time.monotonic()  # tried, whether or not this user may analyse
        refresh_search_statistics(session)  # never analysed (a fresh or restored database)
        total = _pg_cached_row_estimate(session, database)
    if total <= 0:
        return {}, 0
    now = time.monotonic()
    df: dict[str, int] = {}
    missing: dict[str, str] = {}
    for s, word in terms.items():
        cached = _PG_DF_CACHE.get((database, s))
        if cached is not None and now - cached[0] < _PG_DF_TTL_S:
            df[s] = cached[1]
        else:
            missing[s] = word
    if missing:
        lexemes = _pg_lexemes(session, list(missing.values()))
        frequencies, rare = _pg_lexeme_frequencies(session, database)
        if len(_PG_DF_CACHE) > 50_000:
            _PG_DF_CACHE.clear()
        for s, word in missing.items():
            lexeme = lexemes.get(word)
            # As the planner estimates `search_vector @@ query`: a stop word matches nothing, a lexeme its
            # share among the column's most common elements, any other lexeme a fixed small share.
            share = 0.0 if lexeme is None else frequencies.get(lexeme, rare)
            df[s] = max(1, round(share * total))
            _PG_DF_CACHE[(database, s)] = (now, df[s])
    return df, int(total)


# PostgreSQL's `english` lexeme of a word (None for a stop word): stemming never changes, so never expires.
_PG_LEXEMES: dict[str, str | None] = {}
# Per database: (when read, ({lexeme: share of passages} for the most common lexemes, share of any other)).
_PG_FREQUENCIES: dict[str, tuple[float, tuple[dict[str, float], float]]] = {}
# PostgreSQL's DEFAULT_TS_MATCH_SEL: the most a lexeme outside the most-common list is assumed to match.
_PG_DEFAULT_MATCH_SHARE = 0.005


def _pg_lexemes(session: Session, words: list[str]) -> dict[str, str | None]:
    """Each word's lexeme under the index's text search configuration, one round trip for the unknown ones."""
    unknown = sorted({w for w in words if w not in _PG_LEXEMES})
    if unknown:
        rows = session.execute(
            text("SELECT w, (tsvector_to_array(to_tsvector('english', w)))[1] "
                 "FROM unnest(CAST(:words AS text[])) AS w"), {"words": unknown}).all()
        if len(_PG_LEXEMES) > 200_000:
            _PG_LEXEMES.clear()
        _PG_LEXEMES.update({str(word): None if lexeme is None else str(lexeme) for word, lexeme in rows})
    return {w: _PG_LEXEMES.get(w) for w in words}


def _pg_lexeme_frequencies(session: Session, database: str) -> tuple[dict[str, float], float]:
    """The search column's most common lexemes with their shares of passages, and the share assumed for others."""
    def read() -> tuple[dict[str, float], float]:
        row = session.execute(text(
            "SELECT CAST(CAST(most_common_elems AS text) AS text[]), most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'passages' AND attname = 'search_vector'")).first()
        elements: list[str] = list(row[0] or []) if row else []
        shares: list[float] = [float(f) for f in (row[1] or [])] if row else []
        # After one share per element come the minimum and the maximum share.
        least = shares[len(elements)] if len(shares) > len(elements) else 2 * _PG_DEFAULT_MATCH_SHARE
        return dict(zip(elements, shares, strict=False)), min(_PG_DEFAULT_MATCH_SHARE, least / 2)

    return _remembered(_PG_FREQUENCIES, database, _PG_DF_TTL_S, read)
