"""The organizers' after-action reports: the whole drill's, and any team's as its members see it
but ranked on the true standings (organizers see through the freeze). Registered under /console
by ``pages.py``, so its organizers-only check applies."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template

from scoreboard.board import after_action, standings
from scoreboard.store.db import find
from scoreboard.store.models import Team, utcnow
from scoreboard.web import after_action as view
from scoreboard.web import service_views
from scoreboard.web.context import db

bp = Blueprint("after_action", __name__)


@bp.get("/after-action")
def drill() -> Any:
    board = standings.charted(db()).standings
    return render_template("console/after_action.html", **view.drill_view(after_action.drill_record(db(), board, utcnow())),
                           **service_views.after_action(None, utcnow()))


@bp.get("/teams/<int:team_id>/after-action")
def team(team_id: int) -> Any:
    if find(db(), Team, team_id) is None:
        abort(404)
    board = standings.charted(db()).standings
    record = after_action.team_record(db(), team_id, board)
    return render_template("after_action.html", frozen=False, console=True,
                           **view.team_view(record, len(board), utcnow()), **service_views.after_action(team_id, utcnow()))
