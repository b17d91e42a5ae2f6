"""Console: every red-team deduction with its author and evidence; voiding one asks first, with a reason.

Registered under /console by ``pages.py``, so its organizers-only check applies.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

from scoreboard.drill import deductions
from scoreboard.store.models import Deduction, Team, utcnow
from scoreboard.web import refusals
from scoreboard.web.console.common import done
from scoreboard.web.console.confirm import Question, ask, confirmed
from scoreboard.web.context import actor, db, send_stored

bp = Blueprint("deductions", __name__)


@bp.get("/deductions")
def page() -> Any:
    return render_template("console/deductions.html", rows=deductions.listing(db()))


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
    return done(_("Deduction voided: %(team)s gets %(points)s points back.", team=team, points=row.points),
                 "console.deductions.page")
