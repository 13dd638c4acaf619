"""Leases, retries and fair scheduling: a claimed job carries a lease that the runner's heartbeat
renews; a job may wait (run_after) before its next attempt; a batch counts its running jobs so that
one claim statement can hold max_workers across runners. Indexes for the claim, the lease reaper
and the status queries; autovacuum tuned for the hot jobs table.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# jobs and batches rows are updated several times each (claim, heartbeat, finish): leave room on
# each page for HOT updates, and vacuum/analyze after 2 % of the rows changed instead of 20 %.
HOT_TABLE_STORAGE = (
    "fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02, "
    "autovacuum_vacuum_cost_delay = 1"
)


def upgrade() -> None:
    op.add_column("jobs", sa.Column("lease_expires_at", sa.DateTime(timezone=True)))
    op.add_column("jobs", sa.Column("heartbeat_at", sa.DateTime(timezone=True)))
    op.add_column(
        "jobs", sa.Column("run_after", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    )
    op.add_column("jobs", sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"))
    # Why the last attempt ended badly: 'permanent' (the file), 'transient' (storage, database),
    # 'lost' (its runner died or was cut off), 'crash' (a bug), 'cancelled'.
    op.add_column("jobs", sa.Column("error_kind", sa.String(16)))
    op.add_column("batches", sa.Column("running_jobs", sa.Integer, nullable=False, server_default="0"))
    op.add_column("batches", sa.Column("cancelled_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE batches b SET running_jobs = "
        "(SELECT count(*) FROM jobs j WHERE j.batch_id = b.id AND j.state = 'running')"
    )
    op.execute("UPDATE jobs SET lease_expires_at = now() WHERE state = 'running'")

    op.drop_index("jobs_queued", table_name="jobs")
    op.drop_index("jobs_running_by_batch", table_name="jobs")
    # The claim: a batch's next queued jobs in upload order.
    op.create_index(
        "jobs_claimable", "jobs", ["batch_id", "position"], postgresql_where=sa.text("state = 'queued'")
    )
    # The lease reaper: running jobs by lease expiry; the heartbeat and give-back: by runner.
    op.create_index(
        "jobs_leases", "jobs", ["lease_expires_at"], postgresql_where=sa.text("state = 'running'")
    )
    op.create_index("jobs_running_by_runner", "jobs", ["runner_id"], postgresql_where=sa.text("state = 'running'"))
    # Open batches, oldest first: where every claim starts.
    op.create_index(
        "batches_open", "batches", ["created_at"], postgresql_where=sa.text("status <> 'completed'")
    )
    # Retention: completed batches by age.
    op.create_index("batches_finished_at", "batches", ["finished_at"])
    op.execute(f"ALTER TABLE jobs SET ({HOT_TABLE_STORAGE})")
    op.execute(f"ALTER TABLE batches SET ({HOT_TABLE_STORAGE})")


def downgrade() -> None:
    op.execute(
        "ALTER TABLE jobs RESET (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor, "
        "autovacuum_vacuum_cost_delay)"
    )
    op.execute(
        "ALTER TABLE batches RESET (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor, "
        "autovacuum_vacuum_cost_delay)"
    )
    op.drop_index("batches_finished_at", table_name="batches")
    op.drop_index("batches_open", table_name="batches")
    op.drop_index("jobs_running_by_runner", table_name="jobs")
    op.drop_index("jobs_leases", table_name="jobs")
    op.drop_index("jobs_claimable", table_name="jobs")
    op.create_index(
        "jobs_running_by_batch", "jobs", ["batch_id"], postgresql_where=sa.text("state = 'running'")
    )
    op.create_index("jobs_queued", "jobs", ["created_at"], postgresql_where=sa.text("state = 'queued'"))
    for column in ("cancelled_at", "running_jobs"):
        op.drop_column("batches", column)
    for column in ("error_kind", "max_attempts", "run_after", "heartbeat_at", "lease_expires_at"):
        op.drop_column("jobs", column)
