"""Checks for single values from a pack, bounded by what the database and the clock can hold.

Each returns the clean value or raises ``Invalid`` (a ``ValueError`` carrying a message id) for
the organizer; the caller adds ``file:line``. A pack that validates must never fail later on apply or at run time.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scoreboard.core import clock
from scoreboard.core.errors import N_, Invalid, Refused
from scoreboard.core.text import check_markdown
from scoreboard.packs.problems import short

MAX_INT = 2**31 - 1  # a 32-bit signed integer column
FIRST_YEAR, LAST_YEAR = clock.YEARS


def shown(value: Any) -> str:
    """A value from the pack as YAML writes it, cut to one line: what the organizer typed."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return short(value)


def whole(value: Any, key: str, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """A whole number, or a string of digits (ctfcli converts ``value: "200"`` too)."""
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,12}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(N_("%(key)s must be a whole number, not %(value)s"), key=f"'{key}'", value=shown(value))
    if not minimum <= value <= maximum:
        raise Invalid(N_("%(key)s must be a whole number from %(min)s to %(max)s, not %(value)s"), key=f"'{key}'",
                      min=minimum, max=maximum, value=shown(value))
    return value


def text(value: Any, key: str, max_length: int | None = None) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Invalid(N_("%(key)s must be text, not %(value)s"), key=f"'{key}'", value=shown(value))
    value = str(value)
    if max_length is not None and len(value) > max_length:
        raise Invalid(N_("%(key)s is longer than %(max)s characters"), key=f"'{key}'", max=max_length)
    return value


def markdown(value: Any, key: str, max_length: int | None = None) -> str:
    """Text rendered as Markdown, within what one render may cost (``core.text``'s bounds)."""
    value = text(value, key, max_length)
    try:
        check_markdown(value)
    except Refused as err:
        raise Invalid(N_("%(key)s: %(problem)s"), key=f"'{key}'", problem=err) from None
    return value


def moment(value: Any, key: str) -> datetime:
    """ISO 8601 with a zone, in a year the clock and every database can hold."""
    try:
        parsed = clock.parse_time(str(value))
    except Invalid as err:
        raise Invalid(N_("%(key)s: %(problem)s"), key=f"'{key}'", problem=err) from None
    except (ValueError, OverflowError):
        raise Invalid(N_("%(key)s: %(value)s is not an ISO 8601 time such as 2026-11-25T09:00:00+08:00"),
                      key=f"'{key}'", value=shown(value)) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise Invalid(N_("%(key)s must lie between the years %(first)s and %(last)s"), key=f"'{key}'",
                      first=FIRST_YEAR, last=LAST_YEAR)
    return parsed


def duration(value: Any, key: str) -> int:
    """Seconds after the drill starts (``90m``, ``1h30m``), at most what a 32-bit column holds."""
    try:
        seconds = clock.parse_duration(value)
    except Invalid as err:
        raise Invalid(N_("%(key)s: %(problem)s"), key=f"'{key}'", problem=err) from None
    if seconds > MAX_INT:
        raise Invalid(N_("%(key)s is too far away: at most %(hours)s h"), key=f"'{key}'", hours=MAX_INT // 3600)
    return seconds
