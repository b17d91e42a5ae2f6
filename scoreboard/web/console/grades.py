"""The console's Reports page: every grade with its team, both judges' marks, and release.

Releasing is not destructive (a released grade only starts to count), so it acts at once.
Registered under /console by ``pages.py``, so its organizers-only check applies.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import ngettext

from scoreboard.drill import judging
from scoreboard.store.models import utcnow
from scoreboard.web import refusals
from scoreboard.web.console.common import actor_label, done
from scoreboard.web.context import db

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
