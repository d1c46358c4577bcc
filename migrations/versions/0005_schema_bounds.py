"""columns sized for everything the schema allows; translations, language, travel support

Revision ID: a4c0e1d00005
Revises: a4c0e1d00004
Create Date: 2026-12-01 20:30:00

The schema's `translations` (meeting, session, record, outcome) are kept as JSON, as given, and
a participant's `language` and `travel_support_requested` as plain columns, so that an import
exports unchanged. An organisation's `name_key` is the case-folded name, which can be three
times as long as the 300-character name ("ﬃ" folds to "ffi").
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c0e1d00005'
down_revision = 'a4c0e1d00004'
branch_labels = None
depends_on = None

TRANSLATED = ('meetings', 'sessions', 'records', 'outcomes')


def upgrade():
    for table in TRANSLATED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('travel_support_requested', sa.Boolean(), nullable=True))
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.alter_column(
            'name_key',
            existing_type=sa.String(length=300),
            type_=sa.String(length=900),
            existing_nullable=False,
        )


def downgrade():
    # Keys longer than 300 characters (names full of "ß") do not fit the old column: cut them,
    # as the old schema would have refused them.
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.alter_column(
            'name_key',
            existing_type=sa.String(length=900),
            type_=sa.String(length=300),
            existing_nullable=False,
            postgresql_using='substr(name_key, 1, 300)',
        )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('travel_support_requested')
        batch_op.drop_column('language')
    for table in reversed(TRANSLATED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('translations')
