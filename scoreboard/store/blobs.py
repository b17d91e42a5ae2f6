"""Stored files every app host can read: their bytes in the database when it is PostgreSQL.

Each host of a deployment has its own instance folder, so a file one host wrote to its disk
would be a 404 on every other. With PostgreSQL a stored file is a ``Blob`` named by its
sha256 and written in the caller's transaction, so the row that names it and its bytes
commit (or vanish) together; a row's stored path is then that sha256. SQLite (one host) keeps
files under the instance folder, and a stored path there is a path under it. Downloads go
through a per-host disk cache: a blob is copied from the database once, checked against its
name, and served from disk from then on. No Flask here.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scoreboard.store.models import CHUNK, Blob, BlobChunk

_KEY = re.compile(r"[0-9a-f]{64}")


def is_key(stored: str) -> bool:
    """Whether a stored path names a blob (a sha256) rather than a file under the instance folder."""
    return bool(_KEY.fullmatch(stored))


def in_database(session: Session | Connection) -> bool:
    """Whether files written through ``session`` go into the database (PostgreSQL) or the folder."""
    bind = session.connection() if isinstance(session, Session) else session
    return bind.dialect.name == "postgresql"


def pieces(handle: BinaryIO) -> Iterator[bytes]:
    """A file's bytes in chunks of the blob table's size."""
    while piece := handle.read(CHUNK):
        yield piece


def digest(handle: BinaryIO) -> tuple[str, int]:
    """The sha256 and size of a file read in chunks."""
    hashed, size = hashlib.sha256(), 0
    for piece in pieces(handle):
        hashed.update(piece)
        size += len(piece)
    return hashed.hexdigest(), size


def put(connection: Connection, sha256: str, size: int, chunks: Iterable[bytes]) -> str:
    """Keep these bytes as the blob ``sha256`` unless it is already kept; returns its key.

    Two transactions writing the same new file at once do not fail: the second waits on the
    first's key and then finds it (its chunks are not written twice).
    """
    made = connection.execute(postgresql.insert(Blob).on_conflict_do_nothing().returning(Blob.sha256),
                              {"sha256": sha256, "size": size}).scalar()
    if made is not None:
        for position, piece in enumerate(chunks):
            connection.execute(BlobChunk.__table__.insert(), {"sha256": sha256, "position": position, "data": piece})
    return sha256


def put_bytes(session: Session, data: bytes) -> str:
    """``data`` as a blob in the session's transaction; returns its key (its sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    return put(session.connection(), digest, len(data), (data[i:i + CHUNK] for i in range(0, len(data), CHUNK)))


def put_file(session: Session, path: Path, sha256: str, size: int) -> str:
    """A file already hashed (a pack's attachment) as a blob, read in chunks, never whole."""
    if session.get(Blob, sha256) is not None:
        return sha256
    with path.open("rb") as handle:
        return put(session.connection(), sha256, size, pieces(handle))


def read(connection: Connection, sha256: str) -> Iterator[bytes]:
    """A blob's chunks in order, fetched a few at a time (a server-side cursor)."""
    rows = connection.execution_options(stream_results=True, max_row_buffer=4).execute(
        select(BlobChunk.data).where(BlobChunk.sha256 == sha256).order_by(BlobChunk.position))
    for (piece,) in rows:
        yield bytes(piece)


def write_whole(target: Path, chunks: Iterable[bytes], sha256: str | None = None) -> bool:
    """Write ``chunks`` to ``target`` all or nothing; with ``sha256``, only bytes that hash to it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{secrets.token_hex(4)}.part")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as handle:
            for piece in chunks:
                digest.update(piece)
                handle.write(piece)
        if sha256 is not None and digest.hexdigest() != sha256:
            partial.unlink()
            return False
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return True


class Files:
    """Where this host finds a stored file's bytes: the database's blobs through a disk cache, or
    the instance folder."""

    def __init__(self, engine: Engine, files_dir: Path, cache_dir: Path) -> None:
        self.engine = engine
        self.files_dir = files_dir
        self.cache_dir = cache_dir
        self.in_database = engine.dialect.name == "postgresql"

    def local(self, stored: str) -> Path | None:
        """A file on this host's disk holding the stored bytes, or None when there are none."""
        if self.in_database and is_key(stored):
            cached = self.cache_dir / stored[:2] / stored
            if cached.exists():
                return cached
            with self.engine.connect() as connection:
                known = connection.scalar(select(Blob.size).where(Blob.sha256 == stored)) is not None
                if known and write_whole(cached, read(connection, stored), stored):
                    return cached
        path = self.files_dir / stored
        return path if path.is_file() else None
