"""Finding a pack's challenge files, the way ctfcli does, through links that stay inside the pack.

ctfcli reads ``challenge.yml``; some repositories name theirs otherwise (DUCTF: ``ctfcli.yaml``,
beside a ``challenge.yaml`` that is an infrastructure config). ``--file-name`` (or pack.yml's
``file_name``) chooses the name, and files of the other usual names that were not read are
named in a warning with the option to use. A symbolic link is followed when it resolves inside
the pack, in a folder exactly as in an extracted zip. One that leaves it is never followed: a
warning counts them (DUCTF 2024 keeps an OS image profile whose links point at /usr/lib/systemd,
which nothing loads), and a file the pack reads through one is a problem (``pack_file`` here,
``attachments`` for a challenge's files).
"""
from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from scoreboard.core.errors import N_, Invalid
from scoreboard.packs.problems import Findings, short

DEFAULT_NAMES = ("challenge.yml", "challenge.yaml")
# The names a challenge file goes by in the repositories seen: each one not read is worth a word.
CANDIDATES = ("challenge.yml", "challenge.yaml", "ctfcli.yaml", "ctfcli.yml")
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.ya?ml")


def check_file_name(value: object, key: str) -> str:
    """A file name to look for (``ctfcli.yaml``): a plain ``.yml``/``.yaml`` name, no folder."""
    if not isinstance(value, str) or not FILE_NAME.fullmatch(value):
        raise Invalid(N_("%(key)s must be a file name ending in .yml or .yaml, such as ctfcli.yaml, not %(value)s"),
                      key=f"'{key}'", value=short(value))
    return value


def outside(root: Path, path: Path) -> bool:
    """Whether ``path`` (a link, or through links) ends outside the pack, or in a circle of links."""
    try:
        return not path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return True


def pack_file(root: Path, name: str, findings: Findings) -> Path | None:
    """The pack's own file ``name`` (pack.yml) if there is one to read; a link leaving the pack is
    a problem and is not read, so a zip's link cannot show a server file's text in a message."""
    path = root / name
    if path.is_symlink() and outside(root, path):
        findings.problem(name, 0, f"symbolic link to {short(os.readlink(path))} points outside the pack; "
                                  "copy what it points at into the pack")
        return None
    return path if path.is_file() else None


def _walk(root: Path, findings: Findings) -> list[tuple[Path, list[str]]]:
    """Every folder of the pack with its file names, links inside followed (each real folder
    once), links outside counted in one warning and not followed; hidden folders (``.git``) are skipped."""
    found, seen, todo, leaving = [], set(), [root], []
    while todo:
        folder = todo.pop()
        real = folder.resolve()
        if real in seen:
            continue
        seen.add(real)
        files, subfolders = [], []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            path = Path(entry.path)
            if entry.is_symlink() and outside(root, path):
                leaving.append(path)
            elif entry.is_dir():
                if not entry.name.startswith("."):
                    subfolders.append(path)
            elif entry.is_file():
                files.append(entry.name)
        found.append((folder, files))
        todo.extend(reversed(subfolders))
    if leaving:
        findings.warn(leaving[0].relative_to(root).as_posix(), 0,
                      f"{len(leaving)} symbolic link(s) point outside the pack (this one to "
                      f"{short(os.readlink(leaving[0]))}); they are not followed, and a challenge that lists "
                      "a file through one is refused")
    return found


def challenge_files(root: Path, findings: Findings, file_name: str | None = None) -> list[Path]:
    """The challenge files to read, in folder order; warns about the usual names left unread."""
    names = (file_name,) if file_name else DEFAULT_NAMES
    found: list[Path] = []
    unread: Counter[str] = Counter()
    example: dict[str, str] = {}
    for folder, files in _walk(root, findings):
        chosen = [name for name in names if name in files]
        if len(chosen) > 1:
            rel = (folder / chosen[1]).relative_to(root).as_posix()
            findings.problem(rel, 0, "this folder has both challenge.yml and challenge.yaml; keep one")
        found.extend(folder / name for name in chosen[:1])
        for name in CANDIDATES:
            if name in files and name not in names:
                unread[name] += 1
                example.setdefault(name, (folder / name).relative_to(root).as_posix())
    for name, count in sorted(unread.items()):
        findings.warn(example[name], 0, f"{count} file(s) named {name} were not read (this pack is read for "
                                        f"{' or '.join(names)}); if they are the challenges, load with "
                                        f"--file-name {name} (or file_name: {name} in pack.yml)")
    if not found:
        findings.problem(".", 0, f"no {' or '.join(names)} found anywhere in the pack")
    return found
