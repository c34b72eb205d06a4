"""Lexical search index over passages: SQLite FTS5 or PostgreSQL full-text search, kept in step by triggers.

SQLite: an external-content FTS5 table over a view of passages joined to their source's title, with the
twin id as an indexed column so a twin's filter is part of MATCH (one twin is never starved of candidates
by the others). Triggers on passages keep it in step with every insert, update and delete (bulk inserts
included, as triggers fire per row); a source's delete removes its passages first, while its title is still
there to un-index; a title change re-indexes the source's passages.

PostgreSQL: a trigger-maintained weighted tsvector column on passages (A title, B heading and speaker,
C text, D context; english configuration) with a GIN index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FTS_COLUMNS = "title, heading, speaker, text, context, twin_id"

SQLITE_UP = [
    """CREATE VIEW passages_search_content AS
       SELECT p.id AS id, s.title AS title, p.heading AS heading, p.speaker AS speaker, p.text AS text,
              p.context AS context, p.twin_id AS twin_id
       FROM passages p JOIN sources s ON s.id = p.source_id""",
    f"""CREATE VIRTUAL TABLE passages_fts USING fts5({FTS_COLUMNS},
        content='passages_search_content', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    # Document frequencies for the reranker's term weights.
    "CREATE VIRTUAL TABLE passages_fts_vocab USING fts5vocab(passages_fts, 'row')",
    f"""CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
        INSERT INTO passages_fts(rowid, {FTS_COLUMNS})
        VALUES (new.id, (SELECT title FROM sources WHERE id = new.source_id), new.heading, new.speaker,
                new.text, new.context, new.twin_id);
    END""",
    f"""CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
        INSERT INTO passages_fts(passages_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, (SELECT title FROM sources WHERE id = old.source_id), old.heading,
                old.speaker, old.text, old.context, old.twin_id);
    END""",
    f"""CREATE TRIGGER passages_fts_update AFTER UPDATE ON passages BEGIN
        INSERT INTO passages_fts(passages_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, (SELECT title FROM sources WHERE id = old.source_id), old.heading,
                old.speaker, old.text, old.context, old.twin_id);
        INSERT INTO passages_fts(rowid, {FTS_COLUMNS})
        VALUES (new.id, (SELECT title FROM sources WHERE id = new.source_id), new.heading, new.speaker,
                new.text, new.context, new.twin_id);
    END""",
    # Un-index a source's passages while its title is still readable (a cascade would run too late).
    """CREATE TRIGGER sources_fts_delete BEFORE DELETE ON sources BEGIN
        DELETE FROM passages WHERE source_id = old.id;
    END""",
    f"""CREATE TRIGGER sources_fts_title AFTER UPDATE OF title ON sources WHEN old.title IS NOT new.title BEGIN
        INSERT INTO passages_fts(passages_fts, rowid, {FTS_COLUMNS})
        SELECT 'delete', p.id, old.title, p.heading, p.speaker, p.text, p.context, p.twin_id
        FROM passages p WHERE p.source_id = old.id;
        INSERT INTO passages_fts(rowid, {FTS_COLUMNS})
        SELECT p.id, new.title, p.heading, p.speaker, p.text, p.context, p.twin_id
        FROM passages p WHERE p.source_id = new.id;
    END""",
    # Backfill whatever passages the database already holds.
    "INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS sources_fts_title",
    "DROP TRIGGER IF EXISTS sources_fts_delete",
    "DROP TRIGGER IF EXISTS passages_fts_update",
    "DROP TRIGGER IF EXISTS passages_fts_delete",
    "DROP TRIGGER IF EXISTS passages_fts_insert",
    "DROP TABLE IF EXISTS passages_fts_vocab",
    "DROP TABLE IF EXISTS passages_fts",
    "DROP VIEW IF EXISTS passages_search_content",
]

PG_VECTOR = """
    setweight(to_tsvector('english'::regconfig, coalesce(p_title, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(p_heading, '') || ' ' || coalesce(p_speaker, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, coalesce(p_text, '')), 'C')
    || setweight(to_tsvector('english'::regconfig, coalesce(p_context, '')), 'D')
"""

POSTGRES_UP = [
    "ALTER TABLE passages ADD COLUMN search_vector tsvector",
    f"""CREATE FUNCTION passages_search_vector(p_title text, p_heading text, p_speaker text, p_text text,
                                               p_context text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {PG_VECTOR} $$""",
    """CREATE FUNCTION passages_search_vector_fill() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_vector := passages_search_vector(
                (SELECT title FROM sources WHERE id = NEW.source_id), NEW.heading, NEW.speaker, NEW.text,
                NEW.context);
            RETURN NEW;
        END $$""",
    """CREATE TRIGGER passages_search_vector_fill
        BEFORE INSERT OR UPDATE OF source_id, heading, speaker, text, context ON passages
        FOR EACH ROW EXECUTE FUNCTION passages_search_vector_fill()""",
    """CREATE FUNCTION sources_title_reindex() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE passages SET search_vector = passages_search_vector(NEW.title, heading, speaker, text, context)
            WHERE source_id = NEW.id;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER sources_title_reindex AFTER UPDATE OF title ON sources
        FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION sources_title_reindex()""",
    # Backfill whatever passages the database already holds.
    """UPDATE passages p SET search_vector = passages_search_vector(s.title, p.heading, p.speaker, p.text, p.context)
       FROM sources s WHERE s.id = p.source_id""",
    "CREATE INDEX ix_passages_search_vector ON passages USING GIN (search_vector)",
]

POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_passages_search_vector",
    "DROP TRIGGER IF EXISTS sources_title_reindex ON sources",
    "DROP FUNCTION IF EXISTS sources_title_reindex()",
    "DROP TRIGGER IF EXISTS passages_search_vector_fill ON passages",
    "DROP FUNCTION IF EXISTS passages_search_vector_fill()",
    "ALTER TABLE passages DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS passages_search_vector(text, text, text, text, text)",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(dialect)
    if statements is None:
        raise RuntimeError(f"Understudy's search index supports SQLite and PostgreSQL, not {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(dialect, []):
        op.execute(statement)
