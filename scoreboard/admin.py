"""The organizer console under /admin: the same domain functions as the CLI, in a browser.

Every view is thin: parse the form, call one domain function (which audits and emits), commit,
redirect with a message. A refused input changes nothing and says what to change.
"""
from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from . import challenges, clock, events, i18n, organizer, pack_text, packs, results, rosters, submissions
from .board import challenge_values, solve_counts
from .errors import N_, Refused
from .models import Announcement, AuditEntry, Award, Challenge, Pack, PackLoad, Submission, Team, User, utcnow
from .text import render_markdown
from .web import actor, catalog, db, form_number, public_counts, services

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _organizers_only() -> Any:
    who = actor()
    if who is None:
        return redirect(url_for("views.login", next=request.path))
    if not who.is_admin:
        abort(403)
    return None


def _label() -> str:
    return actor().user_name


def _user() -> User:
    return db().get(User, actor().user_id)


def _done(message: str, endpoint: str, **values: Any) -> Any:
    db().commit()
    flash(message, "ok")
    return redirect(url_for(endpoint, **values))


def _refused(err: Exception, endpoint: str, **values: Any) -> Any:
    db().rollback()
    flash(i18n.refusal(err), "error")
    return redirect(url_for(endpoint, **values))


def _form_time(name: str) -> Any:
    """A time from a form: ISO 8601 with a zone, or a zone-less datetime-local read as UTC."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return clock.parse_time(raw)
    except ValueError:
        try:
            return clock.parse_time(raw + "+00:00")
        except ValueError:
            raise Refused(N_("%(value)s is not a date and time between the years 1970 and 9000, such as "
                             "2026-11-25T09:00."), value=repr(raw)) from None


# --- dashboard and clock -------------------------------------------------------------------


@bp.get("/")
def dashboard() -> Any:
    session = db()
    stats = {
        "teams": session.scalar(select(func.count()).select_from(Team)),
        "members": session.scalar(select(func.count()).select_from(User).where(User.role == "member")),
        "challenges": session.scalar(select(func.count()).select_from(Challenge).where(Challenge.removed.is_(False))),
        "submissions": session.scalar(select(func.count()).select_from(Submission)),
        "correct": session.scalar(select(func.count()).select_from(Submission).where(Submission.verdict == "correct")),
    }
    standings = results.standings(session)[:10]
    drill = events.drill(session)
    return render_template("admin/dashboard.html", stats=stats, standings=standings, drill=drill,
                           actions=organizer.clock_actions_allowed(drill, utcnow()))


@bp.post("/clock")
def clock_set() -> Any:
    try:
        times = {key: _form_time(key) for key in ("starts_at", "ends_at", "freeze_at")}
        organizer.set_clock(db(), utcnow(), _label(), **times)
    except Refused as err:
        return _refused(err, "admin.dashboard")
    drill = events.drill(db())
    return _done(_("Clock times saved: start %(start)s, freeze %(freeze)s, end %(end)s.", start=_utc(drill.starts_at),
                   freeze=_utc(drill.freeze_at), end=_utc(drill.ends_at)), "admin.dashboard")


# --- packs ------------------------------------------------------------------------------------


def _uploads() -> Path:
    folder = services().settings.instance / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pack_source(form: dict[str, Any]) -> Path:
    """The pack to check or apply: an upload kept under a random name, or a server folder."""
    if form.get("upload_id"):
        upload_id = form["upload_id"]
        if not upload_id.isalnum():
            raise Refused(N_("Unknown upload; upload the pack again."))
        path = _uploads() / f"{upload_id}.zip"
        if not path.exists():
            raise Refused(N_("That upload has expired; upload the pack again."))
        return path
    folder = (form.get("path") or "").strip()
    if not folder:
        raise Refused(N_("Choose a .zip file to upload or give the path of a pack folder on the server."))
    return Path(folder)


@bp.get("/packs")
def pack_list() -> Any:
    session = db()
    loaded = session.scalars(select(Pack).order_by(Pack.loaded_at.desc())).all()
    history = session.scalars(select(PackLoad).order_by(PackLoad.id.desc()).limit(50)).all()
    return render_template("admin/packs.html", packs=loaded, history=history)


@bp.post("/packs/check")
def pack_check() -> Any:
    form = dict(request.form)
    upload = request.files.get("pack")
    if upload and upload.filename:
        if not upload.filename.lower().endswith(".zip"):
            flash(_("Upload a .zip of the pack folder."), "error")
            return redirect(url_for("admin.pack_list"))
        form["upload_id"] = secrets.token_hex(12)
        upload.save(_uploads() / f"{form['upload_id']}.zip")
    try:
        source = _pack_source(form)
        diff = packs.load(db(), source, services().settings.files_dir, dry_run=True,
                          max_unpacked=services().settings.max_pack_unpacked_bytes)
    except packs.PackError as err:
        db().rollback()
        return render_template("admin/pack_report.html", problems=err.problems, warnings=err.warnings, diff=None,
                               form=form), 422
    except Refused as err:
        return _refused(err, "admin.pack_list")
    finally:
        db().rollback()
    return render_template("admin/pack_report.html", problems=[], warnings=diff.warnings, diff=diff, form=form)


@bp.post("/packs/apply")
def pack_apply() -> Any:
    try:
        source = _pack_source(request.form)
        diff = packs.load(db(), source, services().settings.files_dir, actor_id=actor().user_id,
                          max_unpacked=services().settings.max_pack_unpacked_bytes)
        organizer.audit_pack(db(), _label(), diff)
    except packs.PackError as err:
        db().rollback()
        return render_template("admin/pack_report.html", problems=err.problems, warnings=err.warnings, diff=None,
                               form=request.form), 422
    except Refused as err:
        return _refused(err, "admin.pack_list")
    return _done(_("Pack %(id)s loaded: %(a)s added, %(c)s changed, %(r)s removed.", id=diff.pack_id,
                   a=len(diff.added), c=len(diff.changed), r=len(diff.removed)), "admin.pack_list")


# --- challenges and injects -------------------------------------------------------------------


@bp.get("/challenges")
def challenge_list() -> Any:
    session = db()
    drill = events.drill(session)
    timer = events.clock_of(drill)
    counts = solve_counts(session)
    values = challenge_values(session)
    rows = []
    for c in session.scalars(select(Challenge).where(Challenge.removed.is_(False))
                             .order_by(Challenge.pack_id, Challenge.category, Challenge.position)):
        opens = timer.release_time(c.release_at, c.release_after)
        rows.append({"c": c, "solves": counts.get(c.id, 0), "value": values.get(c.id, 0), "opens": opens,
                     "open": timer.shows(c, utcnow())})
    timeline = sorted((r for r in rows if r["opens"]), key=lambda r: r["opens"])
    span = None
    if drill.starts_at and drill.ends_at:
        total = (drill.ends_at - drill.starts_at).total_seconds() or 1
        span = {r["c"].id: max(0.0, min(100.0, (r["opens"] - drill.starts_at).total_seconds() / total * 100))
                for r in timeline}
    return render_template("admin/challenges.html", rows=rows, timeline=timeline, span=span, drill=drill)


@bp.post("/challenges/<int:challenge_id>/schedule")
def challenge_schedule(challenge_id: int) -> Any:
    try:
        challenge = organizer.schedule(db(), challenge_id, _form_time("release_at"), _label())
    except Refused as err:
        return _refused(err, "admin.challenge_list")
    if challenge.release_at:
        message = _("Release time saved: %(name)s opens at %(when)s.", name=challenge.name, when=_utc(challenge.release_at))
    else:
        message = _("Release time saved: %(name)s opens with the drill.", name=challenge.name)
    return _done(message, "admin.challenge_list")


@bp.get("/challenges/<int:challenge_id>")
def challenge_detail(challenge_id: int) -> Any:
    session = db()
    try:
        preview = challenges.detail_for_team(session, catalog(), {}, public_counts(), challenge_id, None, utcnow(),
                                             preview=True)
    except Refused:
        abort(404)
    challenge = session.get(Challenge, challenge_id)
    preview = pack_text.challenge_in(preview, challenge.translations, i18n.language())
    return render_template("admin/challenge.html", c=preview, challenge=challenge,
                           solution_html=render_markdown(challenge.solution) if challenge.solution else None,
                           health=submissions.challenge_health(session, challenge_id))


# --- teams ------------------------------------------------------------------------------------


@bp.get("/teams")
def team_list() -> Any:
    teams = db().scalars(select(Team).order_by(Team.name)).all()
    return render_template("admin/teams.html", teams=teams)


@bp.post("/teams")
def team_create() -> Any:
    try:
        team = organizer.create_team(db(), request.form.get("name", ""), request.form.get("country", ""), _label())
    except Refused as err:
        return _refused(err, "admin.team_list")
    return _done(_("Team %(name)s created; join code %(code)s.", name=team.name, code=team.join_code), "admin.team_list")


@bp.post("/teams/import")
def team_import() -> Any:
    upload = request.files.get("csv")
    if not upload or not upload.filename:
        flash(_("Choose a CSV file with the columns name, country and optionally members."), "error")
        return redirect(url_for("admin.team_list"))
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        flash(_("The CSV must be UTF-8 text."), "error")
        return redirect(url_for("admin.team_list"))
    try:
        created = rosters.import_teams(db(), text, _label())
    except Refused as err:
        return _refused(err, "admin.team_list")
    db().commit()
    return render_template("admin/imported.html", created=created)


# --- announcements and points -------------------------------------------------------------------


@bp.route("/announcements", methods=["GET", "POST"])
def announcements() -> Any:
    session = db()
    if request.method == "POST":
        team_id = request.form.get("team_id", "").strip()
        try:
            row = organizer.announce(session, request.form.get("title", ""), request.form.get("body", ""), utcnow(),
                                     _user(), form_number(team_id) if team_id else None)
        except Refused as err:
            return _refused(err, "admin.announcements")
        if row.team_id is None:
            message = _("Announcement sent: “%(title)s” is on the board and with every team.", title=row.title)
        else:
            message = _("Announcement sent: “%(title)s” to team %(team)s only.", title=row.title,
                        team=session.get(Team, row.team_id).name)
        return _done(message, "admin.announcements")
    rows = session.scalars(select(Announcement).order_by(Announcement.id.desc()).limit(100)).all()
    teams = {t.id: t.name for t in session.scalars(select(Team).order_by(Team.name))}
    return render_template("admin/announcements.html", rows=rows, teams=teams)


@bp.route("/awards", methods=["GET", "POST"])
def awards() -> Any:
    session = db()
    if request.method == "POST":
        try:
            row = organizer.award(session, form_number(request.form.get("team_id", "")),
                                  form_number(request.form.get("value", "")), request.form.get("reason", ""),
                                  utcnow(), _user(), request.form.get("category") or None)
        except Refused as err:
            return _refused(err, "admin.awards")
        signed = format(row.value, "+d")
        return _done(_("Points recorded: %(value)s for %(team)s (%(reason)s).", value=signed,
                       team=session.get(Team, row.team_id).name, reason=row.reason), "admin.awards")
    rows = session.execute(select(Award, Team.name).join(Team, Team.id == Award.team_id)
                           .order_by(Award.id.desc()).limit(200)).all()
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    return render_template("admin/awards.html", rows=rows, teams=teams)


# --- submissions and results ---------------------------------------------------------------------


def _query() -> submissions.Query:
    args = request.args
    number = lambda key: int(args[key]) if args.get(key, "").isdigit() else None  # noqa: E731
    return submissions.Query(team_id=number("team"), challenge_id=number("challenge"),
                             verdict=args.get("verdict") or None, text=args.get("q") or None,
                             page=number("page") or 1)


@bp.get("/submissions")
def submission_log() -> Any:
    session = db()
    query = _query()
    rows, total = submissions.search(session, query)
    return render_template(
        "admin/submissions.html", rows=rows, total=total, query=query, per_page=submissions.PER_PAGE,
        teams=session.scalars(select(Team).order_by(Team.name)).all(),
        challenges=session.scalars(select(Challenge).order_by(Challenge.name)).all(),
        verdicts=submissions.VERDICTS)


@bp.get("/submissions.csv")
def submission_csv() -> Response:
    return Response(submissions.export_csv(db(), _query()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=submissions.csv"})


@bp.get("/results")
def results_page() -> Any:
    session = db()
    rows = results.standings(session)
    return render_template("admin/results.html", rows=rows, generated=utcnow(), drill=events.drill(session),
                           weights=results.weights(session))


@bp.get("/results.<fmt>")
def results_download(fmt: str) -> Response:
    if fmt not in ("json", "csv", "ctftime"):
        abort(404)
    body = results.export(db(), fmt)
    name = "results-ctftime.json" if fmt == "ctftime" else f"results.{fmt}"
    return Response(body, mimetype="text/csv" if fmt == "csv" else "application/json",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/teams/<int:team_id>/report.json")
def team_report(team_id: int) -> Response:
    if db().get(Team, team_id) is None:
        abort(404)
    body = json.dumps(results.team_report(db(), team_id), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=team-{team_id}.json"})


@bp.get("/audit")
def audit_log() -> Any:
    rows = db().scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)).all()
    return render_template("admin/audit.html", rows=rows)


@bp.app_template_filter("utc")
def _utc(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "–"


@bp.app_template_filter("local_input")
def _local_input(value: Any) -> str:
    """A stored time as the value of a datetime-local input (UTC)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M") if value else ""


# The confirmable actions and the exercise-control pages live in their own modules; registered
# here so the check above applies.
from . import admin_control, admin_deductions, admin_reports, admin_reveal, admin_staff  # noqa: E402 - they use the helpers above

for _module in (admin_control, admin_deductions, admin_reports, admin_reveal, admin_staff):
    bp.register_blueprint(_module.bp)
