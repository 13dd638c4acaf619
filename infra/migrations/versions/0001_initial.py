"""Initial schema: batches, jobs, invoices, invoice_lines, other_documents.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Money = sa.Numeric(18, 4)
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("created_at", Timestamp, nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", Timestamp),
        sa.Column("max_workers", sa.Integer, nullable=False),
        sa.Column("total_files", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("source", sa.String(16), nullable=False, server_default="upload"),
        sa.CheckConstraint("status IN ('queued', 'running', 'completed')", name="batches_status"),
        sa.CheckConstraint("max_workers BETWEEN 1 AND 64", name="batches_max_workers"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "batch_id", UUID(as_uuid=True), sa.ForeignKey("batches.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("object_key", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("runner_id", sa.Text),
        sa.Column("created_at", Timestamp, nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", Timestamp),
        sa.Column("finished_at", Timestamp),
        sa.Column("processing_time", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("document_type", sa.String(16)),
        sa.Column("invoice_id", sa.Integer),
        sa.Column("document_id", sa.Integer),
        sa.Column("timings", JSONB),
        sa.Column("size_bytes", sa.Integer),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="jobs_state"
        ),
    )
    op.create_index("jobs_batch_id", "jobs", ["batch_id", "position"])
    # The runners' claim query looks only at queued jobs, oldest first.
    op.create_index(
        "jobs_queued", "jobs", ["created_at"], postgresql_where=sa.text("state = 'queued'")
    )
    op.create_index(
        "jobs_running_by_batch", "jobs", ["batch_id"], postgresql_where=sa.text("state = 'running'")
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider", sa.Text),
        sa.Column("provider_vat_id", sa.Text),
        sa.Column("customer", sa.Text),
        sa.Column("invoice_number", sa.Text),
        sa.Column("date", sa.Date),
        sa.Column("due_date", sa.Date),
        sa.Column("currency", sa.String(3)),
        sa.Column("total_without_vat", Money),
        sa.Column("total_vat", Money),
        sa.Column("total_with_vat", Money),
        sa.Column("validation", JSONB),
        sa.Column("confidence_score", sa.Float),
        sa.Column("extraction_source", sa.String(16)),
        sa.Column("raw_text", sa.Text),
        sa.Column("original_filename", sa.Text),
        sa.Column("page_count", sa.Integer),
        sa.Column("batch_id", UUID(as_uuid=True)),
        sa.Column("job_id", UUID(as_uuid=True)),
        sa.Column("created_at", Timestamp, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", Timestamp, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("invoices_job_id", "invoices", ["job_id"])
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "invoice_id", sa.Integer, sa.ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("designation", sa.Text, nullable=False),
        sa.Column("quantity", Money),
        sa.Column("unit", sa.Text),
        sa.Column("unit_price", Money),
        sa.Column("total_ht", Money),
        sa.Column("vat_rate", sa.Numeric(7, 4)),
    )
    op.create_index("invoice_lines_invoice_id", "invoice_lines", ["invoice_id", "position"])
    op.create_table(
        "other_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider", sa.Text),
        sa.Column("raw_text", sa.Text),
        sa.Column("original_filename", sa.Text),
        sa.Column("page_count", sa.Integer),
        sa.Column("batch_id", UUID(as_uuid=True)),
        sa.Column("job_id", UUID(as_uuid=True)),
        sa.Column("created_at", Timestamp, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("other_documents_job_id", "other_documents", ["job_id"])


def downgrade() -> None:
    op.drop_table("other_documents")
    op.drop_table("invoice_lines")
    op.drop_table("invoices")
    op.drop_table("jobs")
    op.drop_table("batches")
