"""The queue's invariants are checked by PostgreSQL, not only by the code that writes the rows: a job's
state and error_kind are among the known values, a job that ended has finished_at, attempt counters are
not negative and failed attempts never outnumber claims; a batch's status is known, its running_jobs is
never negative and max_workers is positive. A statement that would break one fails instead of hiding a
miscount.

Existing rows are put right first: a job that ended without finished_at gets its start (or creation)
time, and a negative running_jobs (never written since the counting moved into the queue's statements)
is set from the batch's running jobs.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED_STATES = ("succeeded", "failed", "cancelled")
ERROR_KINDS = ("permanent", "transient", "lost", "crash", "cancelled")
BATCH_STATUSES = ("queued", "running", "completed")
DOCUMENT_TYPES = ("invoice", "other")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


CHECKS = {
    "jobs": {
        "jobs_state_known": f"state IN {_in(JOB_STATES)}",
        "jobs_error_kind_known": f"error_kind IS NULL OR error_kind IN {_in(ERROR_KINDS)}",
        "jobs_document_type_known": f"document_type IS NULL OR document_type IN {_in(DOCUMENT_TYPES)}",
        "jobs_finished_have_finished_at": f"state NOT IN {_in(FINISHED_STATES)} OR finished_at IS NOT NULL",
        "jobs_attempts_counted": "attempts >= 0 AND failed_attempts >= 0 AND failed_attempts <= attempts",
    },
    "batches": {
        "batches_status_known": f"status IN {_in(BATCH_STATUSES)}",
        "batches_running_jobs_not_negative": "running_jobs >= 0",
        "batches_max_workers_positive": "max_workers > 0",
    },
}


def upgrade() -> None:
    op.execute(
        f"""
        UPDATE jobs SET finished_at = COALESCE(started_at, created_at)
        WHERE state IN {_in(FINISHED_STATES)} AND finished_at IS NULL
        """
    )
    op.execute(
        """
        UPDATE batches b SET running_jobs = (
            SELECT count(*) FROM jobs j WHERE j.batch_id = b.id AND j.state = 'running'
        )
        WHERE b.running_jobs < 0
        """
    )
    for table, checks in CHECKS.items():
        for name, condition in checks.items():
            op.create_check_constraint(name, table, condition)


def downgrade() -> None:
    for table, checks in CHECKS.items():
        for name in checks:
            op.drop_constraint(name, table, type_="check")
