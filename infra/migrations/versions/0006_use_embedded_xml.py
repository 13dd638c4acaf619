"""A job remembers whether its request asked to read the e-invoice XML its PDF carries or the printed
page (use_embedded_xml); NULL, as for every existing job, leaves it to the runner's USE_EMBEDDED_XML.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("use_embedded_xml", sa.Boolean))


def downgrade() -> None:
    op.drop_column("jobs", "use_embedded_xml")
