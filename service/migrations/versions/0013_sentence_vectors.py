"""Sentence vectors beside each passage vector: an answer weighs every sentence of the passages it is chosen among
by meaning, and embedding them at question time cost a first question some hundreds of milliseconds.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("passage_vectors") as batch:
        batch.add_column(sa.Column("sentence_vectors", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("passage_vectors") as batch:
        batch.drop_column("sentence_vectors")
