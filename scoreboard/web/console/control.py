"""Console actions that change the drill for everyone or cannot be taken back: each asks first.

The button on a console page leads to a confirmation page (a plain GET, so it works without
JavaScript) naming exactly what will happen; only its form, which carries ``confirmed``, acts.
A POST without ``confirmed`` shows the same page and changes nothing; Cancel is a link back.
Harmless, reversible actions (pause, resume, enable) act at once. Registered under /console by
``pages.py``, so its organizers-only check applies.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _

from scoreboard.core.errors import Refused
from scoreboard.drill import organizer
from scoreboard.drill.attempts import regrade
from scoreboard.store import events
from scoreboard.store.models import Challenge, Team, User, utcnow
from scoreboard.web.console.common import actor_label, done, drill_time, form_time, refused
from scoreboard.web.console.confirm import Question, ask, confirmed
from scoreboard.web.context import db

bp = Blueprint("control", __name__)


# --- the clock ----------------------------------------------------------------------------------


def _clock_question(action: str) -> Question | None:
    drill = events.drill(db())
    now = utcnow()
    back = url_for("console.dashboard")
    if action == "start":
        lines = [_("Teams see the open challenges and can answer from now on.")]
        if drill.starts_at and drill.starts_at > now:
            lines.append(_("The planned start, %(when)s, is replaced by now.", when=drill_time(drill.starts_at)))
        return Question(_("Start the drill now?"), lines, _("Start the drill now"), back)
    if action == "freeze":
        return Question(_("Freeze the public board now?"), [
            _("The board, its solve feed and the public scoreboard stop changing: solves from now on stay hidden "
              "until the drill ends."),
            _("Teams keep answering and still see their own results."),
            _("To undo it, clear the freeze time under Set times."),
        ], _("Freeze the board now"), back)
    if action == "end":
        lines = [_("Teams can no longer answer: every answer from now on is refused.")]
        if drill.reveal == "hold" and drill.freeze_at and drill.freeze_at <= now:
            lines.append(_("The public board stays frozen for the closing reveal (Reveal page)."))
        elif events.clock_of(drill).frozen(now):
            lines.append(_("The freeze is lifted: the board reveals the final standings."))
        lines.append(_("You can reopen the drill afterwards if this was a mistake."))
        return Question(_("End the drill now?"), lines, _("End the drill now"), back)
    if action == "reopen":
        return Question(_("Reopen the drill?"), [
            _("Teams can answer again from now on."),
            _("The drill then runs until the end time you give below, or with no end time if you leave it empty."),
            _("A freeze that has already passed is lifted, so the board keeps showing the live standings."),
        ], _("Reopen the drill"), back, danger=False, end_field=True)
    return None


def _clock_done(action: str) -> str:
    drill = events.drill(db())
    if action == "reopen":
        until = _("It ends at %(when)s.", when=drill_time(drill.ends_at)) if drill.ends_at else _("No end time is set.")
        return _("Drill reopened: teams can answer again.") + " " + until
    return {
        "start": _("Drill started: teams can see the challenges and answer now."),
        "pause": _("Drill paused: answers are refused until you resume it."),
        "resume": _("Drill resumed: teams can answer again."),
        "freeze": _("Board frozen: solves from now on stay hidden from the public until the drill ends."),
        "end": _("Drill ended: answers are closed and the board shows the final standings."),
    }[action]


@bp.route("/clock/<action>", methods=["GET", "POST"])
def clock_action(action: str) -> Any:
    if action not in organizer.CLOCK_ACTIONS:
        abort(404)
    question = _clock_question(action)
    if question is not None and not confirmed():
        return ask(question)
    if question is None and request.method == "GET":
        return redirect(url_for("console.dashboard"))
    try:
        if action == "reopen":
            organizer.reopen(db(), utcnow(), actor_label(), form_time("ends_at"))
        else:
            organizer.clock_action(db(), action, utcnow(), actor_label())
    except Refused as err:
        return refused(err, "console.dashboard")
    return done(_clock_done(action), "console.dashboard")


# --- teams and members ----------------------------------------------------------------------------


def _team_question(team: Team, action: str) -> Question | None:
    back = url_for("console.team_list")
    if action == "disable":
        return Question(_("Disable team %(name)s?", name=team.name), [
            _("Its members can no longer submit answers."),
            _("It leaves the public board until you enable it again; its solves and points are kept."),
        ], _("Disable %(name)s", name=team.name), back)
    if action == "rotate":
        return Question(_("Give team %(name)s a new join code?", name=team.name), [
            _("The current code, %(code)s, stops working at once: hand the new code to anyone still to join.",
              code=team.join_code),
            _("Members who have already joined stay logged in."),
        ], _("Make a new join code"), back)
    return None


@bp.route("/teams/<int:team_id>/<action>", methods=["GET", "POST"])
def team_action(team_id: int, action: str) -> Any:
    if action not in ("disable", "enable", "rotate"):
        abort(404)
    team = db().get(Team, team_id)
    if team is None:
        abort(404)
    question = _team_question(team, action)
    if question is not None and not confirmed():
        return ask(question)
    if question is None and request.method == "GET":
        return redirect(url_for("console.team_list"))
    try:
        if action == "rotate":
            organizer.rotate_join_code(db(), team_id, actor_label())
            message = _("Team %(name)s has a new join code, %(code)s; the old code no longer works.",
                        name=team.name, code=team.join_code)
        else:
            organizer.set_team_disabled(db(), team_id, action == "disable", actor_label())
            message = (_("Team %(name)s disabled; its members can no longer submit.", name=team.name)
                       if action == "disable" else
                       _("Team %(name)s enabled; its members can submit again.", name=team.name))
    except Refused as err:
        return refused(err, "console.team_list")
    return done(message, "console.team_list")


@bp.route("/users/<int:user_id>/reset", methods=["GET", "POST"])
def user_reset(user_id: int) -> Any:
    user = db().get(User, user_id)
    if user is None or user.role != "member":
        abort(404)
    if not confirmed():
        team = user.team.name if user.team else "–"
        return ask(Question(_("Reset the password of %(name)s (%(team)s)?", name=user.name, team=team), [
            _("Their current password stops working and every session they have open ends."),
            _("The new password is shown once, on the next page: pass it on to them."),
        ], _("Reset the password of %(name)s", name=user.name), url_for("console.team_list")))
    try:
        user, password = organizer.reset_member_password(db(), user_id, actor_label())
    except Refused as err:
        return refused(err, "console.team_list")
    return done(_("New password for %(name)s: %(password)s (shown once). Their open sessions have ended.",
                   name=user.name, password=password), "console.team_list")


# --- challenges ---------------------------------------------------------------------------------


@bp.route("/challenges/<int:challenge_id>/regrade", methods=["GET", "POST"])
def challenge_regrade(challenge_id: int) -> Any:
    challenge = db().get(Challenge, challenge_id)
    if challenge is None:
        abort(404)
    if not confirmed():
        return ask(Question(_("Re-grade past wrong answers to %(name)s?", name=challenge.name), [
            _("Every wrong answer to this challenge is checked again against its current flags."),
            _("A team whose earlier answer is now accepted gets a solve dated when it answered; the standings may "
              "change."),
            _("This cannot be undone."),
        ], _("Re-grade now"), url_for("console.challenge_detail", challenge_id=challenge_id)))
    try:
        changed = regrade(db(), challenge_id, utcnow(), actor_label())
    except Refused as err:
        return refused(err, "console.challenge_list")
    teams = ", ".join(item["team"] for item in changed)
    message = (_("%(name)s re-graded: new solves for %(teams)s.", name=challenge.name, teams=teams) if changed
               else _("%(name)s re-graded: no earlier answer is accepted now; nothing changed.", name=challenge.name))
    return done(message, "console.challenge_detail", challenge_id=challenge_id)
