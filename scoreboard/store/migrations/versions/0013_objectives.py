"""Red-team objectives (redteam.yml), detection reports and appeals on deductions.

Revision ID: 0013_objectives
Revises: 0012_judging_support
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_objectives"
down_revision = "0012_judging_support"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "objective",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(length=200), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["pack_id"], ["pack.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pack_id", "key", name="uq_objective_pack_key"),
    )
    # The defaults fill existing rows; the models give new rows theirs.
    with op.batch_alter_table("drill") as batch:
        batch.add_column(sa.Column("detection_window_minutes", sa.Integer(), nullable=False, server_default="60"))
        batch.add_column(sa.Column("detection_refund_percent", sa.Integer(), nullable=False, server_default="50"))
    with op.batch_alter_table("deduction") as batch:
        batch.add_column(sa.Column("objective_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("refunded_points", sa.Integer(), nullable=False, server_default="0"))
        batch.create_foreign_key("fk_deduction_objective_id", "objective", ["objective_id"], ["id"])
    with op.batch_alter_table("drill") as batch:
        batch.alter_column("detection_window_minutes", server_default=None)
        batch.alter_column("detection_refund_percent", server_default=None)
    with op.batch_alter_table("deduction") as batch:
        batch.alter_column("refunded_points", server_default=None)
    op.create_table(
        "detection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deduction_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=True),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["deduction_id"], ["deduction.id"]),
        sa.ForeignKeyConstraint(["judge_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deduction_id"),
    )
    op.create_table(
        "appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deduction_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["deduction_id"], ["deduction.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deduction_id"),
    )


def downgrade() -> None:
    op.drop_table("appeal")
    op.drop_table("detection")
    with op.batch_alter_table("deduction") as batch:
        batch.drop_constraint("fk_deduction_objective_id", type_="foreignkey")
        batch.drop_column("refunded_points")
        batch.drop_column("objective_id")
    with op.batch_alter_table("drill") as batch:
        batch.drop_column("detection_refund_percent")
        batch.drop_column("detection_window_minutes")
    op.drop_table("objective")
