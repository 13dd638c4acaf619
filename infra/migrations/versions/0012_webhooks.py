"""Webhooks: a tenant's endpoints (webhooks) and an outbox of signed deliveries (webhook_deliveries).

An event is written as delivery rows in the transaction that causes it, so that it is sent if and only if
that transaction commits: triggers catch every path that completes a batch (a runner finishing the last
job, a batch whose files were all refused at ingest, a cancellation) or fails a job (a runner, the lease
reaper, a file refused at ingest); the API writes invoice.corrected itself with its correction. Runners
then claim due deliveries (FOR UPDATE SKIP LOCKED), POST them and keep one attempt_log entry per attempt.

webhook_event(tenant, event, data) is the one place that turns an event into deliveries: one per endpoint
of the tenant subscribed to it, with the payload {type, timestamp, data}.

batch.completed is a deferred constraint trigger: it runs at commit, when the batch's jobs are all
written (an all-refused batch is inserted completed before its jobs), so its counts are final.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", ARRAY(sa.Text), nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("url ~* '^https?://'", name="webhooks_url_http"),
        sa.CheckConstraint(
            "events <@ ARRAY['batch.completed', 'job.failed', 'invoice.corrected'] AND cardinality(events) > 0",
            name="webhooks_events_known",
        ),
    )
    op.create_index("webhooks_tenant", "webhooks", ["tenant_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "webhook_id", UUID(as_uuid=True), sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "message_id",
            sa.Text,
            nullable=False,
            server_default=sa.text("'msg_' || replace(gen_random_uuid()::text, '-', '')"),
        ),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempt_log", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("state IN ('pending', 'delivered', 'failed')", name="webhook_deliveries_state"),
        sa.CheckConstraint(
            "(state = 'pending') = (next_attempt_at IS NOT NULL AND finished_at IS NULL)",
            name="webhook_deliveries_pending_has_next_attempt",
        ),
    )
    op.create_index(
        "webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index("webhook_deliveries_webhook", "webhook_deliveries", ["webhook_id", "id"])
    op.execute(
        """
        CREATE FUNCTION webhook_event(p_tenant_id uuid, p_event text, p_data jsonb) RETURNS integer
        LANGUAGE plpgsql AS $$
        DECLARE
            written integer;
        BEGIN
            INSERT INTO webhook_deliveries (webhook_id, tenant_id, event, payload)
            SELECT w.id, w.tenant_id, p_event, jsonb_build_object(
                'type', p_event,
                'timestamp', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                'data', p_data)
            FROM webhooks w
            WHERE w.tenant_id = p_tenant_id AND p_event = ANY(w.events);
            GET DIAGNOSTICS written = ROW_COUNT;
            RETURN written;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION webhook_batch_completed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD.status = 'completed' THEN
                RETURN NULL;
            END IF;
            PERFORM webhook_event(NEW.tenant_id, 'batch.completed', (
                SELECT jsonb_build_object(
                    'batch_id', NEW.id,
                    'status', NEW.status,
                    'total_files', NEW.total_files,
                    'succeeded', count(*) FILTER (WHERE j.state = 'succeeded'),
                    'failed', count(*) FILTER (WHERE j.state = 'failed'),
                    'cancelled', count(*) FILTER (WHERE j.state = 'cancelled'),
                    'created_at', NEW.created_at,
                    'finished_at', NEW.finished_at,
                    'cancelled_at', NEW.cancelled_at)
                FROM jobs j WHERE j.batch_id = NEW.id));
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE CONSTRAINT TRIGGER batches_webhook_completed
        AFTER INSERT OR UPDATE OF status ON batches
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (NEW.status = 'completed')
        EXECUTE FUNCTION webhook_batch_completed()
        """
    )
    op.execute(
        """
        CREATE FUNCTION webhook_job_failed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM webhook_event(NEW.tenant_id, 'job.failed', jsonb_build_object(
                'job_id', NEW.id,
                'batch_id', NEW.batch_id,
                'filename', NEW.filename,
                'error', NEW.error,
                'error_kind', NEW.error_kind,
                'attempts', NEW.attempts));
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER jobs_webhook_failed_insert AFTER INSERT ON jobs
        FOR EACH ROW WHEN (NEW.state = 'failed') EXECUTE FUNCTION webhook_job_failed()
        """
    )
    op.execute(
        """
        CREATE TRIGGER jobs_webhook_failed AFTER UPDATE OF state ON jobs
        FOR EACH ROW WHEN (NEW.state = 'failed' AND OLD.state <> 'failed') EXECUTE FUNCTION webhook_job_failed()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER jobs_webhook_failed ON jobs")
    op.execute("DROP TRIGGER jobs_webhook_failed_insert ON jobs")
    op.execute("DROP FUNCTION webhook_job_failed()")
    op.execute("DROP TRIGGER batches_webhook_completed ON batches")
    op.execute("DROP FUNCTION webhook_batch_completed()")
    op.execute("DROP FUNCTION webhook_event(uuid, text, jsonb)")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
