"""Sizes, counters and the ids that grow with volume are bigint: a ZIP entry that declares 3 GiB no
longer overflows jobs.size_bytes, and invoices, their lines and other documents can pass 2^31 rows.
Existing rows keep their values (each ALTER rewrites its table once, under a lock: run it while the
service is stopped on a large database).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# table -> columns that become bigint
COLUMNS = {
    "batches": ["total_files"],
    "jobs": [
        "position", "size_bytes", "invoice_id", "document_id",
        "duplicate_of_invoice_id", "duplicate_of_document_id", "possible_duplicate_of_invoice_id",
    ],
    "invoices": ["id", "possible_duplicate_of"],
    "invoice_lines": ["id", "invoice_id"],
    "other_documents": ["id"],
}
# Tables whose id comes from a serial sequence, which is integer too.
SEQUENCED = ["invoices", "invoice_lines", "other_documents"]


def _alter(type_: str) -> None:
    for table, columns in COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {column} TYPE {type_}" for column in columns)
        op.execute(f"ALTER TABLE {table} {changes}")
    for table in SEQUENCED:
        sequence = op.get_bind().scalar(sa.text(f"SELECT pg_get_serial_sequence('{table}', 'id')"))
        op.execute(f"ALTER SEQUENCE {sequence} AS {type_}")


def upgrade() -> None:
    _alter("bigint")


def downgrade() -> None:
    # Fails, and changes nothing, if a value no longer fits in an integer.
    _alter("integer")
