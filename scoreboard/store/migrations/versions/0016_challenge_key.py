"""A challenge's stable identity in its pack: challenge.yml's ``id:`` (issue #25).

Revision ID: 0016_challenge_key
Revises: 0015_blobs
Create Date: 2026-12-09
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_challenge_key"
down_revision = "0015_blobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("challenge") as batch:
        batch.add_column(sa.Column("key", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("challenge") as batch:
        batch.drop_column("key")
