"""Corpus tables: twins, users, sources, passages, audit log, interactions.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "twins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("persona", sa.JSON, nullable=False),
        sa.Column("speaker_labels", sa.JSON, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("consent_by", sa.String(200)),
        sa.Column("consent_scope", sa.Text),
        sa.Column("consent_at", TS),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("audiences", sa.JSON, nullable=False),
        sa.Column("token_hash", sa.String(128), unique=True),
        sa.Column("slack_user_id", sa.String(64), unique=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("twin_id", sa.Integer, sa.ForeignKey("twins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("date", sa.Date),
        sa.Column("audience", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="SET NULL")),
        sa.Column("superseded_by_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="SET NULL")),
        sa.Column("uploaded_by", sa.String(320), nullable=False, server_default=""),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.Column("approved_by", sa.String(320)),
        sa.Column("approved_at", TS),
        sa.Column("retired_by", sa.String(320)),
        sa.Column("retired_at", TS),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.UniqueConstraint("twin_id", "sha256", name="uq_sources_twin_sha256"),
        sa.UniqueConstraint("twin_id", "filename", "version", name="uq_sources_twin_filename_version"),
        sa.CheckConstraint("status IN ('draft', 'approved', 'retired')", name="ck_sources_status"),
        sa.CheckConstraint("kind IN ('memo', 'talk', 'transcript', 'email', 'other')", name="ck_sources_kind"),
    )
    op.create_index("ix_sources_twin_status", "sources", ["twin_id", "status"])
    op.create_table(
        "passages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("twin_id", sa.Integer, sa.ForeignKey("twins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("speaker", sa.String(200)),
        sa.Column("executive", sa.Boolean, nullable=False),
        sa.Column("locator", sa.String(100), nullable=False, server_default=""),
        sa.Column("heading", sa.String(500)),
        sa.Column("context", sa.Text, nullable=False, server_default=""),
        sa.Column("words", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_passages_source_ordinal", "passages", ["source_id", "ordinal"], unique=True)
    op.create_index("ix_passages_twin_id", "passages", ["twin_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("twin_slug", sa.String(64)),
        sa.Column("object_type", sa.String(32)),
        sa.Column("object_id", sa.Integer),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_twin_slug", "audit_events", ["twin_slug"])
    op.create_table(
        "interactions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("twin_id", sa.Integer, sa.ForeignKey("twins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("passages", sa.JSON, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("grounded", sa.Boolean, nullable=False),
        sa.Column("refused_topic", sa.String(100)),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("voice_score", sa.Float),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("feedback", sa.String(16)),
        sa.Column("feedback_reason", sa.Text),
        sa.Column("feedback_at", TS),
    )
    op.create_index("ix_interactions_twin_created", "interactions", ["twin_id", "created_at"])
    op.create_index("ix_interactions_conversation_id", "interactions", ["conversation_id"])
    _append_only_audit()


def _append_only_audit() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
            )
    elif bind.dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    for table in ("interactions", "audit_events", "passages", "sources", "users", "twins"):
        op.drop_table(table)
