"""Limited attempts counted atomically; the audit chain's head and what each entry covers.

Revision ID: 0005_hardening
Revises: 0004_names_and_pack_text
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_hardening"
down_revision = "0004_names_and_pack_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempt_count",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("wrong", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.PrimaryKeyConstraint("team_id", "challenge_id"),
    )
    op.execute("INSERT INTO attempt_count (team_id, challenge_id, wrong) "
               "SELECT team_id, challenge_id, COUNT(*) FROM submission WHERE verdict = 'incorrect' "
               "GROUP BY team_id, challenge_id")


    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("subject", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        batch.create_index("ix_audit_subject", ["subject", "subject_id"])
    # The chain is sealed with the instance's key when the app next starts (audit.seal).
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("audit") as batch:
        batch.drop_index("ix_audit_subject")
        batch.drop_column("subject_id")
        batch.drop_column("subject")
    op.drop_table("attempt_count")
