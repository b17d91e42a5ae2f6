"""The JSON API under /api/v1: thin views over the domain functions.

Every error is ``{"error": "..."}`` with a 4xx status; nothing is written on an error.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_wtf.csrf import CSRFError, validate_csrf

from . import attempts, challenges, inputs, replay
from .attempts import Attempt, RateLimited
from .errors import Refused
from .models import utcnow
from .openapi import document
from .snapshot import encode
from .web import (
    actor,
    bearer_token,
    catalog,
    client_address,
    db,
    error,
    public_counts,
    services,
    solved_by,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(Refused)
def _refused(err: Refused) -> Any:
    db().rollback()
    if isinstance(err, RateLimited):
        return error(str(err), 429, **{"Retry-After": str(err.retry_after)})
    return error(str(err), err.status)


@bp.before_request
def _csrf_for_cookie_sessions() -> Any:
    """Browser sessions must send the CSRF token; bearer-token clients need not."""
    if request.method in ("GET", "HEAD", "OPTIONS") or bearer_token() is not None:
        return None
    if actor() is None:
        return error("log in or send 'Authorization: Bearer <token>'", 401)
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except CSRFError as err:
        return error(f"missing or bad CSRF token: {err.description}", 400)
    except Exception as err:  # noqa: BLE001 - wtforms raises ValidationError
        return error(f"missing or bad CSRF token: {err}", 400)
    return None


def team_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        who = actor()
        if who is None:
            return error("log in or send 'Authorization: Bearer <token>'", 401)
        if who.team_id is None and not who.is_admin:
            return error("this account belongs to no team", 403)
        return view(*args, **kwargs)

    return wrapper


def json_body() -> dict[str, Any]:
    data = inputs.json_object()
    if data is None:
        raise Refused("the body must be a JSON object such as {\"answer\": \"...\"}, nested at most "
                      f"{inputs.MAX_DEPTH} levels deep")
    return data


@bp.get("/challenges")
@team_required
def list_challenges() -> Response:
    built = services().cache.current()
    body = services().listings.body(catalog(), built.number, built.counts, solved_by(actor().team_id), utcnow(),
                                    encode)
    return Response(body, mimetype="application/json")


@bp.get("/challenges/<int:challenge_id>")
@team_required
def get_challenge(challenge_id: int) -> Any:
    team_id = actor().team_id
    return challenges.detail_for_team(db(), catalog(), solved_by(team_id), public_counts(), challenge_id, team_id,
                                      utcnow())


@bp.post("/challenges/<int:challenge_id>/attempts")
@team_required
def attempt(challenge_id: int) -> Any:
    who = actor()
    if who.team_id is None:
        raise Refused("organizers have no team to submit for", 403)
    body = json_body()
    if "answer" not in body:
        raise Refused("missing 'answer'")
    verdict = attempts.record(
        db(), catalog(), solved_by(who.team_id),
        Attempt(who.team_id, who.team_name, who.user_id, challenge_id, body["answer"], client_address(), utcnow()),
        services().limiter)
    return verdict.as_dict()


@bp.post("/hints/<int:hint_id>/unlock")
@team_required
def unlock_hint(hint_id: int) -> Any:
    who = actor()
    if who.team_id is None:
        raise Refused("organizers have no team", 403)
    session = db()
    hint = challenges.unlock_hint(session, catalog(), solved_by(who.team_id), hint_id, who.team_id, who.user_id,
                                  utcnow())
    session.commit()
    return hint


def _json(body: bytes) -> Response:
    return Response(body, mimetype="application/json", headers={"Cache-Control": "no-cache"})


@bp.get("/scoreboard")
def scoreboard() -> Response:
    return _json(services().cache.current().scoreboard())


@bp.get("/scoreboard/ctftime")
def ctftime() -> Response:
    return _json(services().cache.snapshot().ctftime())


@bp.get("/replay")
def replay_moment() -> Response:
    """The public board at a minute of the drill (``?minute=N``), kept per moment."""
    session, now = db(), utcnow()
    at = replay.moment(session, now, request.args.get("minute"))
    answers = current_app.extensions.setdefault("drillboard.replays", replay.Answers())
    return _json(answers.get(session, now, at, encode))


@bp.get("/openapi.json")
def openapi() -> Any:
    return document()


def register_error_pages(app: Any) -> None:
    """JSON errors for API paths, so clients never parse an HTML page or a traceback."""

    def handler(err: Any) -> Any:
        if request.path.startswith("/api/"):
            code = getattr(err, "code", 500) or 500
            message = {
                404: "no such endpoint", 405: "method not allowed here",
                413: "the request body is too large",
            }.get(code, getattr(err, "description", None) or "internal error")
            return error(message, code)
        return err

    for code in (400, 404, 405, 413, 500):
        app.register_error_handler(code, handler)
