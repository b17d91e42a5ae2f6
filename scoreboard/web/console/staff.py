"""Console: staff accounts (organizers, judges, the red team, the white cell): create, list, disable, reset a password.

A new account's password and token are shown once, on the page after creating it; disabling
and resetting ask first. Registered under /console by ``pages.py``, so its organizers-only
check applies.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scoreboard.drill import staff
from scoreboard.store.models import Team, User
from scoreboard.web import refusals
from scoreboard.web.console.common import actor_label, done
from scoreboard.web.console.confirm import Question, ask, confirmed
from scoreboard.web.context import actor, db, form_number

bp = Blueprint("staff", __name__)


def _roles() -> dict[str, str]:
    return {"admin": _("Organizer"), "judge": _("Judge"), "red_team": _("Red team"), "white_cell": _("White cell")}


@bp.route("/staff", methods=["GET", "POST"])
def page() -> Any:
    session = db()
    created = None
    if request.method == "POST":
        raw_team = request.form.get("team_id", "")
        refusals.back_to("console.staff.page")
        user, password, token = staff.create(session, request.form.get("name", ""), request.form.get("role", ""),
                                             form_number(raw_team) if raw_team.strip() else None, actor_label())
        session.commit()
        created = {"name": user.name, "role": user.role, "password": password, "token": token}
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    return render_template("console/staff.html", users=staff.listing(session), teams=teams, roles=_roles(),
                           created=created, me=actor().user_id)


def _staff_user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None or user.role not in _roles():
        abort(404)
    return user


@bp.route("/staff/<int:user_id>/<action>", methods=["GET", "POST"])
def action(user_id: int, action: str) -> Any:
    if action not in ("disable", "enable", "reset", "token"):
        abort(404)
    user = _staff_user(user_id)
    back = url_for("console.staff.page")
    questions = {
        "disable": Question(_("Disable the account of %(name)s?", name=user.name), [
            _("They are logged out everywhere; their password and API token stop working."),
            _("You can enable the account again later; their old API token stays revoked."),
        ], _("Disable %(name)s", name=user.name), back),
        "reset": Question(_("Reset the password of %(name)s?", name=user.name), [
            _("Their current password stops working and every session they have open ends."),
            _("Their API token stops working too; make a new one for them if they need it."),
            _("The new password is shown once, on the next page: pass it on to them."),
        ], _("Reset the password of %(name)s", name=user.name), back),
        "token": Question(_("Give %(name)s a new API token?", name=user.name), [
            _("Their current API token stops working at once, in every worker."),
            _("The new token is shown once, on the next page: pass it on to them."),
        ], _("Make a new API token"), back),
    }
    question = questions.get(action)
    if question is not None and not confirmed():
        return ask(question)
    if question is None and request.method == "GET":
        return redirect(back)  # enabling acts at once, from the list's form
    refusals.back_to("console.staff.page")
    if action == "reset":
        user, password = staff.reset_password(db(), user_id, actor_label())
        message = _("New password for %(name)s: %(password)s (shown once). Their open sessions have ended "
                    "and their API token no longer works.", name=user.name, password=password)
    elif action == "token":
        user, token = staff.rotate_token(db(), user_id, actor_label())
        message = _("New API token for %(name)s: %(token)s (shown once). The old token no longer works.",
                    name=user.name, token=token)
    else:
        staff.set_disabled(db(), user_id, action == "disable", actor_label(), actor().user_id)
        message = (_("%(name)s is disabled and logged out everywhere.", name=user.name) if action == "disable"
                   else _("%(name)s is enabled again.", name=user.name))
    return done(message, "console.staff.page")
