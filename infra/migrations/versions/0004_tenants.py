"""Tenants and API keys, idempotent batch creation, duplicate detection.

Every batch, job, invoice and document belongs to a tenant; rows that existed before belong to the
tenant named 'default'. API keys are stored as SHA-256 digests of the key, never the key itself.
A batch-creating request with an Idempotency-Key is remembered per tenant. A job records the SHA-256
of its file, and an invoice or document the SHA-256 of the file it was read from, to recognise a
file sent again.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DEFAULT_TENANT_ID = "00000000-0000-0000-0000-000000000001"
TENANT_TABLES = ("batches", "jobs", "invoices", "other_documents")


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.execute(f"INSERT INTO tenants (id, name) VALUES ('{DEFAULT_TENANT_ID}', 'default')")
    op.create_table(
        "api_keys",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        # The key's first characters, to tell keys apart in listings and logs; not enough to use it.
        sa.Column("prefix", sa.Text, nullable=False),
        sa.Column("key_sha256", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    # tenant_id is filled for existing rows, then has no default: code that forgets it fails loudly
    # instead of filing a row under another tenant.
    for table in TENANT_TABLES:
        op.add_column(
            table,
            sa.Column(
                "tenant_id",
                UUID(as_uuid=True),
                sa.ForeignKey("tenants.id"),
                nullable=False,
                server_default=sa.text(f"'{DEFAULT_TENANT_ID}'"),
            ),
        )
        op.alter_column(table, "tenant_id", server_default=None)
    op.create_index("batches_by_tenant", "batches", ["tenant_id", "created_at"])
    op.create_index("invoices_by_tenant", "invoices", ["tenant_id", "id"])
    op.create_index("other_documents_by_tenant", "other_documents", ["tenant_id", "id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        # The request the key was first used for (method and path): the same key on another endpoint is refused.
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("batch_id", UUID(as_uuid=True), sa.ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )

    op.add_column("jobs", sa.Column("sha256", sa.Text))
    # Whether this file may be stored again when an identical one was already read (the request said so).
    op.add_column("jobs", sa.Column("allow_duplicates", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("jobs", sa.Column("duplicate_of_invoice_id", sa.Integer))
    op.add_column("jobs", sa.Column("duplicate_of_document_id", sa.Integer))
    op.add_column("jobs", sa.Column("possible_duplicate_of_invoice_id", sa.Integer))
    op.add_column("invoices", sa.Column("sha256", sa.Text))
    # An earlier invoice of the same tenant with the same provider and invoice number, from another file.
    op.add_column("invoices", sa.Column("possible_duplicate_of", sa.Integer))
    op.add_column("other_documents", sa.Column("sha256", sa.Text))
    op.create_index("invoices_by_sha256", "invoices", ["tenant_id", "sha256"])
    # Possible duplicates: invoice numbers compared without case or spaces (job_runner/duplicates.py).
    op.create_index(
        "invoices_by_number",
        "invoices",
        ["tenant_id", sa.text(r"lower(regexp_replace(invoice_number, '\s', '', 'g'))")],
    )
    op.create_index("other_documents_by_sha256", "other_documents", ["tenant_id", "sha256"])


def downgrade() -> None:
    op.drop_index("other_documents_by_sha256", table_name="other_documents")
    op.drop_index("invoices_by_number", table_name="invoices")
    op.drop_index("invoices_by_sha256", table_name="invoices")
    op.drop_column("other_documents", "sha256")
    op.drop_column("invoices", "possible_duplicate_of")
    op.drop_column("invoices", "sha256")
    for column in (
        "possible_duplicate_of_invoice_id",
        "duplicate_of_document_id",
        "duplicate_of_invoice_id",
        "allow_duplicates",
        "sha256",
    ):
        op.drop_column("jobs", column)
    op.drop_table("idempotency_keys")
    op.drop_index("other_documents_by_tenant", table_name="other_documents")
    op.drop_index("invoices_by_tenant", table_name="invoices")
    op.drop_index("batches_by_tenant", table_name="batches")
    for table in TENANT_TABLES:
        op.drop_column(table, "tenant_id")
    op.drop_table("api_keys")
    op.drop_table("tenants")
