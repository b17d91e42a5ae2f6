"""Late reports: how far past its deadline a report was filed, and what that costs its grade.

A report task says ``late: refuse`` (no report after the deadline) or ``late: {penalty_percent: N,
per_minutes: M}``: a late report is accepted, and its grade loses N % of its points for every
started M minutes past the deadline, never going below 0. Kept here, apart from the database,
so the arithmetic is one function that judges, teams and tests all read. No Flask here.
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import Any

REFUSE = "refuse"


def policy(late: Any) -> dict[str, int] | None:
    """The penalty a task's ``late`` setting asks for, or None when late reports are refused."""
    return late if isinstance(late, dict) else None


def seconds_late(deadline: datetime | None, at: datetime) -> int:
    """Whole seconds a filing at ``at`` came after ``deadline`` (0 when on time or no deadline)."""
    if deadline is None or at < deadline:
        return 0
    return max(1, math.ceil((at - deadline).total_seconds()))


def periods(late_seconds: int, per_minutes: int) -> int:
    """Started periods of ``per_minutes``: one second late is one period, M minutes and one second two."""
    return math.ceil(late_seconds / (per_minutes * 60)) if late_seconds > 0 else 0


def percent_taken(late_seconds: int, late: Any) -> int:
    """The share of the grade a report filed ``late_seconds`` late loses (0 to 100)."""
    rule = policy(late)
    if rule is None or late_seconds <= 0:
        return 0
    return min(100, rule["penalty_percent"] * periods(late_seconds, rule["per_minutes"]))


def penalized(points: int, late_seconds: int, late: Any) -> int:
    """The grade's points after the late penalty, rounded down, never below 0."""
    return max(0, points * (100 - percent_taken(late_seconds, late)) // 100)
