"""The console's Reports page: every grade with its team, both judges' marks, and release.

Releasing is not destructive (a released grade only starts to count), so it acts at once.
Registered under /admin by ``admin.py``, so its organizers-only check applies.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import ngettext

from . import judging
from .admin import _done, _label, _refused
from .errors import Refused
from .models import utcnow
from .web import db

bp = Blueprint("grades", __name__)


@bp.get("/reports")
def page() -> Any:
    return render_template("admin/reports.html", **judging.overview(db()))


@bp.post("/reports/<int:grade_id>/release")
def release(grade_id: int) -> Any:
    try:
        judging.release(db(), grade_id, _label(), utcnow())
    except Refused as err:
        return _refused(err, "admin.grades.page")
    return _done(_("The grade is released: the team sees it and the board counts it."), "admin.grades.page")


@bp.post("/reports/release")
def release_all() -> Any:
    count = judging.release_all(db(), _label(), utcnow())
    return _done(ngettext("%(num)s grade released.", "%(num)s grades released.", count), "admin.grades.page")
