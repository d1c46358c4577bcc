"""an organisation named by a registrant stays unconfirmed until an organiser confirms it

Revision ID: a4c0e1d00011
Revises: a4c0e1d00010
Create Date: 2026-12-02 00:00:00

Every existing organisation is confirmed (the server default). The column is added and
dropped in place (SQLite 3.35 and later), never by copying the table.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4c0e1d00011"
down_revision = "a4c0e1d00010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "delegations",
        sa.Column("confirmed", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade():
    op.drop_column("delegations", "confirmed")
