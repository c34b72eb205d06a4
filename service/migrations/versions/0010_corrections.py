"""Corrections: the passages (or a refusal) a curator chose to answer a question and those that mean the same.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("twin_id", sa.Integer, sa.ForeignKey("twins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("root_id", sa.Integer, nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("kind", sa.String(16), nullable=False, server_default="answer"),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("phrasings", sa.JSON, nullable=False),
        sa.Column("passage_ids", sa.JSON, nullable=False),
        sa.Column("framing", sa.Text, nullable=False, server_default=""),
        sa.Column("topic", sa.String(200), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("interaction_id", sa.Integer, sa.ForeignKey("interactions.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("created_by", sa.String(320), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(320), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_corrections_twin_status", "corrections", ["twin_id", "status"])
    op.create_index("ix_corrections_root_id", "corrections", ["root_id"])
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("correction_id", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("correction_id")
    op.drop_index("ix_corrections_root_id", table_name="corrections")
    op.drop_index("ix_corrections_twin_status", table_name="corrections")
    op.drop_table("corrections")
