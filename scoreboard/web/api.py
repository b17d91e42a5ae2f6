"""The JSON API under /api/v1: thin views over the domain functions.

Every error is ``{"error": "..."}`` with a 4xx status; nothing is written on an error.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf

from scoreboard.board import replay
from scoreboard.board.snapshot import encode
from scoreboard.core.errors import N_, Refused
from scoreboard.drill import appeals, attempts, challenges, deductions, detections, judging, objectives, phases, reports
from scoreboard.drill.attempts import Attempt
from scoreboard.store.models import utcnow
from scoreboard.web import inputs, refusals
from scoreboard.web.context import (
    actor,
    bearer_token,
    catalog,
    client_address,
    db,
    error,
    public_counts,
    received_files,
    services,
    solved_by,
)
from scoreboard.web.i18n import language
from scoreboard.web.openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _csrf_for_cookie_sessions() -> Any:
    """Browser sessions must send the CSRF token; bearer-token clients need not."""
    if request.method in ("GET", "HEAD", "OPTIONS") or bearer_token() is not None:
        return None
    if actor() is None:
        return error(_("log in or send 'Authorization: Bearer <token>'"), 401)
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except CSRFError as err:
        return error(_("missing or bad CSRF token: %(why)s", why=err.description), 400)
    except Exception as err:  # noqa: BLE001 - wtforms raises ValidationError
        return error(_("missing or bad CSRF token: %(why)s", why=err), 400)
    return None


def serve_json(blueprint: Blueprint) -> Blueprint:
    """The API's rules on a blueprint of API routes: CSRF for browser sessions, refusals as JSON."""
    blueprint.before_request(_csrf_for_cookie_sessions)
    blueprint.register_error_handler(Refused, refusals.as_json)
    return blueprint


serve_json(bp)


def team_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        who = actor()
        if who is None:
            return error(_("log in or send 'Authorization: Bearer <token>'"), 401)
        if who.team_id is None and not who.is_organizer:
            return error(_("this account belongs to no team"), 403)
        return view(*args, **kwargs)

    return wrapper


def judge_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Judges and organizers only; teams get 403, anonymous callers 401."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        who = actor()
        if who is None:
            return error(_("log in or send 'Authorization: Bearer <token>'"), 401)
        if not judging.may_judge(who):
            return error(_("only judges and organizers can grade reports"), 403)
        return view(*args, **kwargs)

    return wrapper


def json_body() -> dict[str, Any]:
    data = inputs.json_object()
    if data is None:
        raise Refused(N_("the body must be a JSON object such as {\"answer\": \"...\"}, nested at most "
                         "%(depth)s levels deep"), depth=inputs.MAX_DEPTH)
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
    data = challenges.detail_for_team(db(), catalog(), solved_by(team_id), public_counts(), challenge_id, team_id,
                                      utcnow())
    if data["kind"] == "report":
        data["report"] = reports.status(db(), team_id, challenge_id) if team_id else None
    return data


@bp.post("/challenges/<int:challenge_id>/reports")
@team_required
def file_report(challenge_id: int) -> Any:
    """A new version of the team's report: JSON ``{"text"}``, or multipart with ``text`` and ``files``."""
    who = actor()
    if who.team_id is None:
        raise Refused(N_("organizers have no team to file for"), 403)
    settings, now = services().settings, utcnow()
    if request.mimetype == "multipart/form-data":
        text = request.form.get("text")
        files = received_files("files", settings.max_report_file_bytes)
    else:
        text, files = json_body().get("text"), []
    row = reports.submit(db(), catalog(), solved_by(who.team_id),
                         reports.Filing(who.team_id, who.user_id, who.label, challenge_id, now), text, files,
                         settings.files_dir, settings.max_report_file_bytes)
    db().commit()
    return {"id": row.id, "version": row.version, "status": "submitted"}, 201


@bp.get("/judging/reports")
@judge_required
def judging_queue() -> Any:
    return {"reports": judging.queue(db(), actor(), language())}


@bp.get("/judging/marks")
@judge_required
def judging_marks() -> Any:
    """The caller's own marks; ``amendable`` ones may be replaced by POSTing to the report again."""
    return {"marks": judging.my_marks(db(), actor())}


@bp.post("/judging/reports/<int:report_id>")
@judge_required
def judging_mark(report_id: int) -> Any:
    body = json_body()
    row = judging.mark(db(), actor(), report_id, body.get("scores"), body.get("comment"), body.get("comments"),
                       now=utcnow())
    db().commit()
    return {"id": row.id, "report_id": report_id, "scores": row.scores, "amended": row.amended_at is not None}


@bp.post("/challenges/<int:challenge_id>/attempts")
@team_required
def attempt(challenge_id: int) -> Any:
    who = actor()
    if who.team_id is None:
        raise Refused(N_("organizers have no team to submit for"), 403)
    body = json_body()
    if "answer" not in body:
        raise Refused(N_("missing 'answer'"))
    verdict = attempts.record(
        db(), catalog(), solved_by(who.team_id),
        Attempt(who.team_id, who.team_name, who.user_id, challenge_id, body["answer"], client_address(), utcnow()),
        services().limiter)
    # Most verdicts carry no sentence: the caller's catalog is looked up only for one that does.
    return verdict.as_dict(get_translations() if verdict.message else None)


@bp.post("/hints/<int:hint_id>/unlock")
@team_required
def unlock_hint(hint_id: int) -> Any:
    who = actor()
    if who.team_id is None:
        raise Refused(N_("organizers have no team"), 403)
    session = db()
    hint = challenges.unlock_hint(session, catalog(), solved_by(who.team_id), hint_id, who.team_id, who.user_id,
                                  utcnow())
    session.commit()
    return hint


@bp.post("/deductions")
def record_deduction() -> Any:
    """The red team (or an organizer) takes points from a team for a successful attack."""
    who = actor()
    if who is None:
        return error(_("log in or send 'Authorization: Bearer <token>'"), 401)
    deductions.ensure_recorder(who)
    body = json_body()
    session = db()
    row = deductions.record(session, body.get("team_id"), body.get("points"), body.get("reason"),
                            body.get("evidence"), utcnow(), who, objective=body.get("objective"),
                            service=body.get("service"))
    session.commit()
    return {"id": row.id}, 201


@bp.get("/objectives")
def list_objectives() -> Any:
    """redteam.yml's objectives, for the red team's scripts (and organizers)."""
    who = actor()
    if who is None:
        return error(_("log in or send 'Authorization: Bearer <token>'"), 401)
    deductions.ensure_recorder(who)
    return {"objectives": objectives.live(db(), language())}


@bp.post("/deductions/<int:deduction_id>/detection")
@team_required
def file_detection(deduction_id: int) -> Any:
    """The team reports what it detected of the attack behind one of its deductions."""
    row = detections.file(db(), actor(), deduction_id, json_body().get("text"), utcnow())
    db().commit()
    return {"id": row.id, "status": row.status}, 201


@bp.post("/deductions/<int:deduction_id>/appeal")
@team_required
def file_appeal(deduction_id: int) -> Any:
    row = appeals.file(db(), actor(), deduction_id, json_body().get("text"), utcnow())
    db().commit()
    return {"id": row.id, "status": row.status}, 201


@bp.get("/judging/detections")
@judge_required
def detection_queue() -> Any:
    items = detections.queue(db(), actor(), language())
    for item in items:
        item["filed_at"], item["attack_at"] = item["filed_at"].isoformat(), item["attack_at"].isoformat()
    return {"detections": items}


@bp.post("/judging/detections/<int:detection_id>")
@judge_required
def decide_detection(detection_id: int) -> Any:
    body = json_body()
    row = detections.decide(db(), actor(), detection_id, body.get("accept"), body.get("comment"), utcnow())
    db().commit()
    return {"id": row.id, "status": row.status}


@bp.post("/appeals/<int:appeal_id>")
def decide_appeal(appeal_id: int) -> Any:
    """An organizer upholds a deduction (``{"void": false, "reason"}``) or voids it (``true``)."""
    if actor() is None:
        return error(_("log in or send 'Authorization: Bearer <token>'"), 401)
    body = json_body()
    row = appeals.decide(db(), actor(), appeal_id, body.get("void"), body.get("reason"), utcnow())
    db().commit()
    return {"id": row.id, "status": row.status}


def _json(body: bytes) -> Response:
    return Response(body, mimetype="application/json", headers={"Cache-Control": "no-cache"})


@bp.get("/phases")
def phase_list() -> Any:
    """The exercise's phases in order, waiting or open (any signed-in caller: teams and staff)."""
    if actor() is None:
        return error(_("log in or send 'Authorization: Bearer <token>'"), 401)
    return {"phases": [{k: v for k, v in phases.describe(p, language()).items() if k != "description_html"}
                       for p in phases.ordered(db())]}


@bp.get("/briefing")
@team_required
def briefing() -> Any:
    """The exercise's briefing in the caller's language (sanitised HTML)."""
    return phases.briefing(db(), language())


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

