"""A complete, consistent copy of a drill (every row and every stored file) in one zip.

``dump`` reads all tables inside one read transaction, so a backup taken while teams submit
is a single moment of the drill. ``restore`` replaces every row in one transaction. Stored
files travel as ``files/<stored path>`` whether they were kept in the database (PostgreSQL's
blobs, named by their sha256) or under the instance folder, so a backup of either restores
into either: into PostgreSQL every file becomes a blob (its rows then name it by its sha256).
"""
from __future__ import annotations

import json
import os
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, delete, insert, select, text, update

from scoreboard.packs import archives
from scoreboard.packs.service_rows import CHECKERS_DIR
from scoreboard.store import blobs
from scoreboard.store.db import Database
from scoreboard.store.models import Base, Blob, BlobChunk, UTCDateTime, utcnow

FORMAT = "drillboard-backup-1"
# The tables whose rows name a file under the instance files dir, and the column naming it.
STORED = {"file": "stored_path", "deduction": "evidence_path", "report_file": "stored_path"}
MAX_UNPACKED = 20 * 1024**3


class BackupError(ValueError):
    """A backup file that cannot be restored; nothing was changed."""


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# Files' bytes are not rows of rows.json: they travel as the archive's files/ entries.
BYTES = {Blob.__tablename__, BlobChunk.__tablename__}


def _tables() -> list[Any]:
    return [table for table in Base.metadata.sorted_tables if table.name not in BYTES]


def _read_all(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    return {
        table.name: [{k: _encode(v) for k, v in row._mapping.items()} for row in conn.execute(select(table))]
        for table in _tables()
    }


def _write_files(database: Database, files_dir: Path, archive: zipfile.ZipFile, stored: list[str]) -> None:
    """Each stored file's bytes as ``files/<stored path>``: from the database's blobs (read in
    chunks) or the instance folder; one that is in neither is left out."""
    with database.engine.connect() as conn:
        for relative in stored:
            if blobs.is_key(relative) and not database.is_sqlite:
                chunks = blobs.read(conn, relative)
                first = next(chunks, None)
                if first is not None:
                    with archive.open(f"files/{relative}", "w", force_zip64=True) as entry:
                        entry.write(first)
                        for piece in chunks:
                            entry.write(piece)
                    continue
            source = files_dir / relative
            if source.exists():
                archive.write(source, f"files/{relative}")


def _checker_files(files_dir: Path, rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every file of the checkers the drill's services run (their folders live on each host's
    disk, named by digest): a restored drill must be able to check its services again."""
    found = []
    for row in rows.get("service", []):
        folder = (row.get("check") or {}).get("folder")
        if folder and (files_dir / folder).is_dir():
            found += [p.relative_to(files_dir).as_posix() for p in (files_dir / folder).rglob("*") if p.is_file()]
    return found


def _private(path: Path) -> BinaryIO:
    """A new file only its owner can read: a backup holds flags, join codes and password hashes."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a .part left by an earlier run kept its old mode
    return os.fdopen(descriptor, "wb")


def dump(database: Database, files_dir: Path, path: Path) -> dict[str, int]:
    """Write the backup zip; returns the row count per table."""
    with database.engine.connect() as conn:
        if database.is_sqlite:
            conn.exec_driver_sql("BEGIN")  # one WAL snapshot for every table
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        rows = _read_all(conn)
        conn.rollback()
    stored = sorted({row[column] for table, column in STORED.items() for row in rows.get(table, []) if row[column]}
                    | set(_checker_files(files_dir, rows)))
    tmp = Path(str(path) + ".part")
    with _private(tmp) as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        counts = {name: len(items) for name, items in rows.items()}
        archive.writestr("manifest.json", json.dumps({"format": FORMAT, "created_at": utcnow().isoformat(),
                                                      "rows": counts}, indent=1))
        archive.writestr("rows.json", json.dumps(rows, ensure_ascii=False))
        _write_files(database, files_dir, archive, stored)
    tmp.replace(path)
    return counts


def _decode(table: Any, row: dict[str, Any]) -> dict[str, Any]:
    if table.name in ("event", "audit") and "pos" not in row:
        # A backup from before events and audit entries had a place (migration 0017): id order.
        row = {**row, "pos": row.get("id")}
        if table.name == "event":
            row["public"] = row.get("seq") is not None
    out = {}
    for column in table.columns:
        if column.name not in row:
            continue
        value = row[column.name]
        if isinstance(column.type, UTCDateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        out[column.name] = value
    return out


def _files_into_database(conn: Connection, archive: zipfile.ZipFile, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Every file the restored rows name becomes a blob, and they name it by its sha256."""
    entries = set(archive.namelist())
    for table_name, column in STORED.items():
        table = Base.metadata.tables[table_name]
        for stored in sorted({row[column] for row in rows.get(table_name, []) if row.get(column)}):
            if f"files/{stored}" not in entries:
                continue
            with archive.open(f"files/{stored}") as handle:
                digest, size = blobs.digest(handle)
            with archive.open(f"files/{stored}") as handle:
                blobs.put(conn, digest, size, blobs.pieces(handle))
            conn.execute(update(table).where(table.c[column] == stored).values({column: digest}))


def restore(database: Database, files_dir: Path, path: Path) -> dict[str, int]:
    """Replace the whole drill with the backup's; refuses a foreign or unsafe file untouched."""
    try:
        archive = archives.open_zip(path)
    except archives.ArchiveError as err:
        raise BackupError(f"{path}: not a Drillboard backup ({err})") from None
    with archive:
        names = archive.namelist()
        if "manifest.json" not in names or "rows.json" not in names:
            raise BackupError(f"{path}: not a Drillboard backup (manifest.json or rows.json missing)")
        unsafe = archives.problems(archive, path.name, MAX_UNPACKED)
        if unsafe:
            raise BackupError(f"{path}: refused: " + "; ".join(unsafe))
        try:
            archives.verify(archive)  # a damaged file must stop us before any row is replaced
            manifest = json.loads(archive.read("manifest.json"))
            rows = json.loads(archive.read("rows.json"))
        except (archives.ArchiveError, ValueError) as err:
            raise BackupError(f"{path}: damaged: {err}") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
        database.migrate()
        with database.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(delete(table))
            for table in _tables():
                items = [_decode(table, row) for row in rows.get(table.name, [])]
                if items:
                    conn.execute(insert(table), items)
            if not database.is_sqlite:
                _files_into_database(conn, archive, rows)
                for table in _tables():
                    if "id" in table.columns and table.columns["id"].autoincrement and rows.get(table.name):
                        if isinstance(rows[table.name][0].get("id"), int):
                            conn.execute(text(
                                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                f"(SELECT MAX(id) FROM \"{table.name}\"))"))
        database.sequence()  # events committed but not yet placed when the backup was taken
        if database.is_sqlite:
            archives.extract(archive, files_dir, prefix="files/")
        else:  # stored files went into the database; checkers are run from each host's disk
            archives.extract(archive, files_dir / CHECKERS_DIR, prefix=f"files/{CHECKERS_DIR}/")
    return {name: len(items) for name, items in rows.items()}
