"""Slack state: handled event ids (retries dropped), per-channel settings, threads and posted answers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slack_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.UniqueConstraint("event_id", name="uq_slack_events_event_id"),
    )
    op.create_index("ix_slack_events_received_at", "slack_events", ["received_at"])
    op.create_table(
        "slack_channels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("twin_id", sa.Integer, sa.ForeignKey("twins.id", ondelete="SET NULL")),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_by", sa.String(320), nullable=False, server_default=""),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("channel_id", name="uq_slack_channels_channel_id"),
    )
    op.create_table(
        "slack_threads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("slack_user_id", sa.String(64), nullable=False),
        sa.Column("twin_id", sa.Integer, sa.ForeignKey("twins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("conversation_id", sa.String(64)),
        sa.Column("rehearsal_id", sa.Integer, sa.ForeignKey("rehearsals.id", ondelete="CASCADE")),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("channel_id", "thread_ts", name="uq_slack_threads_channel_ts"),
    )
    op.create_index("ix_slack_threads_twin_id", "slack_threads", ["twin_id"])
    op.create_table(
        "slack_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("interaction_id", sa.Integer, sa.ForeignKey("interactions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("slack_user_id", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("twin_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("interaction_id", name="uq_slack_answers_interaction_id"),
    )


def downgrade() -> None:
    op.drop_table("slack_answers")
    op.drop_index("ix_slack_threads_twin_id", table_name="slack_threads")
    op.drop_table("slack_threads")
    op.drop_table("slack_channels")
    op.drop_index("ix_slack_events_received_at", table_name="slack_events")
    op.drop_table("slack_events")
