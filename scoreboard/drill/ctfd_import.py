"""``drill import-ctfd``: a CTFd 3.x export into this drill, in the caller's one transaction.

The challenges become a pack (``packs.ctfd``) that loads through the same reader and writer as
``load-pack``, so they are validated, updated in place on a second import, and audited the
same way; with ``with_accounts`` the teams and players follow (``ctfd_accounts``). Any problem
raises before the caller commits, so a refused import changes nothing.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from scoreboard import packs
from scoreboard.drill import ctfd_accounts, organizer
from scoreboard.packs import ctfd, ctfd_export

DEFAULT_PACK = "ctfd-import"


@dataclass
class CtfdImport:
    """What an import did (or, in a dry run, would do)."""

    diff: packs.PackDiff
    not_imported: list[str]
    accounts: list[str] = field(default_factory=list)  # the teams and players, one line per team
    teams: list[dict[str, Any]] = field(default_factory=list)  # as created: join codes, captains, e-mails

    def lines(self) -> list[str]:
        return self.diff.lines() + self.accounts + (left_out(self.not_imported) if self.not_imported else [])


def left_out(lines: list[str]) -> list[str]:
    """What an import leaves out, as the lines of its report."""
    return [f"not imported ({len(lines)}):"] + [f"  {line}" for line in lines]


class ImportRefused(packs.PackError):
    """The export cannot be imported (``problems``); ``not_imported`` says what it would leave out,
    which may be why nothing is left to load."""

    def __init__(self, problems: list[str], warnings: list[str] | None = None,
                 not_imported: list[str] | None = None) -> None:
        super().__init__(problems, warnings)
        self.not_imported = not_imported or []


def _convert(export: ctfd_export.Export, folder: Path, label: str, pack_id: str) -> ctfd.Conversion:
    """The export as a pack folder; an export whose rows have the wrong types, or with nothing
    to import, is refused whole."""
    try:
        conversion = ctfd.to_pack(export, folder, pack_id)
    except (TypeError, AttributeError, KeyError, ValueError) as err:
        raise packs.PackError([f"db:0: the export's tables do not have CTFd 3.x's shape ({str(err)[:100]})"]) \
            from None
    if not conversion.challenges:
        raise ImportRefused([f"{label}:0: the export holds no standard or dynamic challenge to import"],
                            not_imported=conversion.not_imported)
    return conversion


def import_export(session: Session, path: Path, files_dir: Path, *, pack_id: str = DEFAULT_PACK,
                  with_accounts: bool = False, country: str | None = None, dry_run: bool = False,
                  max_unpacked: int = 200 * 1024 * 1024, actor: str = "cli", confirmed: bool = False) -> CtfdImport:
    """Import the export at ``path``; raises PackError (the zip or the challenges; ``Unconfirmed``
    when solved challenges would change and not ``confirmed``) or Refused (the accounts)."""
    with ctfd_export.opened(path, max_unpacked) as export, tempfile.TemporaryDirectory(prefix="drillctfd-") as tmp:
        conversion = _convert(export, Path(tmp) / "pack", path.name, pack_id)
        accounts_plan = ctfd_accounts.plan(export, country) if with_accounts else None
        try:
            diff = packs.load(session, conversion.root, files_dir, dry_run=dry_run, max_unpacked=max_unpacked,
                              confirmed=confirmed)
        except packs.Unconfirmed:
            raise
        except packs.PackError as err:  # say too what was left out: it may be why nothing loads
            raise ImportRefused(err.problems, err.warnings, conversion.not_imported) from None
        result = CtfdImport(diff, conversion.not_imported + (accounts_plan.not_imported if accounts_plan else []),
                            accounts_plan.lines() if accounts_plan else [])
        if dry_run:
            if accounts_plan:
                ctfd_accounts.check_free(session, accounts_plan)
            return result
        organizer.audit_pack(session, actor, diff)
        if accounts_plan:
            result.teams = ctfd_accounts.apply(session, accounts_plan, actor)
        return result
