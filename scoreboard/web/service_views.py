"""Defended services on the pages people read: the board's grid (the API's cached answer, so an
anonymous reader costs no query), service titles in the viewer's language, and what the team page,
the replay and the after-action pages add. The console's Services page is ``console/services.py``.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from scoreboard.board import service_history
from scoreboard.board.services import any_service, live_services
from scoreboard.web import i18n
from scoreboard.web.context import db
from scoreboard.web.services_api import current_grid


def titles(services: list[dict[str, Any]]) -> dict[str, str]:
    """Service id -> its title in the viewer's language (services.yml ``translations``)."""
    lang = i18n.language()
    return {s["id"]: ((s.get("translations") or {}).get(lang) or {}).get("title") or s["title"] for s in services}


def all_titles() -> dict[str, str]:
    return titles([{"id": s.key, "title": s.title, "translations": s.translations} for s in live_services(db())])


def board(standings: list[dict[str, Any]]) -> dict[str, Any]:
    """What /board adds when the drill defends services: the grid, each team's SLA over all its
    services (from the standings, as the board's rows carry it) and the titles; nothing otherwise."""
    grid = json.loads(current_grid())
    if not grid["services"]:
        return {"services_grid": None, "service_names": {}}
    return {"services_grid": grid, "service_names": titles(grid["services"]),
            "team_slas": {row["team_id"]: row.get("sla", 1.0) for row in standings}}


def team(team_id: int) -> dict[str, Any]:
    """The team page's part: its own services' last checks (with the public message only)."""
    if not any_service(db()):
        return {"checks": []}
    return {"checks": service_history.last_checks(db(), team_id)}


def after_action(team_id: int | None, now: datetime) -> dict[str, Any]:
    """The after-action pages' part: SLA per team and service and the outages (one team's, or all)."""
    if not any_service(db()):
        return {"services": None}
    return {"services": {"sla": service_history.sla_table(db(), None, team_id),
                         "outages": service_history.outages(db(), team_id), "now": now},
            "service_names": all_titles()}
