"""Reading challenge packs: a folder or zip of ``challenge.yml`` files (a superset of ctfcli's).

Loading is two steps. ``read_folder`` validates everything and returns either a ``PackSpec``
(with its warnings) or every problem found, as ``file:line: message``; it touches no database.
``apply_pack`` then writes the spec in one transaction, updating challenges in place (matched
by ``id:`` or name, ``matching``) so submissions and solves survive a reload. No Flask here.

The modules, one job each: ``yamlfile`` (YAML with line numbers), ``challenge`` and
``attachments`` (one challenge.yml), ``folder`` (the pack folder or zip), ``apply`` (the
database side), ``problems`` (what a check found: problems and warnings).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from scoreboard.packs.apply import PackDiff, Unconfirmed, apply_pack, diff_pack
from scoreboard.packs.folder import opened, read_folder
from scoreboard.packs.problems import PackError
from scoreboard.packs.spec import ChallengeSpec, PackSpec

__all__ = ["ChallengeSpec", "PackDiff", "PackError", "PackSpec", "Unconfirmed", "apply_pack", "diff_pack", "load",
           "opened", "read_folder"]


def load(session: Session, path: Path, files_dir: Path, *, dry_run: bool = False, strict: bool = False,
         actor_id: int | None = None, max_unpacked: int = 200 * 1024 * 1024, pack_id: str | None = None,
         file_name: str | None = None, merge: bool = False, confirmed: bool = False) -> PackDiff:
    """Validate then (unless ``dry_run``) apply the pack at ``path``; raises PackError.

    With ``strict`` a warning (an unknown field, a challenge without flags) refuses the pack too.
    ``pack_id`` names the pack (``--pack``), ``file_name`` is the challenge file to look for,
    ``merge`` keeps the pack's challenges this folder lacks, ``confirmed`` (``--yes``) lets a load
    remove or re-flag challenges that have solves (else ``Unconfirmed``).
    """
    with opened(path, max_unpacked) as root:
        spec = read_folder(root, strict=strict, pack_id=pack_id, file_name=file_name)
        if dry_run:
            return diff_pack(session, spec, merge)
        return apply_pack(session, spec, files_dir, actor_id, merge=merge, confirmed=confirmed)
