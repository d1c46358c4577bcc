"""an organisation's own quota at a meeting, overriding its kind's

Revision ID: a4c0e1d00010
Revises: a4c0e1d00009
Create Date: 2026-12-01 23:00:00

Nullable: a delegation without a quota of its own counts against its kind's (meetings.quotas).
The column is added and dropped in place (SQLite 3.35 and later), its check with it.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a4c0e1d00010"
down_revision = "a4c0e1d00009"
branch_labels = None
depends_on = None


def upgrade():
    # ALTER TABLE, never a batch copy: on SQLite, copying delegations would drop the old table,
    # and its foreign keys' ON DELETE CASCADE would take every registration with it.
    op.add_column(
        "delegations",
        sa.Column(
            "quota",
            sa.Integer(),
            sa.CheckConstraint("quota >= 0", name=op.f("ck_delegations_quota_not_negative")),
            nullable=True,
        ),
    )


def downgrade():
    op.drop_column("delegations", "quota")
