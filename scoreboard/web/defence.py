"""The team's answers to the red team, from its own page (/team): a detection report within the
window after a deduction, and one appeal against a deduction.

Thin: the forms go to ``detections.file`` and ``appeals.file``, the same functions as
``POST /api/v1/deductions/<id>/detection`` and ``…/appeal``. Works without JavaScript: each form
posts and the team page comes back with a message.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from scoreboard.core.errors import Refused
from scoreboard.drill import appeals, detections
from scoreboard.store.models import utcnow
from scoreboard.web import refusals
from scoreboard.web.context import actor, db
from scoreboard.web.pages import member_required

bp = Blueprint("defence", __name__)


@bp.errorhandler(Refused)
def _refused(err: Refused) -> Any:
    return refusals.answer(err, "pages.team_page")


def _anchor(deduction_id: int) -> str:
    return f"#deduction-{deduction_id}"


@bp.post("/team/deductions/<int:deduction_id>/detection")
@member_required
def detection(deduction_id: int) -> Any:
    refusals.back_to("pages.team_page", anchor=_anchor(deduction_id))
    detections.file(db(), actor(), deduction_id, request.form.get("text", ""), utcnow())
    db().commit()
    flash(_("Your detection report is filed; a judge will decide on it."), "ok")
    return redirect(url_for("pages.team_page") + _anchor(deduction_id))


@bp.post("/team/deductions/<int:deduction_id>/appeal")
@member_required
def appeal(deduction_id: int) -> Any:
    refusals.back_to("pages.team_page", anchor=_anchor(deduction_id))
    appeals.file(db(), actor(), deduction_id, request.form.get("text", ""), utcnow())
    db().commit()
    flash(_("Your appeal is filed; an organizer will decide on it."), "ok")
    return redirect(url_for("pages.team_page") + _anchor(deduction_id))
