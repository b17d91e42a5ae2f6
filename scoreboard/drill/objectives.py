"""The red team's objectives (from redteam.yml) as people read them, and which were hit.

No Flask here: the caller passes the reader's language.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoreboard.store.models import Deduction, Objective, Team


def shown(row: Objective, lang: str) -> dict[str, Any]:
    """One objective in ``lang``: what the translation gives, else the pack's own words."""
    version = (row.translations or {}).get(lang, {})
    return {"id": row.key, "title": version.get("title") or row.title,
            "category": version.get("category") or row.category, "asset": version.get("asset") or row.asset,
            "points": row.points, "removed": row.removed}


def live(session: Session, lang: str) -> list[dict[str, Any]]:
    """The objectives the red team can aim at now, in the packs' order."""
    rows = session.scalars(select(Objective).where(Objective.removed.is_(False))
                           .order_by(Objective.pack_id, Objective.position))
    return [shown(row, lang) for row in rows]


def hits(session: Session, lang: str) -> dict[str, Any]:
    """Objectives × teams: how many deductions that still count hit each objective of each team."""
    counts = session.execute(
        select(Deduction.team_id, Objective.key, func.count(Deduction.id))
        .join(Objective, Objective.id == Deduction.objective_id)
        .where(Deduction.voided_at.is_(None), Objective.removed.is_(False))
        .group_by(Deduction.team_id, Objective.key))
    table: dict[int, dict[str, int]] = {}
    for team_id, key, count in counts:
        table.setdefault(team_id, {})[key] = count
    teams = session.execute(select(Team.id, Team.name).where(Team.disabled.is_(False)).order_by(Team.name))
    return {"objectives": live(session, lang),
            "teams": [{"id": team_id, "name": name, "hits": table.get(team_id, {})} for team_id, name in teams]}


def localized(items: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """``deductions.listing`` items with their objective as ``shown`` in ``lang``."""
    for item in items:
        item["objective"] = shown(item["objective"], lang) if item["objective"] is not None else None
    return items
