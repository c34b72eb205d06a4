"""Messaging-gap map: themes of unanswered questions that a curator marked answered by linking a source.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gap_theme_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("twin_id", sa.Integer, sa.ForeignKey("twins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="SET NULL"), nullable=True),
        sa.Column("model", sa.String(200), nullable=False, server_default=""),
        sa.Column("centroid", sa.LargeBinary, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("linked_by", sa.String(320), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_gap_theme_links_twin", "gap_theme_links", ["twin_id", "linked_at"])


def downgrade() -> None:
    op.drop_index("ix_gap_theme_links_twin", table_name="gap_theme_links")
    op.drop_table("gap_theme_links")
