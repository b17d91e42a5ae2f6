"""The console's closing-reveal page: hold the board, then reveal held changes step by step.

Thin views over ``reveal``: each form posts, the domain function audits and emits, the view
commits and redirects with a message. The step also answers JSON for the page's auto-player
(static/js/reveal.js). "Reveal all" asks first (``admin_control``'s confirmation page).
Registered under /admin by ``admin.py``, so its organizers-only check applies.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from . import reveal
from .admin import _done, _label
from .admin_control import Question, _ask, _confirmed
from .errors import Refused
from .models import utcnow
from .web import db

bp = Blueprint("reveal", __name__, url_prefix="/reveal")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _refused(err: Refused) -> Any:
    db().rollback()
    if _wants_json():
        response = jsonify({"error": err.text(_)})
        response.status_code = err.status
        return response
    flash(err.text(_), "error")
    return redirect(url_for("admin.reveal.page"))


@bp.get("")
def page() -> Any:
    return render_template("admin/reveal.html", state=reveal.state(db(), utcnow()))


@bp.post("/hold")
def hold() -> Any:
    on = request.form.get("on") == "1"
    try:
        reveal.hold(db(), utcnow(), _label(), on=on)
    except Refused as err:
        return _refused(err)
    return _done(_("The board will stay frozen after the end until you reveal it.") if on
                 else _("No closing reveal: the end lifts the freeze."), "admin.reveal.page")


@bp.post("/start")
def start() -> Any:
    try:
        reveal.start(db(), utcnow(), _label())
    except Refused as err:
        return _refused(err)
    return _done(_("The reveal has begun: reveal the held changes one by one."), "admin.reveal.page")


@bp.post("/step")
def step() -> Any:
    try:
        event = reveal.step(db(), utcnow(), _label())
    except Refused as err:
        return _refused(err)
    if _wants_json():
        db().commit()
        return jsonify({"event": event, "state": reveal.state(db(), utcnow())})
    if "team" not in event:
        return _done(_("Every held change is revealed: the board shows the final standings."), "admin.reveal.page")
    return _done(_("Revealed a change of %(team)s (%(points)s); %(n)s left.", team=event["team"],
                   points=format(event["change"]["points"], "+d"), n=event["remaining"]), "admin.reveal.page")


@bp.route("/all", methods=["GET", "POST"])
def reveal_all() -> Any:
    if not _confirmed():
        return _ask(Question(_("Reveal every held change now?"), [
            _("The public board shows the final standings at once; the remaining steps are skipped."),
            _("This cannot be undone."),
        ], _("Reveal all now"), url_for("admin.reveal.page")))
    try:
        reveal.finish(db(), utcnow(), _label())
    except Refused as err:
        return _refused(err)
    return _done(_("Every held change is revealed: the board shows the final standings."), "admin.reveal.page")
