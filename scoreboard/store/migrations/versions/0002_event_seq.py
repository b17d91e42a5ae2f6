"""Gapless public seq apart from the event id; the published standings row.

Revision ID: 0002_event_seq
Revises: 0001_baseline
Create Date: 2026-11-26

Before this revision the event id was the seq, so a held (frozen) solve left a gap that sent
every observer back for a fresh snapshot. Existing public rows keep their id as seq (still
strictly increasing); new ones count on from there without gaps.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_event_seq"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.create_unique_constraint("uq_event_seq", ["seq"])
    op.execute(sa.text("UPDATE event SET seq = id WHERE held = :no").bindparams(no=False))
    op.create_table(
        "board_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Integer(), nullable=False),
        sa.Column("standings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("board_state")
    with op.batch_alter_table("event") as batch:
        batch.drop_constraint("uq_event_seq", type_="unique")
        batch.drop_column("seq")
