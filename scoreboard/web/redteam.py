"""The red team's page: record a successful attack against a team, and see what was recorded.

Thin: the form goes to ``deductions.record`` (the same function as ``POST /api/v1/deductions``);
the page shows redteam.yml's objectives against every team: which were hit where.
Works without JavaScript: the form posts and the page comes back with a message.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scoreboard.board.services import live_services
from scoreboard.core.errors import Refused
from scoreboard.drill import deductions, objectives
from scoreboard.store import uploads
from scoreboard.store.models import Team, utcnow
from scoreboard.web import i18n, refusals
from scoreboard.web.context import actor, db, form_number, received_files, services

bp = Blueprint("redteam", __name__)


@bp.errorhandler(Refused)
def _refused(err: Refused) -> Any:
    return refusals.answer(err, "redteam.page")


@bp.before_request
def _red_team_only() -> Any:
    who = actor()
    if who is None:
        return redirect(url_for("pages.login", next=request.path))
    if not (who.is_red_team or who.is_organizer):
        abort(403)
    return None


def evidence_upload(field: str = "evidence_file") -> uploads.Upload | None:
    """The form's evidence file, read up to one byte past the limit (so a larger one is refused)."""
    received = received_files(field, services().settings.max_evidence_bytes)
    return received[0] if received else None


def evidence_store() -> deductions.Store:
    settings = services().settings
    return deductions.Store(settings.files_dir, settings.max_evidence_bytes)


@bp.route("/redteam", methods=["GET", "POST"])
def page() -> Any:
    session = db()
    form = request.form
    if request.method == "POST":
        refusals.show_again(lambda: _render(form))
        row = deductions.record(session, form_number(form.get("team_id", "")), form_number(form.get("points", "")),
                                form.get("reason", ""), form.get("evidence", ""), utcnow(), actor(),
                                evidence_upload(), evidence_store(), objective=form.get("objective", ""),
                                service=form.get("service", ""))
        team = session.get(Team, row.team_id).name
        session.commit()
        flash(_("Deduction recorded: −%(points)s for %(team)s (%(reason)s).", points=row.points, team=team,
                reason=row.reason), "ok")
        return redirect(url_for("redteam.page"))
    return _render({})


def _render(form: Any) -> str:
    session = db()
    teams = session.scalars(select(Team).where(Team.disabled.is_(False)).order_by(Team.name)).all()
    lang = i18n.language()
    rows = objectives.localized(deductions.listing(session), lang)
    defended = [(s.key, (s.translations.get(lang) or {}).get("title") or s.title) for s in live_services(session)]
    return render_template("redteam.html", teams=teams, rows=rows, form=form, defended=defended,
                           max_mib=round(services().settings.max_evidence_bytes / 1024 / 1024, 1),
                           hits=objectives.hits(session, i18n.language()))
