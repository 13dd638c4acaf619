"""Runners say who they are: one row per running runner process, renewed by its heartbeat, with
the state of its Florence-2 model, so that /health and SQL can tell which runners read with the
model and why the others do not.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runners",
        sa.Column("id", sa.Text, primary_key=True),  # jobs.runner_id
        sa.Column("hostname", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("threads", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        # off, fallback or always: the mode the runner was started with.
        sa.Column("vlm_mode", sa.Text, nullable=False),
        # off, ready (loads on first use), loaded, failed or unavailable; vlm_detail says why in a sentence.
        sa.Column("vlm_state", sa.Text, nullable=False),
        sa.Column("vlm_detail", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("runners")
