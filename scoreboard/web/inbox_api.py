"""The inbox and clarifications in the JSON API, under /api/v1 with the API's rules (``serve_json``:
CSRF for browser sessions, every refusal as ``{"error"}``).

``GET /inbox`` and ``POST /clarifications`` are a team's; answering is exercise control's
(organizers and the white cell). A team reads its own questions and every published answer,
never which team asked one.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from scoreboard.core.errors import N_, Forbidden, Refused
from scoreboard.drill import clarifications, inbox
from scoreboard.drill.accounts import Actor
from scoreboard.store.models import utcnow
from scoreboard.web.api import json_body, serve_json
from scoreboard.web.context import actor, catalog, db, solved_by
from scoreboard.web.inbox import challenge_name, messages

bp = serve_json(Blueprint("inbox_api", __name__, url_prefix="/api/v1"))


def _caller() -> Actor:
    who = actor()
    if who is None:
        raise Refused(N_("log in or send 'Authorization: Bearer <token>'"), 401)
    return who


def _team() -> int:
    team_id = _caller().team_id
    if team_id is None:
        raise Forbidden(N_("this account belongs to no team"))
    return team_id


@bp.get("/inbox")
def read_inbox() -> Any:
    return {"messages": messages(_team())}


@bp.post("/inbox/read")
def mark_read() -> Any:
    """Mark messages read: ``{"ids": [...]}``, or every message with no ``ids`` (an empty body)."""
    team_id = _team()
    body = json_body() if request.get_data() else {}
    marked = inbox.mark_read(db(), team_id, body.get("ids"), utcnow())
    db().commit()
    return {"marked": marked, "unread": inbox.unread_count(db(), team_id)}


@bp.post("/clarifications")
def ask() -> Any:
    who = _caller()
    body = json_body()
    row = clarifications.ask(db(), catalog(), solved_by(who.team_id), who, body.get("question"),
                             body.get("challenge_id"), utcnow())
    db().commit()
    return {"id": row.id}, 201


@bp.get("/clarifications")
def list_clarifications() -> Any:
    """Exercise control: every question with its team. A team: its own and the published ones."""
    who = _caller()
    if clarifications.may_answer(who):
        rows = [{**clarifications.as_dict(row, team), "challenge": challenge_name(row.challenge_id, None)}
                for row, team in clarifications.queue(db())]
        return {"clarifications": rows}
    team_id = _team()
    rows = []
    for row in clarifications.for_team(db(), team_id):
        name = challenge_name(row.challenge_id, team_id)  # None: a challenge this team cannot see yet
        rows.append({**clarifications.as_dict(row), "challenge_id": row.challenge_id if name else None,
                     "challenge": name, "own": row.team_id == team_id})
    return {"clarifications": rows}


@bp.post("/clarifications/<int:clarification_id>/answer")
def answer(clarification_id: int) -> Any:
    who = _caller()
    body = json_body()
    row = clarifications.answer(db(), clarification_id, body.get("answer"), body.get("publish", False), utcnow(),
                                who)
    db().commit()
    return {"id": row.id, "published": row.published}
