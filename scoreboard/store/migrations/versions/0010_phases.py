"""Exercise phases: pack briefings, phases and the challenges they hold back, late reports.

Revision ID: 0010_phases
Revises: 0006_exercise_control
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_phases"
down_revision = "0006_exercise_control"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phase",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("pack_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opens_after", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["pack_id"], ["pack.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_phase_pack_id", "phase", ["pack_id"])
    with op.batch_alter_table("pack") as batch:
        batch.add_column(sa.Column("briefing", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("challenge") as batch:
        batch.add_column(sa.Column("phase", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("phase_opened_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("late", sa.JSON(), nullable=True))
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("late_seconds", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("grade") as batch:
        batch.add_column(sa.Column("late_penalty", sa.Integer(), nullable=False, server_default="0"))
    # The defaults above fill existing rows; the models give new rows theirs.
    for table, column in (("pack", "briefing"), ("report", "late_seconds"), ("grade", "late_penalty")):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("grade") as batch:
        batch.drop_column("late_penalty")
    with op.batch_alter_table("report") as batch:
        batch.drop_column("late_seconds")
    with op.batch_alter_table("challenge") as batch:
        batch.drop_column("late")
        batch.drop_column("phase_opened_at")
        batch.drop_column("phase")
    with op.batch_alter_table("pack") as batch:
        batch.drop_column("briefing")
    op.drop_index("ix_phase_pack_id", table_name="phase")
    op.drop_table("phase")
