"""Rehearsals: a pitch with the twin's questions, push-back and scorecard, and its rounds.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rehearsals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("twin_id", sa.Integer, sa.ForeignKey("twins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("pitch", sa.Text, nullable=False),
        sa.Column("filename", sa.String(500)),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("round", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_rounds", sa.Integer, nullable=False, server_default="3"),
        sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("summary", sa.JSON),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_rehearsals_twin_user", "rehearsals", ["twin_id", "user_id"])
    op.create_index("ix_rehearsals_user_id", "rehearsals", ["user_id"])
    op.create_table(
        "rehearsal_turns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rehearsal_id", sa.Integer, sa.ForeignKey("rehearsals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("reply", sa.Text, nullable=False),
        sa.Column("reaction", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("citations", sa.JSON, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("rehearsal_id", "round", name="uq_rehearsal_turns_round"),
        sa.CheckConstraint("reaction IN ('follow_up', 'accept', 'summary')", name="ck_rehearsal_turns_reaction"),
    )


def downgrade() -> None:
    op.drop_table("rehearsal_turns")
    op.drop_index("ix_rehearsals_user_id", table_name="rehearsals")
    op.drop_index("ix_rehearsals_twin_user", table_name="rehearsals")
    op.drop_table("rehearsals")
