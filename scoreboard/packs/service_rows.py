"""services.yml against the database: its services updated in place by id (their checks keep
pointing at them), the checkers' folders copied beside the pack's files, and the pack's team
hosts replaced (an organizer's overrides stay). In the caller's transaction; no Flask."""
from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scoreboard.core.errors import N_, Message
from scoreboard.packs.problems import Finding, PackError, short
from scoreboard.packs.services import ServiceSpec, checker_files
from scoreboard.packs.spec import PackSpec
from scoreboard.store.models import Service, ServiceHost

CHECKERS_DIR = "checkers"


def summary(spec: PackSpec) -> list[str]:
    """The dry run's lines for services.yml: each service as ``id: title (kind, points per round)``."""
    if spec.services is None:
        return []
    return [f"{s.key}: {s.title} ({s.check['kind']}, {s.points} per round)" for s in spec.services.services] + \
        [f"round every {spec.services.round_seconds} s; hosts for {len(spec.services.teams)} team(s)"]


def check_ids(session: Session, spec: PackSpec) -> None:
    """Service ids name services drill-wide (the API, events, ``drill service host``): one that
    another pack's live service holds is refused."""
    keys = [s.key for s in spec.services.services] if spec.services else []
    taken = session.execute(select(Service.key, Service.pack_id).where(
        Service.key.in_(keys), Service.pack_id != spec.id, Service.removed.is_(False))).all()
    if taken:
        said = N_("service %(service)s is already a service of pack %(pack)s; choose another id")
        raise PackError([Finding("services.yml", 1, Message(said, service=short(key), pack=short(owner)))
                         for key, owner in taken], spec.warnings)


def _copy_checker(files_dir: Path, service: ServiceSpec) -> str:
    """The checker's folder, copied once per content (its digest names the copy): a later pack
    version never changes a folder a running check may be reading."""
    relative = f"{CHECKERS_DIR}/{service.check['digest']}"
    target = files_dir / relative
    if not target.exists():
        partial = target.with_name(target.name + ".part")
        shutil.rmtree(partial, ignore_errors=True)
        for path in checker_files(service.checker_folder):
            copy = partial / path.relative_to(service.checker_folder)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
        (partial / service.check["entry"]).chmod(0o755)
        partial.rename(target)
    return relative


def write(session: Session, spec: PackSpec, files_dir: Path) -> None:
    """The pack's services and team hosts as services.yml says; without the file, its services are
    marked removed (their past checks still count)."""
    existing = {s.key: s for s in session.scalars(select(Service).where(Service.key.in_(
        [s.key for s in spec.services.services] if spec.services else []) | (Service.pack_id == spec.id)))}
    listed = spec.services.services if spec.services else []
    for position, item in enumerate(listed):
        row = existing.pop(item.key, None) or Service(key=item.key)
        check = dict(item.check)
        if item.checker_folder is not None:
            check["folder"] = _copy_checker(files_dir, item)
        row.pack_id, row.title, row.translations, row.port, row.points = (spec.id, item.title, item.translations,
                                                                          item.port, item.points)
        row.check, row.objectives, row.position, row.removed = check, item.objectives, position, False
        session.add(row)
    for row in existing.values():
        row.removed = True
    session.execute(delete(ServiceHost).where(ServiceHost.pack_id == spec.id))
    for team_key, host in (spec.services.teams if spec.services else {}).items():
        session.add(ServiceHost(team_key=team_key, host=host, pack_id=spec.id))
    session.flush()
