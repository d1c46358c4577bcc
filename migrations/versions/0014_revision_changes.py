"""a record's revision may also restore an earlier one, or follow an action up

Revision ID: a4c0e1d00014
Revises: a4c0e1d00013
Create Date: 2026-12-07 21:20:00

`record_revisions.change` is a VARCHAR with a CHECK constraint (models.types.enum_column): the
constraint is replaced by one that admits `restored` and `followed-up`, and the column is
widened to the longer value. On SQLite the table is copied (batch mode), which drops the old
constraint with the old table.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4c0e1d00014"
down_revision = "a4c0e1d00013"
branch_labels = None
depends_on = None

BEFORE = ("saved", "returned", "reopened", "earlier")
AFTER = (*BEFORE, "restored", "followed-up")


def _change(values, length):
    return sa.Enum(*values, name="change", native_enum=False, create_constraint=True, length=length)


def _replace(values, length, before_length):
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("record_revisions", recreate="always") as batch_op:
            batch_op.alter_column("change", type_=_change(values, length), existing_nullable=False)
        return
    op.drop_constraint(op.f("ck_record_revisions_change"), "record_revisions", type_="check")
    op.alter_column(
        "record_revisions",
        "change",
        type_=sa.String(length),
        existing_type=sa.String(before_length),
        existing_nullable=False,
    )
    quoted = ", ".join(f"'{v}'" for v in values)
    op.create_check_constraint("change", "record_revisions", f"change IN ({quoted})")


def upgrade():
    _replace(AFTER, 11, 8)


def downgrade():
    op.execute("DELETE FROM record_revisions WHERE change IN ('restored', 'followed-up')")
    _replace(BEFORE, 8, 11)
