"""every save of a record is kept as a revision, never overwritten

Revision ID: a4c0e1d00013
Revises: a4c0e1d00012
Create Date: 2026-12-07 18:30:00

Existing records get no revision here. The database does not know who wrote them, nor when
anything but their last change was made, so any history made up now would be fake. Their
current state is not lost either: the first save of a record that has no revision yet
(records service, `history_begins`) first keeps the record as it stood, as revision 1 of
kind `earlier`, dated by its last change and without an author, and then the save as
revision 2. Records imported later begin their history the same way, so there is one rule
for both, and this migration need not copy the exporter's document rules.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4c0e1d00013"
down_revision = "a4c0e1d00012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "record_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.Column("saved_by", sa.String(length=254), nullable=True),
        sa.Column(
            "change",
            sa.Enum(
                "saved",
                "returned",
                "reopened",
                "earlier",
                name="change",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "approved",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_record_revisions_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_by_id"],
            ["users.id"],
            name=op.f("fk_record_revisions_saved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_revisions")),
        sa.UniqueConstraint(
            "session_id", "number", name=op.f("uq_record_revisions_session_id_number")
        ),
    )


def downgrade():
    op.drop_table("record_revisions")
