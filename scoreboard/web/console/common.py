"""What every console page shares: the blueprint, the organizers-only check, the way an action
ends (commit and say so, or roll back and say why) and how times are read from forms and shown.

Kept apart from the pages so that each page module imports these helpers from here and the
console's modules form no import circle.
"""
from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for

from scoreboard.core import clock
from scoreboard.core.errors import N_, Refused
from scoreboard.store.models import User
from scoreboard.web import i18n
from scoreboard.web.context import actor, catalog, db

bp = Blueprint("console", __name__, url_prefix="/console")


@bp.before_request
def _organizers_only() -> Any:
    who = actor()
    if who is None:
        return redirect(url_for("pages.login", next=request.path))
    if not who.is_admin:
        abort(403)
    return None


def actor_label() -> str:
    return actor().user_name


def acting_user() -> User:
    return db().get(User, actor().user_id)


def done(message: str, endpoint: str, **values: Any) -> Any:
    db().commit()
    flash(message, "ok")
    return redirect(url_for(endpoint, **values))


def refused(err: Exception, endpoint: str, **values: Any) -> Any:
    db().rollback()
    flash(i18n.refusal(err), "error")
    return redirect(url_for(endpoint, **values))


def home_zone() -> tzinfo:
    """The drill's home zone (pack.yml ``timezone``): the console's one zone for reading and writing times."""
    return clock.zone(catalog().home_timezone)


def form_time(name: str) -> Any:
    """A time from a form: ISO 8601 with a zone, or a zone-less datetime-local read in the drill's
    home zone (the zone the console shows every time in)."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return clock.parse_time(raw)
    except ValueError:
        try:
            return clock.parse_time(datetime.fromisoformat(raw).replace(tzinfo=home_zone()))
        except (ValueError, OverflowError):
            raise Refused(N_("%(value)s is not a date and time between the years 1970 and 9000, such as "
                             "2026-11-25T09:00."), value=repr(raw)) from None


@bp.app_template_filter("drill_time")
def drill_time(value: Any) -> str:
    """A time in the drill's home zone with UTC beside (ISO dates: never a locale's order)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not value:
        return "–"
    utc = value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    zone = catalog().home_timezone
    if clock.zone(zone) is timezone.utc or zone == "UTC":
        return utc
    return f"{value.astimezone(home_zone()).strftime('%Y-%m-%d %H:%M:%S')} ({i18n.zone_name(zone)}) · {utc}"


@bp.app_template_filter("local_input")
def local_input(value: Any) -> str:
    """A stored time as the value of a datetime-local input, in the drill's home zone."""
    return value.astimezone(home_zone()).strftime("%Y-%m-%dT%H:%M") if value else ""
