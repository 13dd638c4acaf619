"""Corrections teach: where a person's corrected value is printed becomes a hint for the seller's next
invoices (invoice_reader/layout_hints.py). One row per tenant, seller (as the reader reads it) and field;
a later correction of the same field for the same seller replaces it.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "layout_hints",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seller", sa.Text, nullable=False),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("page", sa.Integer, nullable=False),
        sa.Column("x0", sa.Float, nullable=False),
        sa.Column("top", sa.Float, nullable=False),
        sa.Column("x1", sa.Float, nullable=False),
        sa.Column("bottom", sa.Float, nullable=False),
        sa.Column("page_width", sa.Float, nullable=False),
        sa.Column("page_height", sa.Float, nullable=False),
        sa.Column("invoice_id", sa.BigInteger, sa.ForeignKey("invoices.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("tenant_id", "seller", "field", name="layout_hints_one_per_field"),
    )


def downgrade() -> None:
    op.drop_table("layout_hints")
