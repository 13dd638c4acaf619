"""An other document says which kind it is (other_documents.document_kind: 'quote', 'delivery_note',
'statement_of_account', 'payment_reminder', 'letter', ... or 'other'), as the reader's learned
classifier names it. Rows stored before keep NULL: their kind was not recorded.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("other_documents", sa.Column("document_kind", sa.Text))


def downgrade() -> None:
    op.drop_column("other_documents", "document_kind")
