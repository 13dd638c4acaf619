"""A batch keeps the entries of its ZIP archive that were not read (batches.skipped: [{name, reason}]), so
that GET /api/v1/batches/{id} and a replayed Idempotency-Key list them as the upload's answer did. Existing
batches get an empty list: what their archives skipped was not kept.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("batches", sa.Column("skipped", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")))


def downgrade() -> None:
    op.drop_column("batches", "skipped")
