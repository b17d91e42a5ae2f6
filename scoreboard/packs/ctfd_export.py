"""Opening a CTFd 3.x export: the zip CTFd's admin panel writes (Admin → Config → Backup →
Export), with ``db/<table>.json`` (``{"count", "results": [rows], "meta"}``) and
``uploads/<folder>/<file>``.

The zip comes from outside, so it goes through the same checks as a pack's zip (size, member
count, traversal, links, bombs) before a byte is written, and every table is checked for shape:
whatever is wrong becomes a ``PackError`` line, never an exception from deep inside.
"""
from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from scoreboard.packs import archives
from scoreboard.packs.problems import PackError

TABLES = ("challenges", "flags", "hints", "tags", "topics", "challenge_topics", "files", "dynamic_challenge",
          "solutions", "config", "teams", "users", "solves", "submissions", "unlocks", "awards", "notifications",
          "pages", "comments", "ratings", "brackets", "fields", "field_entries", "tokens", "tracking")
MAX_TABLE_BYTES = 64 * 1024 * 1024


@dataclass
class Export:
    """The tables of one export (rows as dicts) and the folder its uploads were unpacked to."""

    tables: dict[str, list[dict[str, Any]]]
    uploads: Path

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables.get(table, [])

    def upload(self, location: Any) -> Path | None:
        """The unpacked file a ``files.location`` names, if it is one inside ``uploads/``.

        The location comes from the export's JSON, so it is checked like a path in the zip.
        """
        if not isinstance(location, str) or not location or "\0" in location:
            return None
        parts = PurePosixPath(location.replace("\\", "/")).parts
        if location.startswith(("/", "\\")) or ".." in parts:
            return None
        target = self.uploads.joinpath(*parts)
        return target if target.is_file() and target.resolve().is_relative_to(self.uploads.resolve()) else None


def _prefix(names: list[str], label: str) -> str:
    """Where ``db/`` starts: at the root, or inside the one folder a re-zipped export adds."""
    for name in names:
        parts = PurePosixPath(name).parts
        if parts[-2:] == ("db", "challenges.json") and len(parts) <= 3:
            return "/".join(parts[:-2]) + "/" if len(parts) == 3 else ""
    raise PackError([f"{label}:0: not a CTFd export: there is no db/challenges.json in it (export the CTFd "
                     "from its Admin → Config → Backup → Export)"])


def _table(path: Path, name: str) -> list[dict[str, Any]]:
    """One ``db/<name>.json``'s rows; PackError when it is not CTFd's shape."""
    where = f"db/{name}.json:0:"
    size = path.stat().st_size
    if size == 0:
        return []  # CTFd writes an empty table as an empty file
    if size > MAX_TABLE_BYTES:
        raise PackError([f"{where} larger than {MAX_TABLE_BYTES // 2**20} MB"])
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as err:
        raise PackError([f"{where} not valid JSON ({str(err)[:100]})"]) from None
    rows = data.get("results") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise PackError([f"{where} not a CTFd table: expected {{\"results\": [rows]}}"])
    return rows


@contextmanager
def opened(path: Path, max_unpacked: int) -> Iterator[Export]:
    """Yield the export at ``path`` unpacked into a temporary folder (removed afterwards)."""
    path = Path(path)
    if not path.is_file():
        raise PackError([f"{path}:0: not a file; give the .zip that CTFd's admin export downloads"])
    try:
        archive = archives.open_zip(path)
    except archives.ArchiveError as err:
        raise PackError([str(err)]) from None
    with archive, tempfile.TemporaryDirectory(prefix="drillctfd-") as tmp:
        problems = archives.problems(archive, path.name, max_unpacked)
        if problems:
            raise PackError(problems)
        prefix = _prefix([info.filename.replace("\\", "/") for info in archive.infolist()], path.name)
        target = Path(tmp) / "export"
        target.mkdir()
        try:
            archives.extract(archive, target, prefix)
        except archives.ArchiveError as err:
            raise PackError([str(err)]) from None
        tables = {name: _table(target / "db" / f"{name}.json", name) for name in TABLES
                  if (target / "db" / f"{name}.json").is_file()}
        yield Export(tables, target / "uploads")
