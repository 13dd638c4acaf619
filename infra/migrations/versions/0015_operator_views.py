"""Views for operators reading the queue with SQL (README, "With SQL"): v_batch_progress (each batch's counts,
percent done and rate), v_job_timings (each finished job's stages in seconds, from jobs.timings) and v_failures
(failed jobs, newest first, with the runner of their last attempt). They read the tables only; nothing writes
through them.

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The stages invoice_reader times (its _timed blocks) and the runner's whole-file 'total'.
STAGES = ("read", "ocr", "xml", "classify", "extract", "validate", "vlm", "total")

VIEWS = {
    # A LATERAL count per batch, so that `WHERE batch_id = ...` reads one batch's jobs (index jobs_batch_id).
    # elapsed_s runs until now() while the batch is open; percent_done and files_per_minute count the jobs
    # in a final state (succeeded, failed, cancelled).
    "v_batch_progress": """
        SELECT b.id AS batch_id, b.tenant_id, t.name AS tenant, b.status, b.source, b.max_workers,
               b.created_at, b.finished_at, b.total_files,
               c.succeeded, c.failed, c.cancelled, c.running, c.queued,
               round(100.0 * (c.succeeded + c.failed + c.cancelled) / NULLIF(b.total_files, 0), 1) AS percent_done,
               e.elapsed_s,
               round((60 * (c.succeeded + c.failed + c.cancelled) / NULLIF(e.elapsed_s, 0))::numeric, 2)
                   AS files_per_minute
        FROM batches b
        JOIN tenants t ON t.id = b.tenant_id
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE j.state = 'succeeded') AS succeeded,
                   count(*) FILTER (WHERE j.state = 'failed') AS failed,
                   count(*) FILTER (WHERE j.state = 'cancelled') AS cancelled,
                   count(*) FILTER (WHERE j.state = 'running') AS running,
                   count(*) FILTER (WHERE j.state = 'queued') AS queued
            FROM jobs j WHERE j.batch_id = b.id
        ) c
        CROSS JOIN LATERAL (
            SELECT EXTRACT(EPOCH FROM COALESCE(b.finished_at, now()) - b.created_at)::float8 AS elapsed_s
        ) e
    """,
    # Seconds per stage; NULL where the job did not go through that stage (an e-invoice has no OCR, a
    # cancelled job no timings at all).
    "v_job_timings": """
        SELECT j.id AS job_id, j.batch_id, j.tenant_id, j.filename, j.state, j.document_type, j.finished_at,
               j.processing_time,
               {stages},
               j.attempts, j.failed_attempts
        FROM jobs j
        WHERE j.state IN ('succeeded', 'failed', 'cancelled')
    """.format(stages=", ".join(f"(j.timings->>'{s}')::float8 AS {s}_s" for s in STAGES)),
    # last_runner_id: the runner of the last ended attempt (attempt_history, migration 0009); a file refused
    # at ingest never ran and has none.
    "v_failures": """
        SELECT j.id AS job_id, j.batch_id, j.tenant_id, j.filename, j.error_kind, j.error, j.finished_at,
               j.attempts, j.failed_attempts,
               COALESCE(j.attempt_history->-1->>'runner_id', j.runner_id) AS last_runner_id
        FROM jobs j
        WHERE j.state = 'failed'
        ORDER BY j.finished_at DESC
    """,
}


def upgrade() -> None:
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW {name}")
