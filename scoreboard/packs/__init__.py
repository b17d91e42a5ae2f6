"""Reading challenge packs: a folder or zip of ``challenge.yml`` files (a superset of ctfcli's).

Loading is two steps. ``read_folder`` validates everything and returns either a ``PackSpec``
(with its warnings) or every problem found, as ``file:line: message``; it touches no database.
``apply_pack`` then writes the spec in one transaction, updating challenges in place (matched
by name) so submissions and solves survive a reload. No Flask here.

The modules, one job each: ``yamlfile`` (YAML with line numbers), ``challenge`` and
``attachments`` (one challenge.yml), ``folder`` (the pack folder or zip), ``apply`` (the
database side), ``problems`` (what a check found: problems and warnings).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from scoreboard.packs.apply import PackDiff, apply_pack, diff_pack
from scoreboard.packs.folder import opened, read_folder
from scoreboard.packs.problems import PackError
from scoreboard.packs.spec import ChallengeSpec, PackSpec

__all__ = ["ChallengeSpec", "PackDiff", "PackError", "PackSpec", "apply_pack", "diff_pack", "load", "opened",
           "read_folder"]


def load(session: Session, path: Path, files_dir: Path, *, dry_run: bool = False, strict: bool = False,
         actor_id: int | None = None, max_unpacked: int = 200 * 1024 * 1024) -> PackDiff:
    """Validate then (unless ``dry_run``) apply the pack at ``path``; raises PackError.

    With ``strict`` a warning (an unknown field, a challenge without flags) refuses the pack too.
    """
    with opened(path, max_unpacked) as root:
        spec = read_folder(root, strict=strict)
        if dry_run:
            return diff_pack(session, spec)
        return apply_pack(session, spec, files_dir, actor_id)
