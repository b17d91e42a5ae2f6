"""Stored files' bytes in the database, so every app host can serve every file (PostgreSQL).

A blob is named by the sha256 of its bytes: the same file uploaded twice, or shipped in two
packs, is kept once, and a name can never point at other bytes. The bytes are split into
chunks of at most ``CHUNK`` so neither a write nor a download needs a whole file in one value.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from scoreboard.store.models.base import Base, utcnow

CHUNK = 256 * 1024


class Blob(Base):
    """One file's identity and size; its bytes are its ``BlobChunk`` rows, in ``position`` order."""

    __tablename__ = "blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlobChunk(Base):
    __tablename__ = "blob_chunk"
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blob.sha256", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
