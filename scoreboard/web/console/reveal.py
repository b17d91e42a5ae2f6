"""The console's closing-reveal page: hold the board, then reveal held changes step by step.

Thin views over ``reveal``: each form posts, the domain function audits and emits, the view
commits and redirects with a message. The step also answers JSON for the page's auto-player
(static/js/reveal.js). "Reveal all" asks first (the console's confirmation page, confirm.py).
Registered under /console by ``pages.py``, so its organizers-only check applies.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from scoreboard.drill import reveal
from scoreboard.store.models import utcnow
from scoreboard.web import refusals
from scoreboard.web.console.common import actor_label, done
from scoreboard.web.console.confirm import Question, ask, confirmed
from scoreboard.web.context import db

bp = Blueprint("reveal", __name__, url_prefix="/reveal")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.before_request
def _answer_refusals() -> None:
    """A refusal answers the page's auto-player in JSON; a form gets the reveal page and the reason."""
    if _wants_json():
        refusals.answer_with(refusals.in_json)
    else:
        refusals.back_to("console.reveal.page")


@bp.get("")
def page() -> Any:
    return render_template("console/reveal.html", state=reveal.state(db(), utcnow()))


@bp.post("/hold")
def hold() -> Any:
    on = request.form.get("on") == "1"
    reveal.hold(db(), utcnow(), actor_label(), on=on)
    return done(_("The board will stay frozen after the end until you reveal it.") if on
                 else _("No closing reveal: the end lifts the freeze."), "console.reveal.page")


@bp.post("/start")
def start() -> Any:
    reveal.start(db(), utcnow(), actor_label())
    return done(_("The reveal has begun: reveal the held changes one by one."), "console.reveal.page")


@bp.post("/step")
def step() -> Any:
    event = reveal.step(db(), utcnow(), actor_label())
    if _wants_json():
        db().commit()
        return jsonify({"event": event, "state": reveal.state(db(), utcnow())})
    if "team" not in event:
        return done(_("Every held change is revealed: the board shows the final standings."), "console.reveal.page")
    return done(_("Revealed a change of %(team)s (%(points)s); %(n)s left.", team=event["team"],
                   points=format(event["change"]["points"], "+d"), n=event["remaining"]), "console.reveal.page")


@bp.route("/all", methods=["GET", "POST"])
def reveal_all() -> Any:
    if not confirmed():
        return ask(Question(_("Reveal every held change now?"), [
            _("The public board shows the final standings at once; the remaining steps are skipped."),
            _("This cannot be undone."),
        ], _("Reveal all now"), url_for("console.reveal.page")))
    reveal.finish(db(), utcnow(), actor_label())
    return done(_("Every held change is revealed: the board shows the final standings."), "console.reveal.page")
