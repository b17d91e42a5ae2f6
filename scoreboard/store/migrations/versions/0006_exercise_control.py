"""Exercise control: report tasks and their versions, judges' marks, grades, red-team
deductions, category weights and the reveal ceremony.

Revision ID: 0006_exercise_control
Revises: 0005_hardening
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_exercise_control"
down_revision = "0005_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drill") as batch:
        batch.add_column(sa.Column("weights", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("second_marker", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("grade_release", sa.String(length=10), nullable=False, server_default="manual"))
        batch.add_column(sa.Column("reveal", sa.String(length=12), nullable=True))
    with op.batch_alter_table("challenge") as batch:
        batch.add_column(sa.Column("rubric", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deadline_after", sa.Integer(), nullable=True))
    # The defaults above fill existing rows; the models give new rows theirs.
    with op.batch_alter_table("drill") as batch:
        batch.alter_column("grade_release", server_default=None)
    with op.batch_alter_table("challenge") as batch:
        batch.alter_column("rubric", server_default=None)
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "challenge_id", "version", name="uq_report_version"),
    )
    op.create_index("ix_report_team_id", "report", ["team_id"])
    op.create_index("ix_report_challenge_id", "report", ["challenge_id"])
    op.create_table(
        "report_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_file_report_id", "report_file", ["report_id"])
    op.create_table(
        "mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["judge_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", "judge_id", name="uq_mark_report_judge"),
    )
    op.create_index("ix_mark_report_id", "mark", ["report_id"])
    op.create_table(
        "grade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "challenge_id", name="uq_grade_team_challenge"),
    )
    op.create_index("ix_grade_team_id", "grade", ["team_id"])
    op.create_index("ix_grade_challenge_id", "grade", ["challenge_id"])
    op.create_table(
        "deduction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("evidence_name", sa.String(length=255), nullable=True),
        sa.Column("evidence_path", sa.String(length=500), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["voided_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deduction_team_id", "deduction", ["team_id"])
    op.create_table(
        "reveal_progress",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.PrimaryKeyConstraint("team_id"),
    )


def downgrade() -> None:
    op.drop_table("reveal_progress")
    op.drop_index("ix_deduction_team_id", table_name="deduction")
    op.drop_table("deduction")
    op.drop_index("ix_grade_challenge_id", table_name="grade")
    op.drop_index("ix_grade_team_id", table_name="grade")
    op.drop_table("grade")
    op.drop_index("ix_mark_report_id", table_name="mark")
    op.drop_table("mark")
    op.drop_index("ix_report_file_report_id", table_name="report_file")
    op.drop_table("report_file")
    op.drop_index("ix_report_challenge_id", table_name="report")
    op.drop_index("ix_report_team_id", table_name="report")
    op.drop_table("report")
    with op.batch_alter_table("challenge") as batch:
        batch.drop_column("deadline_after")
        batch.drop_column("deadline_at")
        batch.drop_column("rubric")
    with op.batch_alter_table("drill") as batch:
        batch.drop_column("reveal")
        batch.drop_column("grade_release")
        batch.drop_column("second_marker")
        batch.drop_column("weights")
