"""delegations: focal points, nomination letters, travel-support decisions, personal data

Revision ID: a4c0e1d00015
Revises: a4c0e1d00014
Create Date: 2026-12-08 01:00:00

Focal points speak for a delegation (an account and the delegation); a delegation's letters
of nomination are files named by their SHA-256 outside the database, listed here. A
registration keeps who nominated it, the organisers' note on travel support (`funded` is
their decision) and when the person erased it; a meeting, when its personal details were
purged. Nothing existing changes meaning, so nothing is copied or made up.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4c0e1d00015"
down_revision = "a4c0e1d00014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "focal_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=False),
        sa.Column("appointed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delegation_id"],
            ["delegations.id"],
            name=op.f("fk_focal_points_delegation_id_delegations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_focal_points_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_focal_points")),
        sa.UniqueConstraint(
            "user_id", "delegation_id", name=op.f("uq_focal_points_user_id_delegation_id")
        ),
    )
    op.create_index(op.f("ix_focal_points_user_id"), "focal_points", ["user_id"])
    op.create_index(op.f("ix_focal_points_delegation_id"), "focal_points", ["delegation_id"])
    op.create_table(
        "nomination_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delegation_id"],
            ["delegations.id"],
            name=op.f("fk_nomination_letters_delegation_id_delegations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_nomination_letters_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_letters")),
    )
    op.create_index(
        op.f("ix_nomination_letters_delegation_id"), "nomination_letters", ["delegation_id"]
    )
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(sa.Column("travel_support_note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("nominated_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_participants_nominated_by_id_users"),
            "users",
            ["nominated_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.add_column("meetings", sa.Column("personal_data_purged_at", sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column("meetings", "personal_data_purged_at")
    with op.batch_alter_table("participants") as batch_op:
        batch_op.drop_constraint(op.f("fk_participants_nominated_by_id_users"), type_="foreignkey")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("nominated_by_id")
        batch_op.drop_column("travel_support_note")
    op.drop_index(op.f("ix_nomination_letters_delegation_id"), table_name="nomination_letters")
    op.drop_table("nomination_letters")
    op.drop_index(op.f("ix_focal_points_delegation_id"), table_name="focal_points")
    op.drop_index(op.f("ix_focal_points_user_id"), table_name="focal_points")
    op.drop_table("focal_points")
