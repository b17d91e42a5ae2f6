"""The team inbox and clarifications: announcements in several languages, inbox messages with
per-team read marks, and teams' questions to exercise control.

Revision ID: 0011_inbox
Revises: 0010_phases
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_inbox"
down_revision = "0010_phases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("announcement") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))
    # The default above fills existing rows; the model gives new rows theirs.
    with op.batch_alter_table("announcement") as batch:
        batch.alter_column("translations", server_default=None)
    op.create_table(
        "clarification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("challenge_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["answered_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_clarification_team_id", "clarification", ["team_id"])
    op.create_index("ix_clarification_asked_at", "clarification", ["asked_at"])
    op.create_table(
        "inbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("announcement_id", sa.Integer(), nullable=True),
        sa.Column("clarification_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcement.id"]),
        sa.ForeignKeyConstraint(["clarification_id"], ["clarification.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inbox_message_team_at", "inbox_message", ["team_id", "at"])
    op.create_table(
        "inbox_read",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["inbox_message.id"]),
        sa.PrimaryKeyConstraint("team_id", "message_id"),
    )
    # Announcements sent before the inbox existed are in it too (unread), oldest first.
    op.execute("INSERT INTO inbox_message (team_id, announcement_id, at) "
               "SELECT team_id, id, at FROM announcement ORDER BY id")


def downgrade() -> None:
    op.drop_table("inbox_read")
    op.drop_table("inbox_message")
    op.drop_index("ix_clarification_asked_at", table_name="clarification")
    op.drop_index("ix_clarification_team_id", table_name="clarification")
    op.drop_table("clarification")
    with op.batch_alter_table("announcement") as batch:
        batch.drop_column("translations")
