"""A drill's packs back out as ctfcli repositories (``drill export-pack DIR``), so no organizer's
challenge bank is locked in.

Each pack becomes a folder that ``load-pack`` loads back unchanged: ``CATEGORY/NAME/challenge.yml``
per challenge in ctfcli's field names (with ctfcli's required ``author``, ``attribution`` and
``description`` always written), its attachments beside it under ``dist/`` and its solution under
``writeup/``; Drillboard's own challenge fields (translations, phase, release times, report tasks'
rubric) stay in challenge.yml, which ctfcli keeps and ignores; ``pack.yml`` holds what ctfcli has
no file for (the pack's title, texts, phases, clock and marking settings), ``redteam.yml`` the
red team's objectives and ``services.yml`` the defended services (``export_services``).
"""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.packs.discovery import DEFAULT_NAMES
from scoreboard.packs.export_services import SERVICE_SETTINGS, services_data
from scoreboard.packs.folder import slug
from scoreboard.store.models import Challenge, Objective, Pack, Phase

# Pack.settings keys (Drill columns) under the pack.yml word that sets them; the red team's go to redteam.yml.
PACK_WORDS = {"home_timezone": "timezone", "grade_release": "release_grades"}
DETECTION = {"detection_window_minutes": "window_minutes", "detection_refund_percent": "refund_percent"}


def _iso(moment: datetime | None) -> str | None:
    """A stored time (UTC, naive on SQLite) as ISO 8601 with its zone, as pack files must give it."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()


def _folder_name(text: str, taken: set[str]) -> str:
    """A folder name for ``text`` (a pack id's alphabet), unique among ``taken``."""
    base = slug(text)[:60]
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper with its own table: ctfcli, once imported, replaces the shared safe
    representer of text with one that strips trailing spaces and newlines, which would change
    the text an export must keep exactly."""


_Dumper.add_representer(str, yaml.representer.SafeRepresenter.represent_str)


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump({k: v for k, v in data.items() if v is not None}, Dumper=_Dumper, allow_unicode=True,
                              sort_keys=False, width=100), encoding="utf-8")


def _flag(answer: Any) -> dict[str, Any]:
    options = answer.options or {}
    flag: dict[str, Any] = {"type": answer.type, "content": answer.content}
    if options.get("case_insensitive"):
        flag["data"] = "case_insensitive"
    if "tolerance" in options:
        flag["tolerance"] = options["tolerance"]
    return flag


def _hint(hint: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"content": hint.content, "cost": hint.cost}
    if hint.title is not None:
        found["title"] = hint.title
    if hint.key is not None:
        found["key"] = hint.key
    if hint.requirements:
        found["requirements"] = list(hint.requirements)
    return found


def _scoring(challenge: Challenge) -> dict[str, Any]:
    """ctfcli's ``type``, ``value`` and ``extra`` (a dynamic challenge's curve)."""
    if challenge.kind == "report":
        return {"value": challenge.value, "type": "report"}
    if challenge.scoring == "dynamic":
        return {"value": challenge.initial, "type": "dynamic",
                "extra": {"initial": challenge.initial, "decay": challenge.decay or 0,
                          "minimum": challenge.minimum or 0, "function": challenge.function}}
    return {"value": challenge.value, "type": "standard"}


def _report_fields(challenge: Challenge) -> dict[str, Any]:
    if challenge.kind != "report":
        return {}
    return {"rubric": list(challenge.rubric or []), "deadline": _iso(challenge.deadline_at),
            "deadline_after": challenge.deadline_after, "late": challenge.late, "guide": challenge.guide or None}


def challenge_data(challenge: Challenge, files: list[str], solution: str | None) -> dict[str, Any]:
    """One challenge as challenge.yml: ctfcli's fields in ctfcli's order, then Drillboard's."""
    requirements: Any = list(challenge.requirements)
    if challenge.anonymize:
        requirements = {"prerequisites": requirements, "anonymize": True}
    hints = [h for h in challenge.hints if not h.removed]
    return {
        "id": challenge.key, "name": challenge.name, "author": challenge.author, "category": challenge.category,
        "description": challenge.description, "attribution": challenge.attribution or "",
        **_scoring(challenge), "connection_info": challenge.connection_info, "solution": solution,
        "attempts": challenge.max_attempts or None, "logic": None if challenge.logic == "any" else challenge.logic,
        "flags": [_flag(a) for a in challenge.answers] or None, "files": files or None,
        "topics": list(challenge.topics) or None, "tags": list(challenge.tags) or None,
        "hints": [_hint(h) for h in hints] or None, "requirements": requirements or None,
        "state": challenge.state, "version": challenge.version,
        "release_at": _iso(challenge.release_at), "release_after": challenge.release_after,
        "phase": challenge.phase, "translations": dict(challenge.translations) or None,
        **_report_fields(challenge),
    }


def _write_challenge(folder: Path, challenge: Challenge, files_dir: Path) -> None:
    files = []
    for row in challenge.files:
        target = folder / "dist" / row.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(files_dir / row.stored_path, target)
        files.append(f"dist/{row.name}")
    solution = None
    if challenge.solution:
        (folder / "writeup").mkdir(parents=True, exist_ok=True)
        (folder / "writeup" / "WRITEUP.md").write_text(challenge.solution, encoding="utf-8")
        solution = "writeup/WRITEUP.md"
    _dump(folder / DEFAULT_NAMES[0], challenge_data(challenge, files, solution))


def _phase(phase: Phase) -> dict[str, Any]:
    return {"id": phase.id, "title": phase.title, "description": phase.description or None,
            "opens_at": _iso(phase.opens_at), "opens_after": phase.opens_after,
            "translations": dict(phase.translations) or None}


def pack_data(session: Session, pack: Pack) -> dict[str, Any]:
    """pack.yml: the pack's own fields, its phases, and the clock and marking settings it set."""
    settings = {PACK_WORDS.get(key, key): value for key, value in pack.settings.items()
                if key not in DETECTION and key not in SERVICE_SETTINGS}
    phases = session.scalars(select(Phase).where(Phase.pack_id == pack.id).order_by(Phase.position)).all()
    return {"id": pack.id, "title": pack.title, "description": pack.description or None,
            "briefing": pack.briefing or None, **settings, "phases": [_phase(p) for p in phases] or None,
            "translations": dict(pack.translations) or None}


def _redteam(session: Session, pack: Pack) -> dict[str, Any] | None:
    objectives = session.scalars(select(Objective).where(Objective.pack_id == pack.id, Objective.removed.is_(False))
                                 .order_by(Objective.position)).all()
    if not objectives and not any(key in pack.settings for key in DETECTION):
        return None
    return {"objectives": [{"id": o.key, "title": o.title, "category": o.category, "points": o.points,
                            "asset": o.asset or None, "translations": dict(o.translations) or None}
                           for o in objectives],
            "detection": {word: pack.settings[key] for key, word in DETECTION.items() if key in pack.settings} or None}


def export_pack(session: Session, pack: Pack, target: Path, files_dir: Path) -> int:
    """Write ``pack`` as a ctfcli repository in ``target``; returns how many challenges it holds."""
    challenges = session.scalars(select(Challenge).where(Challenge.pack_id == pack.id, Challenge.removed.is_(False))
                                 .order_by(Challenge.position, Challenge.id)).all()
    taken: dict[str, set[str]] = {}
    categories: set[str] = set()
    folders: dict[str, str] = {}
    for challenge in challenges:
        if challenge.category not in folders:
            folders[challenge.category] = _folder_name(challenge.category, categories)
        category = folders[challenge.category]
        name = _folder_name(challenge.name, taken.setdefault(category, set()))
        _write_challenge(target / category / name, challenge, files_dir)
    _dump(target / "pack.yml", pack_data(session, pack))
    redteam = _redteam(session, pack)
    if redteam is not None:
        _dump(target / "redteam.yml", redteam)
    services = services_data(session, pack, target, files_dir)
    if services is not None:
        _dump(target / "services.yml", services)
    return len(challenges)


def export_all(session: Session, target: Path, files_dir: Path, pack_id: str | None = None) -> dict[str, int]:
    """Every pack (or ``pack_id``'s) into ``target``: one pack is the folder itself, several are a
    folder each, by id. Returns each pack's id and challenge count; raises LookupError for an unknown id."""
    query = select(Pack).order_by(Pack.loaded_at)
    if pack_id is not None:
        query = query.where(Pack.id == pack_id)
    found = session.scalars(query).all()
    if not found:
        raise LookupError(pack_id or "")
    alone = len(found) == 1
    return {pack.id: export_pack(session, pack, target if alone else target / pack.id, files_dir) for pack in found}
