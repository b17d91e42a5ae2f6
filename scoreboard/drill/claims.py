"""What a team's detection report and its appeal share: its own deduction, and bounded text.

A team only ever reaches its own deductions: another team's id answers "no such deduction",
exactly as an unknown one, so ids reveal nothing. No Flask here.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from scoreboard.core.errors import N_, Forbidden, NotFound, Refused
from scoreboard.drill import deductions
from scoreboard.drill.accounts import Actor
from scoreboard.store import events
from scoreboard.store.db import find
from scoreboard.store.models import Deduction

MAX_TEXT = 5000
MAX_COMMENT = 2000


def team_deduction(session: Session, who: Actor | None, deduction_id: Any) -> Deduction:
    """The caller's team's deduction ``deduction_id``, still counting (not voided)."""
    if who is None or who.team_id is None:
        raise Forbidden(N_("only a team's members can answer a deduction against their team"))
    row = find(session, Deduction, deduction_id)
    if row is None or row.team_id != who.team_id:
        raise NotFound(N_("no such deduction"))
    if row.voided_at is not None:
        raise Refused(N_("this deduction was voided: your team has its points back already"))
    return row


def text(value: Any, limit: int, missing: str) -> str:
    """Stripped text of at most ``limit`` characters; ``missing`` when blank."""
    if value is not None and not isinstance(value, str):
        raise Refused(N_("the text must be text"))
    if not value or not value.strip():
        raise Refused(missing)
    if "\x00" in value:
        raise Refused(N_("text must not contain NUL characters"))
    if len(value) > limit:
        raise Refused(N_("the text is too long (at most %(max)s characters)"), max=limit)
    return value.strip()


def detection_deadline(session: Session, row: Deduction) -> datetime:
    """Until when the team may report that it detected this attack (redteam.yml's window)."""
    return row.at + timedelta(minutes=events.drill(session).detection_window_minutes)


def for_team(session: Session, team_id: int, now: datetime) -> list[dict[str, Any]]:
    """The team's deductions, newest first, each saying whether a detection report or an appeal
    can still be filed (and until when a detection can)."""
    items = deductions.listing(session, team_id=team_id)
    for item in items:
        row, counting = item["row"], item["row"].voided_at is None
        item["detect_until"] = detection_deadline(session, row)
        item["can_detect"] = counting and item["detection"] is None and now <= item["detect_until"]
        item["can_appeal"] = counting and item["appeal"] is None
    return items
