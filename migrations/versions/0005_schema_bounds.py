"""columns sized for everything the schema allows; translations, language, travel support

Revision ID: a4c0e1d00005
Revises: a4c0e1d00004
Create Date: 2026-12-01 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c0e1d00005'
down_revision = 'a4c0e1d00004'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
