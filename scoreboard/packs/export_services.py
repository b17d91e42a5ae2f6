"""A pack's defended services back out as its ``services.yml`` (for ``drill export-pack``).

The services, their checks and each team's host as the pack gave them (an organizer's overrides
are the drill's, not the pack's, and stay behind); a checker's folder is copied from where the
drill keeps it (by digest) to ``checkers/<service id>/``, which the exported file names.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.store.models import Pack, Service, ServiceHost, Team

# Pack.settings keys services.yml sets: they go back to services.yml, not pack.yml.
SERVICE_SETTINGS = ("round_seconds",)
# The stored check's own bookkeeping (where the drill keeps the checker), not services.yml words.
STORED_ONLY = ("folder", "entry", "digest")


def _check(service: Service, target: Path, files_dir: Path) -> dict[str, Any]:
    check = {key: value for key, value in service.check.items() if key not in STORED_ONLY}
    if service.check.get("kind") == "checker":
        folder = Path("checkers") / service.key
        shutil.copytree(files_dir / service.check["folder"], target / folder)
        check["path"] = (folder / service.check["entry"]).as_posix()
    return check


def services_data(session: Session, pack: Pack, target: Path, files_dir: Path) -> dict[str, Any] | None:
    """services.yml's mapping for ``pack`` (checkers copied under ``target``), or None without services."""
    services = session.scalars(select(Service).where(Service.pack_id == pack.id, Service.removed.is_(False))
                               .order_by(Service.position)).all()
    if not services:
        return None
    names = {team.name_key: team.name for team in session.scalars(select(Team))}
    hosts = session.scalars(select(ServiceHost).where(ServiceHost.pack_id == pack.id).order_by(ServiceHost.id)).all()
    return {"round_seconds": pack.settings.get("round_seconds"),
            "services": [{"id": s.key, "title": s.title, "port": s.port or None, "points": s.points,
                          "objectives": list(s.objectives) or None, "check": _check(s, target, files_dir),
                          "translations": dict(s.translations) or None} for s in services],
            "teams": {names.get(h.team_key, h.team_key): h.host for h in hosts} or None}
