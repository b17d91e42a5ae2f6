"""Stored files' bytes in the database (blob, blob_chunk); with PostgreSQL the files already
under the instance folder move in, so every app host can serve them.

Revision ID: 0015_blobs
Revises: 0014_services
Create Date: 2026-12-09
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision = "0015_blobs"
down_revision = "0014_services"
branch_labels = None
depends_on = None

CHUNK = 256 * 1024
# The rows that name a stored file, and the column naming it (as in drill/backup.py).
STORED = {"file": "stored_path", "deduction": "evidence_path", "report_file": "stored_path"}
blob = sa.table("blob", sa.column("sha256"), sa.column("size"), sa.column("created_at"))
chunk = sa.table("blob_chunk", sa.column("sha256"), sa.column("position"), sa.column("data"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while piece := handle.read(CHUNK):
            digest.update(piece)
    return digest.hexdigest()


def _move_in(connection: sa.Connection, files_dir: Path) -> None:
    """Each file a row names becomes a blob and the row names it by its sha256; a row whose file
    is missing keeps its path (this host never had the file)."""
    known = set(connection.scalars(sa.select(blob.c.sha256)))
    for table, column in STORED.items():
        named = sa.table(table, sa.column(column))
        for (stored,) in connection.execute(sa.select(named.c[column]).where(named.c[column].is_not(None)).distinct()):
            path = files_dir / stored
            if not path.is_file():
                continue
            digest = _sha256(path)
            if digest not in known:
                connection.execute(blob.insert().values(sha256=digest, size=path.stat().st_size,
                                                        created_at=sa.func.now()))
                with path.open("rb") as handle:
                    position = 0
                    while piece := handle.read(CHUNK):
                        connection.execute(chunk.insert(), {"sha256": digest, "position": position, "data": piece})
                        position += 1
                known.add(digest)
            connection.execute(named.update().where(named.c[column] == stored).values({column: digest}))


def upgrade() -> None:
    op.create_table(
        "blob",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "blob_chunk",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["blob.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sha256", "position"),
    )
    connection = op.get_bind()
    files_dir = context.config.attributes.get("files_dir")
    if connection.dialect.name == "postgresql" and files_dir is not None:
        _move_in(connection, Path(files_dir))


def downgrade() -> None:
    op.drop_table("blob_chunk")
    op.drop_table("blob")
