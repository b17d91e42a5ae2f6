"""Files people send (report attachments, red-team evidence): named safely, kept under generated names.

The name a person gave a file is only ever shown back (a download's name, a link's text); on
disk every file gets a random name under the instance files dir, and in the database (PostgreSQL)
the sha256 of its bytes (``blobs``), so no upload can choose a path. A name keeps no control or formatting characters: a line break would break the download's
header, and a right-to-left override makes ``report<U+202E>gpj.exe`` read as "reportexe.jpg".
A file is written whole or not at all, and the files a transaction wrote are removed again
unless it commits (see ``forget_unless_committed``). No Flask here.
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath

from sqlalchemy.orm import Session

from scoreboard.store import blobs

# Control, format (bidi overrides, zero-width), private-use, surrogate, line and paragraph separators.
_HIDDEN = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


@dataclass(frozen=True)
class Upload:
    """A file as received: the name its sender gave it and its bytes (read up to the limit + 1)."""

    name: str
    data: bytes


def has_hidden(name: str) -> bool:
    """Whether a file name holds characters that do not show, or show something else."""
    return any(unicodedata.category(ch) in _HIDDEN for ch in name)


def display_name(name: str, default: str) -> str:
    """The file's own name without folders, control or formatting characters, at most 255 characters."""
    shown = "".join(ch for ch in name if unicodedata.category(ch) not in _HIDDEN)
    base = " ".join(PurePath(shown.replace("\\", "/")).name.split())
    return base[:255] or default


def keep(session: Session, files_dir: Path, folder: str, data: bytes) -> tuple[str, str]:
    """Keep ``data``; returns (stored path, sha256).

    With PostgreSQL it is a blob written in ``session``'s transaction (its stored path is its
    sha256). Otherwise a file under ``folder`` with a generated name, written to a temporary name
    and renamed, so a full disk leaves no truncated file, and removed again if ``session``'s
    transaction does not commit.
    """
    if blobs.in_database(session):
        digest = blobs.put_bytes(session, data)
        return digest, digest
    relative = f"{folder}/{secrets.token_hex(16)}"
    target = files_dir / relative
    blobs.write_whole(target, [data])
    session.info.setdefault("kept_files", []).append(target)
    return relative, hashlib.sha256(data).hexdigest()


def forget_unless_committed(session: Session, committed: bool) -> None:
    """At the end of a transaction: files it wrote stay if it committed, else they are removed."""
    for path in session.info.pop("kept_files", []):
        if not committed:
            path.unlink(missing_ok=True)
