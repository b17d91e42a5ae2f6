"""The organizer console under /console: the same domain functions as the CLI, in a browser.

Every view is thin: parse the form, call one domain function (which audits and emits), commit,
redirect with a message. A refused input changes nothing and says what to change.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from scoreboard import packs
from scoreboard.board import results
from scoreboard.board.ledger import challenge_values, solve_counts
from scoreboard.core.errors import N_, Refused
from scoreboard.core.text import render_markdown
from scoreboard.drill import announcements as announcements_of
from scoreboard.drill import challenges, organizer, rosters, submissions
from scoreboard.packs import translations
from scoreboard.store import events
from scoreboard.store.models import (
    Announcement,
    AuditEntry,
    Award,
    Challenge,
    Pack,
    PackLoad,
    Submission,
    Team,
    User,
    utcnow,
)
from scoreboard.web import i18n, refusals
from scoreboard.web.console.common import acting_user, actor_label, bp, done, drill_time, form_time
from scoreboard.web.context import actor, catalog, db, form_number, public_counts, services

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
    standings = results.final_standings(session)[:10]
    drill = events.drill(session)
    return render_template("console/dashboard.html", stats=stats, standings=standings, drill=drill,
                           actions=organizer.clock_actions_allowed(drill, utcnow()))


@bp.post("/clock")
def clock_set() -> Any:
    refusals.back_to("console.dashboard")
    times = {key: form_time(key) for key in ("starts_at", "ends_at", "freeze_at")}
    organizer.set_clock(db(), utcnow(), actor_label(), **times)
    drill = events.drill(db())
    message = _("Clock times saved: start %(start)s, freeze %(freeze)s, end %(end)s.", start=drill_time(drill.starts_at),
                freeze=drill_time(drill.freeze_at), end=drill_time(drill.ends_at))
    if organizer.ends_in_the_past(times, utcnow()):
        message += " " + _("The end is not in the future: the drill has ended now and every answer is refused.")
    return done(message, "console.dashboard")


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


def _load_options(form: Any) -> dict[str, Any]:
    """The upload form's choices, as ``drill load-pack``'s options: --pack, --file-name, --merge, --yes."""
    return {"pack_id": (form.get("pack_id") or "").strip() or None,
            "file_name": (form.get("file_name") or "").strip() or None,
            "merge": form.get("merge") == "1", "confirmed": form.get("yes") == "1"}


@bp.get("/packs")
def pack_list() -> Any:
    session = db()
    loaded = session.scalars(select(Pack).order_by(Pack.loaded_at.desc())).all()
    history = session.scalars(select(PackLoad).order_by(PackLoad.id.desc()).limit(50)).all()
    return render_template("console/packs.html", packs=loaded, history=history)


@bp.post("/packs/check")
def pack_check() -> Any:
    refusals.back_to("console.pack_list")
    form = dict(request.form)
    upload = request.files.get("pack")
    if upload and upload.filename:
        if not upload.filename.lower().endswith(".zip"):
            raise Refused(N_("Upload a .zip of the pack folder."))
        form["upload_id"] = secrets.token_hex(12)
        upload.save(_uploads() / f"{form['upload_id']}.zip")
    try:
        diff = packs.load(db(), _pack_source(form), services().settings.files_dir, dry_run=True,
                          max_unpacked=services().settings.max_pack_unpacked_bytes, **_load_options(form))
    except packs.PackError as err:
        return _findings(err, form)
    finally:
        db().rollback()  # a check writes nothing, whatever it finds
    return render_template("console/pack_check.html", problems=[], warnings=diff.warnings, diff=diff, form=form)


@bp.post("/packs/apply")
def pack_apply() -> Any:
    refusals.back_to("console.pack_list")
    try:
        diff = packs.load(db(), _pack_source(request.form), services().settings.files_dir, actor_id=actor().user_id,
                          max_unpacked=services().settings.max_pack_unpacked_bytes, **_load_options(request.form))
    except packs.Unconfirmed as err:
        db().rollback()  # solves at stake and no confirmation: the check page again, with its question
        return render_template("console/pack_check.html", problems=[], warnings=err.diff.warnings, diff=err.diff,
                               form=request.form), 409
    except packs.PackError as err:
        return _findings(err, request.form)
    organizer.audit_pack(db(), actor_label(), diff)
    return done(_("Pack %(id)s loaded: %(a)s added, %(c)s changed, %(r)s removed.", id=diff.pack_id,
                   a=len(diff.added), c=len(diff.changed), r=len(diff.removed)), "console.pack_list")


def _findings(err: packs.PackError, form: Any) -> Any:
    """A pack that cannot load is no refusal: its answer is the page of everything the check found."""
    db().rollback()
    return render_template("console/pack_check.html", problems=err.problems, warnings=err.warnings, diff=None,
                           form=form, count=err.count), 422


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
    return render_template("console/challenges.html", rows=rows, timeline=timeline, span=span, drill=drill)


@bp.post("/challenges/<int:challenge_id>/schedule")
def challenge_schedule(challenge_id: int) -> Any:
    refusals.back_to("console.challenge_list")
    challenge = organizer.schedule(db(), challenge_id, form_time("release_at"), actor_label())
    if challenge.release_at:
        message = _("Release time saved: %(name)s opens at %(when)s.", name=challenge.name, when=drill_time(challenge.release_at))
    else:
        message = _("Release time saved: %(name)s opens with the drill.", name=challenge.name)
    return done(message, "console.challenge_list")


@bp.get("/challenges/<int:challenge_id>")
def challenge_detail(challenge_id: int) -> Any:
    session = db()
    try:
        preview = challenges.detail_for_team(session, catalog(), {}, public_counts(), challenge_id, None, utcnow(),
                                             preview=True)
    except Refused:
        abort(404)
    challenge = session.get(Challenge, challenge_id)
    preview = translations.challenge_in(preview, challenge.translations, i18n.language())
    return render_template("console/challenge.html", c=preview, challenge=challenge,
                           solution_html=render_markdown(challenge.solution) if challenge.solution else None,
                           health=submissions.challenge_health(session, challenge_id))


# --- teams ------------------------------------------------------------------------------------


@bp.get("/teams")
def team_list() -> Any:
    teams = db().scalars(select(Team).order_by(Team.name)).all()
    return render_template("console/teams.html", teams=teams)


@bp.post("/teams")
def team_create() -> Any:
    refusals.back_to("console.team_list")
    team = organizer.create_team(db(), request.form.get("name", ""), request.form.get("country", ""), actor_label())
    return done(_("Team %(name)s created; join code %(code)s.", name=team.name, code=team.join_code), "console.team_list")


@bp.post("/teams/import")
def team_import() -> Any:
    refusals.back_to("console.team_list")
    upload = request.files.get("csv")
    if not upload or not upload.filename:
        raise Refused(N_("Choose a CSV file with the columns name, country and optionally members."))
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(N_("The CSV must be UTF-8 text.")) from None
    created = rosters.import_teams(db(), text, actor_label())
    db().commit()
    return render_template("console/imported.html", created=created)


# --- announcements and points -------------------------------------------------------------------


@bp.route("/announcements", methods=["GET", "POST"])
def announcements() -> Any:
    session = db()
    if request.method == "POST":
        team_id = request.form.get("team_id", "").strip()
        refusals.back_to("console.announcements")
        form = request.form
        other = {lang: {"title": form.get(f"title_{lang}", ""), "body": form.get(f"body_{lang}", "")}
                 for lang in announcements_of.OTHER_LANGUAGES}
        row = announcements_of.announce(session, form.get("title", ""), form.get("body", ""), utcnow(),
                                        acting_user(), form_number(team_id) if team_id else None, other)
        if row.team_id is None:
            message = _("Announcement sent: “%(title)s” is on the board and in every team's inbox.", title=row.title)
        else:
            message = _("Announcement sent: “%(title)s” to the inbox of team %(team)s only.", title=row.title,
                        team=session.get(Team, row.team_id).name)
        return done(message, "console.announcements")
    rows = session.scalars(select(Announcement).order_by(Announcement.id.desc()).limit(100)).all()
    teams = {t.id: t.name for t in session.scalars(select(Team).order_by(Team.name))}
    return render_template("console/announcements.html", rows=rows, teams=teams,
                           languages=announcements_of.OTHER_LANGUAGES)


@bp.route("/awards", methods=["GET", "POST"])
def awards() -> Any:
    session = db()
    if request.method == "POST":
        refusals.back_to("console.awards")
        row = organizer.award(session, form_number(request.form.get("team_id", "")),
                              form_number(request.form.get("value", "")), request.form.get("reason", ""),
                              utcnow(), acting_user(), request.form.get("category") or None)
        signed = format(row.value, "+d")
        return done(_("Points recorded: %(value)s for %(team)s (%(reason)s).", value=signed,
                       team=session.get(Team, row.team_id).name, reason=row.reason), "console.awards")
    rows = session.execute(select(Award, Team.name).join(Team, Team.id == Award.team_id)
                           .order_by(Award.id.desc()).limit(200)).all()
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    return render_template("console/awards.html", rows=rows, teams=teams)


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
        "console/submissions.html", rows=rows, total=total, query=query, per_page=submissions.PER_PAGE,
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
    rows = results.final_standings(session)
    return render_template("console/results.html", rows=rows, generated=utcnow(), drill=events.drill(session),
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
    return render_template("console/audit.html", rows=rows)


# The confirmable actions and the exercise-control pages live in their own modules; registered
# on the console's blueprint so its organizers-only check applies.
from scoreboard.web.console import after_action, control, deductions, grades, phases, reveal, staff  # noqa: E402
from scoreboard.web.console import services as services_page  # noqa: E402

for _module in (after_action, control, deductions, grades, phases, reveal, services_page, staff):
    bp.register_blueprint(_module.bp)
