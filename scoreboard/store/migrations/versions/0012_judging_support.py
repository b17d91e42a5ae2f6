"""Judging support: a marking guide per report task, a third marker when two marks are far
apart, amended marks, per-criterion grades with each judge's feedback, and reports returned
for revision.

Revision ID: 0012_judging_support
Revises: 0011_inbox
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_judging_support"
down_revision = "0011_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drill") as batch:
        batch.add_column(sa.Column("third_marker_over", sa.Integer(), nullable=True))
    with op.batch_alter_table("challenge") as batch:
        batch.add_column(sa.Column("guide", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("mark") as batch:
        batch.add_column(sa.Column("amended_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("grade") as batch:
        batch.add_column(sa.Column("scores", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("feedback", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("return_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("returned_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_report_returned_by", "user", ["returned_by_id"], ["id"])
    # The defaults above fill existing rows; the models give new rows theirs.
    with op.batch_alter_table("challenge") as batch:
        batch.alter_column("guide", server_default=None)
    with op.batch_alter_table("grade") as batch:
        batch.alter_column("scores", server_default=None)
        batch.alter_column("feedback", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.drop_constraint("fk_report_returned_by", type_="foreignkey")
        batch.drop_column("returned_by_id")
        batch.drop_column("return_note")
        batch.drop_column("returned_at")
    with op.batch_alter_table("grade") as batch:
        batch.drop_column("feedback")
        batch.drop_column("scores")
    with op.batch_alter_table("mark") as batch:
        batch.drop_column("amended_at")
    with op.batch_alter_table("challenge") as batch:
        batch.drop_column("guide")
    with op.batch_alter_table("drill") as batch:
        batch.drop_column("third_marker_over")
