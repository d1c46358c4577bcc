"""published versions of the agenda

Revision ID: a4c0e1d00008
Revises: a4c0e1d00007
Create Date: 2026-12-01 21:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c0e1d00008'
down_revision = 'a4c0e1d00007'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
