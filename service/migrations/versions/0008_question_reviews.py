"""What curators did about an unanswered question: handled, answered by a source, or not to be answered (and why).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("twin_id", sa.Integer, sa.ForeignKey("twins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("question_key", sa.String(64), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="SET NULL"), nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("reviewed_by", sa.String(320), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("twin_id", "question_key", name="uq_question_reviews_twin_key"),
    )


def downgrade() -> None:
    op.drop_table("question_reviews")
