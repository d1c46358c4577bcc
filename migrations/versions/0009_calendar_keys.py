"""the secret of an account's personal calendar feed

Revision ID: a4c0e1d00009
Revises: a4c0e1d00008
Create Date: 2026-12-01 22:20:00

Nullable: an account gets its key the first time its feed's URL is asked for.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c0e1d00009'
down_revision = 'a4c0e1d00008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_calendar_key'), ['calendar_key'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_calendar_key'), type_='unique')
        batch_op.drop_column('calendar_key')
