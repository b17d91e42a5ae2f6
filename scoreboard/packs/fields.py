"""Checks for single values from a pack, bounded by what the database and the clock can hold.

Each returns the clean value or raises ``ValueError`` with a message for the organizer; the
caller adds ``file:line``. A pack that validates must never fail later on apply or at run time.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scoreboard.core import clock
from scoreboard.core.errors import Refused
from scoreboard.core.text import check_markdown
from scoreboard.packs.problems import short

MAX_INT = 2**31 - 1  # a 32-bit signed integer column
FIRST_YEAR, LAST_YEAR = clock.YEARS


def type_name(value: Any) -> str:
    for kind, words in ((bool, "true/false"), (int, "a whole number"), (float, "a number"),
                        (str, "text"), (list, "a list"), (dict, "a mapping")):
        if isinstance(value, kind):
            return words
    return "empty" if value is None else type(value).__name__


def whole(value: Any, key: str, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """A whole number, or a string of digits (ctfcli converts ``value: "200"`` too)."""
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,12}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'{key}' must be a whole number, not {short(value)}")
    if not minimum <= value <= maximum:
        raise ValueError(f"'{key}' must be a whole number from {minimum} to {maximum}, not {short(value)}")
    return value


def text(value: Any, key: str, max_length: int | None = None) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"'{key}' must be text, not {type_name(value)}")
    value = str(value)
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"'{key}' is longer than {max_length} characters")
    return value


def markdown(value: Any, key: str, max_length: int | None = None) -> str:
    """Text rendered as Markdown, within what one render may cost (``core.text``'s bounds)."""
    value = text(value, key, max_length)
    try:
        check_markdown(value)
    except Refused as err:
        raise ValueError(f"'{key}': {err.text()}") from None
    return value


def moment(value: Any, key: str) -> datetime:
    """ISO 8601 with a zone, in a year the clock and every database can hold."""
    try:
        parsed = clock.parse_time(str(value))
    except (ValueError, OverflowError) as err:
        raise ValueError(f"'{key}': {err}") from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValueError(f"'{key}' must lie between the years {FIRST_YEAR} and {LAST_YEAR}")
    return parsed


def duration(value: Any, key: str) -> int:
    """Seconds after the drill starts (``90m``, ``1h30m``), at most what a 32-bit column holds."""
    try:
        seconds = clock.parse_duration(value)
    except ValueError as err:
        raise ValueError(f"'{key}': {err}") from None
    if seconds > MAX_INT:
        raise ValueError(f"'{key}' is too far away: at most {MAX_INT // 3600}h")
    return seconds
