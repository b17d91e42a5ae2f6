"""Files people send (report attachments, red-team evidence): named safely, kept under generated names.

The name a person gave a file is only ever shown back (a download's name); on disk every file
gets a random name under the instance files dir, so no upload can choose a path. No Flask here.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path, PurePath


@dataclass(frozen=True)
class Upload:
    """A file as received: the name its sender gave it and its bytes (read up to the limit + 1)."""

    name: str
    data: bytes


def display_name(name: str, default: str) -> str:
    """The file's own name without any folders or NULs, at most 255 characters."""
    base = PurePath(name.replace("\\", "/")).name.replace("\0", "").strip()
    return base[:255] or default


def keep(files_dir: Path, folder: str, data: bytes) -> tuple[str, str]:
    """Write ``data`` under ``folder`` with a generated name; returns (relative path, sha256)."""
    relative = f"{folder}/{secrets.token_hex(16)}"
    target = files_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative, hashlib.sha256(data).hexdigest()
