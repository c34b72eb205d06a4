"""An index on passage vectors by model and time stored, so each search process can ask cheaply what is new.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_passage_vectors_model_created", "passage_vectors", ["model", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_passage_vectors_model_created", table_name="passage_vectors")
