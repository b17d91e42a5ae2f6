"""The console's Phases page: every phase of the exercise, its state, and opening one (asked first).

Opening a phase cannot be taken back (its injects reach every team), so the button leads to a
confirmation page like the other confirmable actions. Registered under /console by
``pages.py``, so its organizers-only check applies.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from scoreboard.core.clock import NOT_STARTED
from scoreboard.drill import phases
from scoreboard.store import events
from scoreboard.store.models import Challenge, Phase, utcnow
from scoreboard.web import i18n, refusals
from scoreboard.web.console.common import actor_label, done
from scoreboard.web.console.confirm import Question, ask, confirmed
from scoreboard.web.context import db

bp = Blueprint("phases", __name__)


def _held(session: Any) -> dict[str | None, int]:
    """How many challenges each phase holds (None: those in no phase, which open with the drill)."""
    return dict(session.execute(select(Challenge.phase, func.count()).where(Challenge.removed.is_(False))
                                .group_by(Challenge.phase)).all())


@bp.get("/phases")
def page() -> Any:
    session = db()
    drill = events.drill(session)
    held = _held(session)
    rows = [{**phases.describe(p, i18n.language()), "held": held.get(p.id, 0), "planned": phases.planned(p, drill.starts_at),
             "opens_after": p.opens_after, "opened_by": p.opened_by} for p in phases.ordered(session)]
    return render_template("console/phases.html", rows=rows, unphased=held.get(None, 0),
                           started=events.clock_of(drill).phase(utcnow()) != NOT_STARTED)


@bp.route("/phases/<phase_id>/open", methods=["GET", "POST"])
def open_phase(phase_id: str) -> Any:
    session = db()
    phase = session.get(Phase, phase_id) if len(phase_id) <= 100 else None
    if phase is None:
        abort(404)
    title = phases.title_in(phase, i18n.language())
    if not confirmed():
        count = _held(session).get(phase.id, 0)
        return ask(Question(_("Open the phase %(title)s now?", title=title), [
            ngettext("Its %(num)s challenge appears for every team at once, with a notice.",
                     "Its %(num)s challenges appear for every team at once, with a notice.", count),
            _("Report deadlines of this phase are counted from now."),
            _("The board and the team pages show it as the current phase. This cannot be undone."),
        ], _("Open %(title)s", title=title), url_for("console.phases.page")))
    refusals.back_to("console.phases.page")
    phases.open_phase(session, phase.id, utcnow(), actor_label())
    return done(_("Phase %(title)s is open: its challenges are released to every team.", title=title),
                "console.phases.page")
