"""Pages for report tasks: a team files and revises its report; judges work through their queue.

Thin views over ``reports``, ``judging`` and ``detections`` (a team's report that it detected
a red-team attack, decided on the judge's page like a report); forms post and redirect, so everything works
without JavaScript. Judges never see a team's name or id here: reports go by id, files by
their anonymous names.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scoreboard.core.errors import Refused
from scoreboard.drill import detections, judging, reports
from scoreboard.store.models import utcnow
from scoreboard.web import i18n, refusals
from scoreboard.web.context import actor, catalog, db, received_files, send_stored, services, solved_by
from scoreboard.web.pages import member_required

bp = Blueprint("judging", __name__)


@bp.errorhandler(Refused)
def _refused(err: Refused) -> Any:
    return refusals.answer(err, "judging.queue")


@bp.post("/challenges/<int:challenge_id>/report")
@member_required
def file_report(challenge_id: int) -> Any:
    """The form on a report task's page: the same domain function as the API."""
    refusals.back_to("pages.challenge_page", anchor="#report", challenge_id=challenge_id)
    who, settings, now = actor(), services().settings, utcnow()
    files = received_files("files", settings.max_report_file_bytes)
    row = reports.submit(db(), catalog(), solved_by(who.team_id),
                         reports.Filing(who.team_id, who.user_id, who.label, challenge_id, now),
                         request.form.get("text", ""), files, settings.files_dir, settings.max_report_file_bytes)
    db().commit()
    flash(_("Version %(n)s of your report is filed.", n=row.version), "ok")
    return redirect(url_for("pages.challenge_page", challenge_id=challenge_id) + "#report")


@bp.get("/reports/files/<int:file_id>/<name>")
@member_required
def team_file(file_id: int, name: str) -> Any:
    """A team's own attachment, under the name the team gave it."""
    try:
        row = reports.team_file(db(), file_id, current_user.team_id)
    except Refused:
        abort(404)
    if row.name != name:
        abort(404)
    return send_stored(row.stored_path, row.name, row.sha256)


def judge_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Judges and organizers, by session or bearer token; others are sent to log in, or refused."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if actor() is None:
            return redirect(url_for("pages.login", next=request.path))
        if not judging.may_judge(actor()):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/judge")
@judge_required
def queue() -> Any:
    """The reports waiting for this judge's marks, "My marks" (what they saved so far) and the
    detection reports waiting for a decision."""
    return render_template("judge.html", reports=judging.queue(db(), actor(), i18n.language()),
                           marks=judging.my_marks(db(), actor()),
                           detections=detections.queue(db(), actor(), i18n.language()))


@bp.post("/judge/detections/<int:detection_id>")
@judge_required
def decide_detection(detection_id: int) -> Any:
    """Accept or reject a team's detection report: the button pressed says which."""
    refusals.back_to("judging.queue", anchor="#detections")
    decision = {"accept": True, "reject": False}.get(request.form.get("decision", ""), request.form.get("decision"))
    row = detections.decide(db(), actor(), detection_id, decision, request.form.get("comment", ""), utcnow())
    db().commit()
    flash(_("Detection report #%(id)s is accepted.", id=row.id) if row.status == "accepted"
          else _("Detection report #%(id)s is rejected.", id=row.id), "ok")
    return redirect(url_for("judging.queue") + "#detections")


@bp.route("/judge/reports/<int:report_id>", methods=["GET", "POST"])
@judge_required
def mark(report_id: int) -> Any:
    """Mark a report, or amend one's own marks on it until the grade is released."""
    refusals.back_to("judging.queue")
    data = judging.view_for_judge(db(), actor(), report_id, i18n.language())
    if request.method == "POST":
        form = request.form
        refusals.show_again(lambda: render_template("judge_report.html", report=data, form=form))
        scores = [_whole(form.get(f"score-{n}", "")) for n in range(len(data["rubric"]))]
        comments = [form.get(f"comment-{n}", "") for n in range(len(data["rubric"]))]
        judging.mark(db(), actor(), report_id, scores, form.get("comment", ""), comments, now=utcnow())
        db().commit()
        if data["marked"]:
            flash(_("Your marks on report #%(id)s are updated.", id=report_id), "ok")
        else:
            flash(_("Report #%(id)s is marked.", id=report_id), "ok")
        return redirect(url_for("judging.queue"))
    return render_template("judge_report.html", report=data, form=_saved(data["mine"]))


def _saved(mine: dict[str, Any] | None) -> dict[str, Any]:
    """The judge's saved marks as form values, so amending starts from them."""
    if mine is None:
        return {}
    form = {f"score-{n}": score for n, score in enumerate(mine["scores"])}
    form.update({f"comment-{n}": text for n, text in enumerate(mine["comments"] or [])})
    form["comment"] = mine["comment"]
    return form


def _whole(raw: str) -> Any:
    """A form's number as an int when it is one; anything else goes to the domain check as is."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() else raw


@bp.get("/judge/reports/<int:report_id>/<name>")
@judge_required
def attachment(report_id: int, name: str) -> Any:
    try:
        row = judging.attachment(db(), actor(), report_id, name)
    except Refused:
        abort(404)
    return send_stored(row.stored_path, name, row.sha256)  # the anonymous name, never the team's
