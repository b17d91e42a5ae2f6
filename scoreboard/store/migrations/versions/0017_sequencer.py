"""Events and audit entries get their place at commit, not under a lock held by the writer.

``event.pos`` orders the stream as committed and ``event.public`` says which rows get a ``seq``;
``audit.pos`` is an entry's place in the chain, whose hashes may now wait for it. Existing rows
keep their order (their id). On PostgreSQL, ``drillboard_sequence()`` numbers the rows
committed without a place (``store/sequencer.py``).

Revision ID: 0017_sequencer
Revises: 0016_challenge_key
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scoreboard.store.models.record import SEQUENCE_FUNCTION

revision = "0017_sequencer"
down_revision = "0016_challenge_key"
branch_labels = None
depends_on = None

def upgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("pos", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE event SET pos = id, public = (seq IS NOT NULL)")
    with op.batch_alter_table("event") as batch:
        batch.alter_column("public", server_default=None)
        batch.create_unique_constraint("uq_event_pos", ["pos"])
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("pos", sa.Integer(), nullable=True))
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
    op.execute("UPDATE audit SET pos = id")
    with op.batch_alter_table("audit") as batch:
        batch.create_unique_constraint("uq_audit_pos", ["pos"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SEQUENCE_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS drillboard_sequence()")
    with op.batch_alter_table("audit") as batch:
        batch.drop_constraint("uq_audit_pos", type_="unique")
        batch.drop_column("pos")
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("event") as batch:
        batch.drop_constraint("uq_event_pos", type_="unique")
        batch.drop_column("public")
        batch.drop_column("pos")
