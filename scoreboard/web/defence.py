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
from scoreboard.web import i18n
from scoreboard.web.context import actor, db
from scoreboard.web.pages import member_required

bp = Blueprint("defence", __name__)


def _back(deduction_id: int) -> Any:
    return redirect(url_for("pages.team_page") + f"#deduction-{deduction_id}")


@bp.errorhandler(Refused)
def _refused(err: Refused) -> Any:
    db().rollback()
    flash(i18n.refusal(err), "error")
    return _back(request.view_args.get("deduction_id", 0) if request.view_args else 0)


@bp.post("/team/deductions/<int:deduction_id>/detection")
@member_required
def detection(deduction_id: int) -> Any:
    detections.file(db(), actor(), deduction_id, request.form.get("text", ""), utcnow())
    db().commit()
    flash(_("Your detection report is filed; a judge will decide on it."), "ok")
    return _back(deduction_id)


@bp.post("/team/deductions/<int:deduction_id>/appeal")
@member_required
def appeal(deduction_id: int) -> Any:
    appeals.file(db(), actor(), deduction_id, request.form.get("text", ""), utcnow())
    db().commit()
    flash(_("Your appeal is filed; an organizer will decide on it."), "ok")
    return _back(deduction_id)
