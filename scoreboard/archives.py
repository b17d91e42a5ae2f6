"""Unpacking untrusted zip files: every member is checked before a single byte is written."""
from __future__ import annotations

import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 5000
MAX_RATIO = 200


def _why_unsafe(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return "path escapes the archive"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic links are not allowed"
    if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
        return "compression ratio is suspicious (zip bomb?)"
    return None


def problems(archive: zipfile.ZipFile, label: str, max_unpacked: int) -> list[str]:
    """Every reason not to unpack ``archive``, as ``name:0: message`` lines (zip slip, links, bombs, size)."""
    members = archive.infolist()
    found = [f"{m.filename}:0: {why}" for m in members if (why := _why_unsafe(m))]
    if len(members) > MAX_MEMBERS:
        found.append(f"{label}:0: more than {MAX_MEMBERS} entries")
    total = sum(m.file_size for m in members)
    if total > max_unpacked:
        found.append(f"{label}:0: unpacks to {total // 2**20} MB, over the {max_unpacked // 2**20} MB limit")
    return found


def extract(archive: zipfile.ZipFile, target: Path, prefix: str = "") -> None:
    """Write the members under ``prefix`` (which is dropped) below ``target``; call ``problems`` first."""
    for member in archive.infolist():
        name = member.filename.replace("\\", "/")
        if member.is_dir() or not name.startswith(prefix):
            continue
        destination = target / PurePosixPath(name[len(prefix):])
        destination.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source, destination.open("wb") as sink:
            shutil.copyfileobj(source, sink)
