"""Console: the defended services. The grid as the checks found it, the rounds with the controls
exercise control needs when the range itself breaks (pause and resume the checks, exclude a round,
re-run one — both asked first, with a reason, and audited by the use case), where each team's
services answer (an override per team, or a CSV of them), and every outage beside the red-team
deductions that name the service it hit.

The same use cases as ``drill checker|round|service`` on the command line (``drill/rounds.py``,
``drill/hosts.py``). Registered under /console by ``pages.py``, so its organizers-only check applies.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, func, select

from scoreboard.board import service_history
from scoreboard.board import services as grid
from scoreboard.board.services import live_services
from scoreboard.core import availability
from scoreboard.core.errors import N_, Refused
from scoreboard.drill import hosts, rounds
from scoreboard.store.models import Deduction, Service, ServiceCheck, ServiceRound, utcnow
from scoreboard.web import refusals, service_views
from scoreboard.web.console.common import actor_label, done
from scoreboard.web.console.confirm import Question, ask, confirmed
from scoreboard.web.context import db

bp = Blueprint("services", __name__)
PAGE = "console.services.page"
ROUNDS_LISTED = 20


def _rounds(session: Any) -> list[dict[str, Any]]:
    """The latest rounds, newest first, with how many checks found a service up."""
    ups = func.sum(case((ServiceCheck.state == availability.UP, 1), else_=0))
    counts = {rid: (int(up or 0), total) for rid, up, total in session.execute(
        select(ServiceCheck.round_id, ups, func.count()).group_by(ServiceCheck.round_id))}
    listed = session.scalars(select(ServiceRound).order_by(ServiceRound.number.desc()).limit(ROUNDS_LISTED))
    return [{"row": row, "up": counts.get(row.id, (0, 0))[0], "checks": counts.get(row.id, (0, 0))[1]}
            for row in listed]


def _hits(session: Any) -> dict[tuple[int, str], list[Deduction]]:
    """Red-team deductions that name a service, by (team id, service id in services.yml)."""
    keys = dict(session.execute(select(Service.id, Service.key)).all())
    found: dict[tuple[int, str], list[Deduction]] = defaultdict(list)
    for row in session.scalars(select(Deduction).where(Deduction.service_id.is_not(None), Deduction.voided_at.is_(None))
                               .order_by(Deduction.at)):
        found[(row.team_id, keys.get(row.service_id, ""))].append(row)
    return found


@bp.get("/services")
def page() -> Any:
    session, now = db(), utcnow()
    table = grid.public(session, None)
    hits = _hits(session)
    outages = service_history.outages(session)
    return render_template("console/services.html", grid=table, state=rounds.state(session), rounds=_rounds(session),
                           targets=hosts.targets(session, live_services(session)), outages=outages, hits=hits,
                           unmatched=[d for key, rows in hits.items() for d in rows
                                      if not any((o.team_id, o.service) == key for o in outages)],
                           service_names=service_views.titles(table["services"]), now=now,
                           team_slas=grid.team_sla(session, None))


@bp.post("/services/<any(pause, resume):action>")
def pause(action: str) -> Any:
    refusals.back_to(PAGE)
    rounds.pause(db(), utcnow(), actor_label(), on=action == "pause")
    return done(_("The checks are paused: no new round starts until you resume them.") if action == "pause"
                else _("The checks run again from the next round."), PAGE)


@bp.route("/services/rounds/<int:number>/<any(exclude, rerun):action>", methods=["GET", "POST"])
def round_action(number: int, action: str) -> Any:
    """Exclude a round (or exclude it and check every service again now): asked first, with a reason."""
    refusals.back_to(PAGE)
    if db().scalar(select(ServiceRound.id).where(ServiceRound.number == number)) is None:
        abort(404)
    if not confirmed():
        lines = [_("No team's SLA or points count this round any more; the standings change at once."),
                 _("The reason is kept in the audit log.")]
        if action == "rerun":
            lines.insert(1, _("Every team's services are checked again at once, in a new round."))
            title = _("Exclude round %(number)s and re-run it now?", number=number)
            button = _("Exclude and re-run")
        else:
            title, button = _("Exclude round %(number)s?", number=number), _("Exclude the round")
        return ask(Question(title, lines, button, url_for(PAGE), reason_field=True,
                            reason_label=_("What went wrong with the range (required)")))
    reason = request.form.get("reason", "")
    if action == "rerun":
        created = rounds.rerun(db(), number, reason, utcnow(), actor_label())
        return done(_("Round %(number)s is excluded; round %(new)s checks every service now.", number=number,
                      new=created.number), PAGE)
    rounds.exclude(db(), number, reason, utcnow(), actor_label())
    return done(_("Round %(number)s is excluded from every SLA and every team's points.", number=number), PAGE)


@bp.post("/services/hosts")
def set_host() -> Any:
    refusals.back_to(PAGE, "#hosts")
    form = request.form
    change = hosts.set_host(db(), form.get("team", ""), form.get("service", ""), form.get("host", ""), actor_label())
    service = change["service"]
    message = (_("%(team)s's %(service)s is checked at %(host)s from the next round.", team=change["team"],
                 service=service_views.all_titles().get(service, service), host=change["host"]) if service
               else _("All of %(team)s's services are checked at %(host)s from the next round.", team=change["team"],
                      host=change["host"]))
    return done(message, PAGE, _anchor="hosts")


@bp.post("/services/hosts/import")
def import_hosts() -> Any:
    refusals.back_to(PAGE, "#hosts")
    upload = request.files.get("csv")
    if not upload or not upload.filename:
        raise Refused(N_("Choose a CSV file with the columns team, host and optionally service."))
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(N_("The CSV must be UTF-8 text.")) from None
    count = hosts.import_hosts(db(), text, actor_label())
    return done(ngettext("%(num)s host imported; the next round checks it.",
                         "%(num)s hosts imported; the next round checks them.", count), PAGE, _anchor="hosts")
