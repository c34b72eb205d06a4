"""Positions with their dates: a curator marks a source's position as superseded by a later source's.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("twin_id", sa.Integer, sa.ForeignKey("twins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revised_by_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("marked_by", sa.String(320), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source_id", "revised_by_id", name="uq_source_revisions_pair"),
    )
    op.create_index("ix_source_revisions_twin_id", "source_revisions", ["twin_id"])
    op.create_index("ix_source_revisions_revised_by", "source_revisions", ["revised_by_id"])


def downgrade() -> None:
    op.drop_index("ix_source_revisions_revised_by", table_name="source_revisions")
    op.drop_index("ix_source_revisions_twin_id", table_name="source_revisions")
    op.drop_table("source_revisions")
