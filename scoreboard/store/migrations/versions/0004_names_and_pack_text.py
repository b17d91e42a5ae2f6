"""Look-alike name keys (Unicode skeletons) for teams and users; pack.yml translations.

Revision ID: 0004_names_and_pack_text
Revises: 0003_hint_keys
Create Date: 2026-11-26

Existing names get their skeleton; if two existing names already look alike, the later one
keeps none (it was allowed when it was made; new look-alikes are refused).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scoreboard.core.names import skeleton

revision = "0004_names_and_pack_text"
down_revision = "0003_hint_keys"
branch_labels = None
depends_on = None


def _backfill(table: str) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(f'SELECT id, name FROM "{table}" ORDER BY id')).all()
    taken: set[str] = set()
    for row_id, name in rows:
        key = skeleton(name)
        if key not in taken:
            taken.add(key)
            connection.execute(sa.text(f'UPDATE "{table}" SET name_skeleton = :key WHERE id = :id'),
                               {"key": key, "id": row_id})


def upgrade() -> None:
    with op.batch_alter_table("pack") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))
    for table in ("team", "user"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("name_skeleton", sa.String(length=400), nullable=True))
        _backfill(table)
        with op.batch_alter_table(table) as batch:
            batch.create_unique_constraint(f"uq_{table}_name_skeleton", ["name_skeleton"])


def downgrade() -> None:
    for table in ("team", "user"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_name_skeleton", type_="unique")
            batch.drop_column("name_skeleton")
    with op.batch_alter_table("pack") as batch:
        batch.drop_column("translations")
