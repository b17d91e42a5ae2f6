"""Console: the clarification queue, for organizers and the white cell (whose only console page
this is): unanswered questions first, each answered privately or published to every team.

A blueprint of its own under /console/clarifications, not on the console's, because the
console lets organizers only. Forms post and redirect, so it works without JavaScript.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scoreboard.core.errors import Refused
from scoreboard.drill import clarifications
from scoreboard.store.models import utcnow
from scoreboard.web import refusals
from scoreboard.web.console.common import done
from scoreboard.web.context import actor, db
from scoreboard.web.inbox import challenge_name

bp = Blueprint("clarifications", __name__, url_prefix="/console/clarifications")


@bp.errorhandler(Refused)
def _refused(err: Refused) -> Any:
    return refusals.answer(err, "clarifications.queue")


@bp.before_request
def _exercise_control_only() -> Any:
    who = actor()
    if who is None:
        return redirect(url_for("pages.login", next=request.path))
    if not clarifications.may_answer(who):
        abort(403)
    return None


@bp.get("/")
def queue() -> Any:
    rows = [(row, team, challenge_name(row.challenge_id, None)) for row, team in clarifications.queue(db())]
    return render_template("console/clarifications.html", rows=rows, waiting=clarifications.waiting_count(db()),
                           limit=clarifications.MAX_ANSWER)


@bp.post("/<int:clarification_id>/answer")
def answer(clarification_id: int) -> Any:
    refusals.back_to("clarifications.queue", anchor=f"#q{clarification_id}")
    publish = request.form.get("publish") == "1"
    row = clarifications.answer(db(), clarification_id, request.form.get("answer", ""), publish, utcnow(), actor())
    message = (_("Answer published: every team has question %(id)s and its answer in their inbox, without the "
                 "asking team's name.", id=row.id) if publish
               else _("Answer sent to the asking team's inbox only (question %(id)s).", id=row.id))
    return done(message, "clarifications.queue")
