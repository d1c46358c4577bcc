"""distinct mailboxes are distinct people (IDNA domain keys)

Revision ID: a4c0e1d00004
Revises: 22fe98eb5955
Create Date: 2026-12-01 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c0e1d00004'
down_revision = '22fe98eb5955'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
