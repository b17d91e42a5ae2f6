"""Checking a submitted answer against a challenge's flags: right or wrong. Pure functions: no
Flask, no database. (Grading is the judges' marking of reports: ``drill/judging.py``.)

Every answer type (``answers.TYPES``) normalises the submitted text, then compares bytes in
constant time, so timing says nothing about how close a guess was.
"""
from __future__ import annotations

from typing import Any

from scoreboard.core.answers import TYPES

MAX_ANSWER = 1000


def check(kind: str, expected: Any, answer: str, options: dict[str, Any] | None = None) -> bool:
    """True when ``answer`` satisfies one accepted answer of the given type."""
    if kind not in TYPES:
        raise ValueError(f"unknown answer type {kind!r}")
    return TYPES[kind].check(expected, answer.strip(), options or {})
