"""Invoice details: credit-note subtype, buyer VAT id, purchase order, amount due, VAT breakdown,
payment details, provenance per field and OCR confidence.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("invoices", sa.Column("subtype", sa.String(16), nullable=False, server_default="invoice"))
    op.add_column("invoices", sa.Column("customer_vat_id", sa.Text))
    op.add_column("invoices", sa.Column("purchase_order", sa.Text))
    op.add_column("invoices", sa.Column("amount_due", sa.Numeric(18, 4)))
    op.add_column("invoices", sa.Column("vat_breakdown", JSONB))
    op.add_column("invoices", sa.Column("iban", sa.Text))
    op.add_column("invoices", sa.Column("bic", sa.Text))
    op.add_column("invoices", sa.Column("payment_terms", sa.Text))
    op.add_column("invoices", sa.Column("provenance", JSONB))
    op.add_column("invoices", sa.Column("ocr_confidence", sa.Float))
    op.add_column("invoice_lines", sa.Column("provenance", JSONB))


def downgrade() -> None:
    op.drop_column("invoice_lines", "provenance")
    for column in ("ocr_confidence", "provenance", "payment_terms", "bic", "iban", "vat_breakdown",
                   "amount_due", "purchase_order", "customer_vat_id", "subtype"):
        op.drop_column("invoices", column)
