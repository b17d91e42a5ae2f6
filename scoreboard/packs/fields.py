"""Checks for single values from a pack.

Each returns the clean value or raises ``ValueError`` with a message for the organizer; the
caller adds ``file:line``.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .. import clock
from .report import short

MAX_INT = 2**31 - 1  # a 32-bit signed integer column


def type_name(value: Any) -> str:
    for kind, words in ((bool, "true/false"), (int, "a whole number"), (float, "a number"),
                        (str, "text"), (list, "a list"), (dict, "a mapping")):
        if isinstance(value, kind):
            return words
    return "empty" if value is None else type(value).__name__


def whole(value: Any, key: str, minimum: int = 0) -> int:
    """A whole number, or a string of digits (ctfcli converts ``value: "200"`` too)."""
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'{key}' must be a whole number, not {short(value)}")
    if value < minimum:
        raise ValueError(f"'{key}' must be a whole number ≥ {minimum}, not {short(value)}")
    return value


def text(value: Any, key: str, max_length: int | None = None) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"'{key}' must be text, not {type_name(value)}")
    value = str(value)
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"'{key}' is longer than {max_length} characters")
    return value


def moment(value: Any, key: str) -> datetime:
    """ISO 8601 with a zone."""
    try:
        return clock.parse_time(str(value))
    except ValueError as err:
        raise ValueError(f"'{key}': {err}") from None


def duration(value: Any, key: str) -> int:
    """Seconds after the drill starts (``90m``, ``1h30m``)."""
    try:
        return clock.parse_duration(value)
    except ValueError as err:
        raise ValueError(f"'{key}': {err}") from None
