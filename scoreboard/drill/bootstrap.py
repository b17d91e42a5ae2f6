"""First run: an empty database gets a pack (the demo unless told otherwise), the sample teams
and an organizer."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from scoreboard import packs
from scoreboard.drill import accounts, organizer
from scoreboard.packs import range_launcher
from scoreboard.store.config import Settings
from scoreboard.store.db import Database
from scoreboard.store.models import Pack, Team

ROOT = Path(__file__).resolve().parents[2]
DEMO_PACK = ROOT / "challenges" / "drill-demo"
SAMPLE_TEAMS = ROOT / "challenges" / "sample-teams.csv"


def seed(database: Database, settings: Settings, pack: Path = DEMO_PACK) -> dict[str, Any] | None:
    """Load ``pack`` (the demo drill by default) into an empty database; returns what was
    created, or None when the database already holds a drill."""
    with database.session() as session:
        if session.scalar(select(func.count()).select_from(Pack)) or session.scalar(select(func.count()).select_from(Team)):
            return None
        diff = packs.load(session, pack, settings.files_dir)
        organizer.audit_pack(session, "bootstrap", diff)
        teams = []
        with SAMPLE_TEAMS.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                team = organizer.create_team(session, row["name"], row["country"], "bootstrap")
                teams.append({"name": team.name, "country": team.country, "join_code": team.join_code})
        admin, password, token = accounts.create_admin(session, "admin")
        created = {"admin": {"name": admin.name, "password": password, "token": token}, "teams": teams,
                   "challenges": len(diff.added)}
        # Written before the commit: if anything fails from here, the next start seeds (and writes) again;
        # once the rows exist, the password and join codes are already on disk.
        path = settings.instance / "first-run.json"
        path.write_text(json.dumps(created, indent=1, ensure_ascii=False))
        path.chmod(0o600)
    return created


def pack_range(database: Database, pack: Path = DEMO_PACK) -> Path | None:
    """The range script (pack.yml ``range``) of a shipped pack when this drill has that pack
    loaded: its teams' services are then worth serving; another drill's are not its to start."""
    declared = range_launcher.script_of(pack)
    if declared is None:
        return None
    with database.session() as session:
        return declared[1] if session.get(Pack, declared[0]) is not None else None
