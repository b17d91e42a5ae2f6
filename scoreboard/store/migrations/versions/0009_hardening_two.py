"""Look-alike names compared in upper and lower case too (names.skeletons).

Revision ID: 0009_hardening_two
Revises: 0008_rendered_reports
Create Date: 2026-11-27

Existing names get both new skeletons; if two existing names already look alike in a case, the
later one keeps none there (it was allowed when it was made; new look-alikes are refused).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scoreboard.core.names import skeletons

revision = "0009_hardening_two"
down_revision = "0008_rendered_reports"
branch_labels = None
depends_on = None

COLUMNS = ("name_skeleton_upper", "name_skeleton_lower")


def _backfill(table: str) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(f'SELECT id, name FROM "{table}" ORDER BY id')).all()
    taken: dict[str, set[str]] = {column: set() for column in COLUMNS}
    for row_id, name in rows:
        values = dict(zip(COLUMNS, skeletons(name)[1:], strict=True))
        for column, key in values.items():
            if key not in taken[column]:
                taken[column].add(key)
                connection.execute(sa.text(f'UPDATE "{table}" SET {column} = :key WHERE id = :id'),
                                   {"key": key, "id": row_id})


def upgrade() -> None:
    for table in ("team", "user"):
        with op.batch_alter_table(table) as batch:
            for column in COLUMNS:
                batch.add_column(sa.Column(column, sa.String(length=400), nullable=True))
        _backfill(table)
        with op.batch_alter_table(table) as batch:
            for column in COLUMNS:
                batch.create_unique_constraint(f"uq_{table}_{column}", [column])


def downgrade() -> None:
    for table in ("team", "user"):
        with op.batch_alter_table(table) as batch:
            for column in COLUMNS:
                batch.drop_constraint(f"uq_{table}_{column}", type_="unique")
                batch.drop_column(column)
