"""A job keeps the end of every attempt, and only attempts that failed count against max_attempts.

jobs.attempt_history: a JSON array with one object per ended attempt, oldest first: attempt (the claim's
number), runner_id, started_at, ended_at, outcome ('succeeded', 'failed', 'retried' after a transient
error, 'lost' when its runner stopped renewing the lease, 'given_back' by a runner shutting down,
'cancelled'), error_kind and error. jobs.failed_attempts: how many attempts ended 'retried' or 'lost';
a job fails for good once they reach max_attempts. jobs.attempts stays the count of claims, and the
fencing token that every write of a running job checks: a runner given back on shutdown claims it
again without using up an attempt.

Existing rows: a job that has run gets one entry for its last attempt, built from its columns (the
earlier attempts were not kept). failed_attempts is what can be told from the row: the attempts before
the current or last one, for a job that is running or was requeued after an error, or all of them for
one that ended on an outage or a lost lease; 0 for the others.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The history entry of the attempt a statement ends: the queue's statements append it (queries.sql).
    op.execute(
        """
        CREATE FUNCTION attempt_ended(
            attempt integer, runner_id text, started_at timestamptz, outcome text, error_kind text, error text
        ) RETURNS jsonb LANGUAGE sql VOLATILE AS $$
            SELECT jsonb_build_array(jsonb_build_object(
                'attempt', attempt, 'runner_id', runner_id, 'started_at', started_at,
                'ended_at', clock_timestamp(), 'outcome', outcome, 'error_kind', error_kind, 'error', error
            ))
        $$
        """
    )
    op.add_column("jobs", sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"))
    op.add_column(
        "jobs", sa.Column("attempt_history", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb"))
    )
    op.execute(
        """
        UPDATE jobs SET failed_attempts = CASE
            WHEN state = 'running' THEN attempts - 1
            WHEN state = 'queued' AND error_kind IN ('transient', 'lost') THEN attempts
            WHEN state = 'failed' AND error_kind IN ('transient', 'lost') THEN attempts
            WHEN state IN ('succeeded', 'failed', 'cancelled') THEN GREATEST(attempts - 1, 0)
            ELSE 0
        END
        WHERE attempts > 0
        """
    )
    op.execute(
        """
        UPDATE jobs SET attempt_history = jsonb_build_array(jsonb_build_object(
            'attempt', attempts,
            'runner_id', runner_id,
            'started_at', started_at,
            'ended_at', COALESCE(finished_at, started_at),
            'outcome', CASE
                WHEN state = 'queued' AND error_kind = 'transient' THEN 'retried'
                WHEN state = 'queued' AND error_kind = 'lost' THEN 'lost'
                WHEN state = 'failed' AND error_kind = 'lost' THEN 'lost'
                ELSE state
            END,
            'error_kind', error_kind,
            'error', error
        ))
        WHERE attempts > 0 AND state <> 'running' AND (state <> 'queued' OR error_kind IS NOT NULL)
        """
    )


def downgrade() -> None:
    op.drop_column("jobs", "attempt_history")
    op.drop_column("jobs", "failed_attempts")
    op.execute("DROP FUNCTION attempt_ended")
