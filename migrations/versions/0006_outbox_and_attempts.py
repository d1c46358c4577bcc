"""mail outbox and sign-in attempt counts in the database

Revision ID: a4c0e1d00006
Revises: a4c0e1d00005
Create Date: 2026-12-01 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c0e1d00006'
down_revision = 'a4c0e1d00005'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
