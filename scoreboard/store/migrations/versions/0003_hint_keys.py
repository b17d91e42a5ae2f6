"""ctfcli's keyed hints and hint prerequisites.

Revision ID: 0003_hint_keys
Revises: 0002_event_seq
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_hint_keys"
down_revision = "0002_event_seq"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hint") as batch:
        batch.add_column(sa.Column("key", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("requirements", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("hint") as batch:
        batch.drop_column("requirements")
        batch.drop_column("key")
