"""a message of the outbox may be a notice, written in the recipient's language when it leaves

Revision ID: a4c0e1d00012
Revises: a4c0e1d00011
Create Date: 2026-12-07 00:00:00

Registration notices are stored as what they say (`notice`) and written at their first
delivery, so `message` may be empty until then. The downgrade drops notices not yet written:
an older version could not deliver them.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4c0e1d00012"
down_revision = "a4c0e1d00011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("outbox", sa.Column("notice", sa.JSON(), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("message", existing_type=sa.LargeBinary(), nullable=True)


def downgrade():
    op.execute("DELETE FROM outbox WHERE message IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("message", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_column("outbox", "notice")
