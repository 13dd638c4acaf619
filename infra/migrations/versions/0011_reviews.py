"""People check and correct invoices: invoice_corrections keeps every change a person made (field, old
and new value, who, when), invoices.reviewed_at / reviewed_by say who marked it checked, and
invoices.corrected whether any value was changed. Indexes for the invoice list's batch and date
filters (the lists newest first per tenant use the indexes of migration 0004).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("invoices", sa.Column("reviewed_at", sa.DateTime(timezone=True)))
    op.add_column("invoices", sa.Column("reviewed_by", sa.Text))
    op.add_column("invoices", sa.Column("corrected", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "invoice_corrections",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("invoice_id", sa.BigInteger, sa.ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("old_value", JSONB),
        sa.Column("new_value", JSONB),
        sa.Column("corrected_by", sa.Text, nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("invoice_corrections_invoice", "invoice_corrections", ["invoice_id", "id"])
    op.create_index("invoices_batch", "invoices", ["batch_id"])
    op.create_index("invoices_tenant_date", "invoices", ["tenant_id", "date"])


def downgrade() -> None:
    op.drop_index("invoices_tenant_date", "invoices")
    op.drop_index("invoices_batch", "invoices")
    op.drop_table("invoice_corrections")
    op.drop_column("invoices", "corrected")
    op.drop_column("invoices", "reviewed_by")
    op.drop_column("invoices", "reviewed_at")
