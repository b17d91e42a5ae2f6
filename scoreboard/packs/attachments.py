"""The files a challenge.yml points at: attachments for teams and the solution for organizers.

Paths are relative to the challenge's folder and must stay inside the pack (no ``..``, no
absolute paths, no symbolic links out of it).
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath
from typing import Any

from scoreboard.core.errors import N_, Message
from scoreboard.packs.problems import quoted, short
from scoreboard.packs.reader import FieldReader
from scoreboard.packs.spec import FileSpec
from scoreboard.store.uploads import has_hidden

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_SOLUTION_BYTES = 1024 * 1024
SOLUTION_STATES = ("hidden", "visible", "solved")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


# What _inside says about an attachment and about a solution file.
_OUTSIDE = {"file": N_("the file %(path)s points outside the pack"),
            "solution": N_("the solution file %(path)s points outside the pack")}
_FOLDER = {"file": N_("the file %(path)s is a folder; list the files in it one by one"),
           "solution": N_("the solution file %(path)s is a folder, not a file")}
_MISSING = {"file": N_("the file %(path)s was not found in the pack"),
            "solution": N_("the solution file %(path)s was not found in the pack")}


def _inside(reader: FieldReader, item: str, line: int, what: str) -> Path | None:
    """The file ``item`` names, relative to the challenge folder; None after a problem.

    ``what`` is ``file`` (an attachment) or ``solution``."""
    target = (reader.path.parent / item).resolve()
    if not target.is_relative_to(reader.root.resolve()):
        reader.problem(line, Message(_OUTSIDE[what], path=short(item)))
        return None
    if target.is_dir():
        reader.problem(line, Message(_FOLDER[what], path=short(item)))
        return None
    if not target.is_file():
        reader.problem(line, Message(_MISSING[what], path=short(item)))
        return None
    return target


def files(reader: FieldReader) -> list[FileSpec]:
    items = reader.get("files", list, [])
    result = []
    seen = set()
    for item, line in zip(items, getattr(items, "lines", []), strict=False):
        if not isinstance(item, str) or not item.strip():
            reader.problem(line, Message(N_("a file entry must be a path relative to the challenge folder")))
            continue
        target = _inside(reader, item, line, "file")
        if target is None:
            continue
        size = target.stat().st_size
        name = PurePosixPath(item).name
        if size > MAX_FILE_BYTES:
            reader.problem(line, Message(N_("the file %(path)s is larger than %(max)s MB"), path=short(item),
                                         max=MAX_FILE_BYTES // 2**20))
        elif len(name) > 255:
            reader.problem(line, Message(N_("a file name is longer than 255 characters")))
        elif has_hidden(name):
            reader.problem(line, Message(N_("the file %(path)s has control or invisible characters in its name; "
                                            "rename it"), path=short(item)))
        elif name in seen:
            reader.problem(line, Message(N_("two files are named %(name)s"), name=short(name)))
        else:
            seen.add(name)
            result.append(FileSpec(name, target, _sha256(target), size))
    return result


def _names_a_file(text: str) -> bool:
    """ctfcli's ``solution`` is a path; Drillboard also takes the solution written out."""
    return bool(re.fullmatch(r"\S+", text.strip())) and ("/" in text or bool(re.search(r"\.\w{1,8}$", text.strip())))


def solution(reader: FieldReader) -> str | None:
    """The solution text (read from its file when ``solution`` is a path or ``{path, state}``)."""
    value: Any = reader.data.get("solution")
    line = reader.line("solution")
    if value is None:
        return None
    if isinstance(value, dict):
        for key in value:
            if key not in ("path", "state"):
                reader.warn(line, Message(N_("unknown field %(key)s; ignored"), key=short(f"solution.{key}")))
        state = value.get("state", "hidden")
        if state not in SOLUTION_STATES:
            reader.problem(line, Message(N_("'solution.state' must be one of %(allowed)s, not %(value)s"),
                                         allowed=quoted(SOLUTION_STATES), value=short(state)))
        elif state != "hidden":
            reader.warn(line, Message(N_("the solution state %(value)s is ignored: Drillboard shows solutions to "
                                        "organizers only"), value=short(state)))
        value = value.get("path")
        if not isinstance(value, str) or not value.strip():
            reader.problem(line, Message(N_("'solution.path' must be the path of the solution file")))
            return None
    elif not isinstance(value, str):
        reader.problem(line, Message(N_("'solution' must be the path of a file, the solution text, or "
                                        "{path, state}")))
        return None
    elif not _names_a_file(value):
        return value
    target = _inside(reader, value.strip(), line, "solution")
    if target is None:
        return None
    if target.stat().st_size > MAX_SOLUTION_BYTES:
        reader.problem(line, Message(N_("the solution file is larger than 1 MB")))
        return None
    try:
        text = target.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        reader.problem(line, Message(N_("the solution file is not UTF-8 text")))
        return None
    if "\0" in text:
        reader.problem(line, Message(N_("the solution file contains a NUL character")))
        return None
    return text
