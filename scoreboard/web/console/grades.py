"""The console's Reports page: every grade with its team, each judge's marks, where each report
stands, release, and returning a report to its team for revision.

Releasing is not destructive (a released grade only starts to count), so it acts at once;
returning a report withdraws its marks from the grade, so it asks first and needs a note.
Registered under /console by ``pages.py``, so its organizers-only check applies.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from scoreboard.drill import judging, returns
from scoreboard.store.models import Team, utcnow
from scoreboard.web import refusals
from scoreboard.web.console.common import actor_label, done
from scoreboard.web.console.confirm import Question, ask, confirmed
from scoreboard.web.context import actor, db

bp = Blueprint("grades", __name__)


@bp.get("/grades")
def page() -> Any:
    return render_template("console/grades.html", **judging.overview(db()))


@bp.post("/grades/<int:grade_id>/release")
def release(grade_id: int) -> Any:
    refusals.back_to("console.grades.page")
    judging.release(db(), grade_id, actor_label(), utcnow())
    return done(_("The grade is released: the team sees it and the board counts it."), "console.grades.page")


@bp.post("/grades/release")
def release_all() -> Any:
    count = judging.release_all(db(), actor_label(), utcnow())
    return done(ngettext("%(num)s grade released.", "%(num)s grades released.", count), "console.grades.page")


@bp.route("/grades/reports/<int:report_id>/return", methods=["GET", "POST"])
def return_report(report_id: int) -> Any:
    """Send a report back to its team with a note, after a confirmation page."""
    refusals.back_to("console.grades.page")
    report, challenge = returns.returnable(db(), report_id)
    team = db().get(Team, report.team_id).name
    if not confirmed():
        return ask(Question(_("Return version %(version)s of %(team)s's report on %(task)s for revision?",
                              version=report.version, team=team, task=challenge.name), [
            _("The team sees your note and may file a new version; it goes back to the judges' queue."),
            _("The marks on this version stay on record but no longer count; a grade not yet released is "
              "withdrawn."),
            _("The task's deadline still applies to the new version."),
        ], _("Return for revision"), url_for("console.grades.page"), danger=False, reason_field=True,
            reason_label=_("Note to the team (required)"), reason_max=returns.MAX_NOTE))
    returns.return_for_revision(db(), report_id, request.form.get("reason", ""), actor(), utcnow())
    return done(_("The report is returned to %(team)s for revision.", team=team), "console.grades.page")
