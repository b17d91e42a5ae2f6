"""Console: every red-team deduction with its author, evidence, objective, the team's detection
report and appeal; objectives hit per team. Voiding a deduction or deciding an appeal asks first,
with a reason.

Registered under /console by ``pages.py``, so its organizers-only check applies.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

from scoreboard.drill import appeals, deductions, objectives
from scoreboard.store.models import Appeal, Deduction, Team, counting_points, utcnow
from scoreboard.web import i18n, refusals
from scoreboard.web.console.common import done
from scoreboard.web.console.confirm import Question, ask, confirmed
from scoreboard.web.context import actor, db, send_stored

bp = Blueprint("deductions", __name__)


@bp.get("/deductions")
def page() -> Any:
    lang = i18n.language()
    return render_template("console/deductions.html", rows=objectives.localized(deductions.listing(db()), lang),
                           hits=objectives.hits(db(), lang))


@bp.get("/deductions/<int:deduction_id>/evidence")
def evidence(deduction_id: int) -> Any:
    """The evidence file, to organizers only, under the name it was uploaded with."""
    row = db().get(Deduction, deduction_id)
    if row is None or not row.evidence_path:
        abort(404)
    return send_stored(row.evidence_path, row.evidence_name or "evidence")


@bp.route("/deductions/<int:deduction_id>/void", methods=["GET", "POST"])
def void(deduction_id: int) -> Any:
    row = db().get(Deduction, deduction_id)
    if row is None:
        abort(404)
    team = db().get(Team, row.team_id).name
    if not confirmed():
        return ask(Question(_("Void the deduction of %(points)s points from %(team)s?", points=row.points, team=team), [
            _("Reason recorded: %(reason)s", reason=row.reason),
            _("The team gets the points back and the standings change; the deduction stays listed, struck through "
              "with your reason."),
            _("This cannot be undone."),
        ], _("Void the deduction"), url_for("console.deductions.page"), reason_field=True))
    refusals.back_to("console.deductions.page")
    deductions.void(db(), deduction_id, request.form.get("reason", ""), utcnow(), actor())
    return done(_("Deduction voided: %(team)s gets %(points)s points back.", team=team, points=counting_points(row)),
                 "console.deductions.page")


@bp.route("/deductions/appeals/<int:appeal_id>/<any(uphold, void):decision>", methods=["GET", "POST"])
def decide_appeal(appeal_id: int, decision: str) -> Any:
    """Uphold a deduction against a team's appeal, or void it; asks first, with a reason."""
    appeal = db().get(Appeal, appeal_id)
    if appeal is None:
        abort(404)
    row = db().get(Deduction, appeal.deduction_id)
    team = db().get(Team, row.team_id).name
    if not confirmed():
        void = decision == "void"
        return ask(Question(
            _("Void the deduction of %(points)s points from %(team)s?", points=row.points, team=team) if void
            else _("Uphold the deduction of %(points)s points from %(team)s?", points=row.points, team=team), [
                _("Reason recorded: %(reason)s", reason=row.reason),
                _("The team's appeal: %(text)s", text=appeal.text),
                _("The team gets the points back and the standings change; the deduction stays listed, struck "
                  "through with your reason.") if void else _("The deduction keeps counting; the team reads your "
                                                               "reason."),
                _("The board's feed shows the decision. This cannot be undone."),
            ], _("Void the deduction") if void else _("Uphold the deduction"), url_for("console.deductions.page"),
            danger=void, reason_field=True))
    refusals.back_to("console.deductions.page")
    appeals.decide(db(), actor(), appeal_id, decision == "void", request.form.get("reason", ""), utcnow())
    return done(_("Appeal decided: the deduction from %(team)s is voided.", team=team) if decision == "void"
                else _("Appeal decided: the deduction from %(team)s stands.", team=team), "console.deductions.page")
