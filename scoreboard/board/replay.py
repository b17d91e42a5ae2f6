"""The replay: the public board as it stood at any minute of the drill, from the stored rows.

Standings at a moment are the ledger as the public board shows it now, cut off at that moment
(``ledger.Visibility.at``), so a replay never shows a change the freeze or an unfinished reveal
still holds back. The feed is the stored public event stream up to that moment; the score series
(top 10) are the standings' own chart steps, so the last point of each is the team's score. The
last frame is the end of the drill (or now), even when that is not a whole minute after the
start. Answers are kept per moment until the stream moves on. No Flask here.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoreboard.board import ledger, standings
from scoreboard.core import scoring
from scoreboard.core.errors import N_, Refused
from scoreboard.store import events
from scoreboard.store.models import Event

# The kinds of public event the feed lists (the rest re-score or re-time the board); a defended
# service's change of state (down, back up) is on the timeline too.
FEED_KINDS = ("solve", "award", "announcement", "release", "freeze", "graded", "deduction", "detection", "appeal",
              "reveal", "service")
FEED = 20


def span(session: Session, now: datetime) -> tuple[datetime | None, datetime | None, int]:
    """The drill's start, its last moment a replay can show and how many minutes the replay has:
    the last one, maybe shorter than a minute, ends at that moment. The last moment is now, or
    after the end the last change of the board (grades released and deductions voided after the
    end still count: the last frame is the final board)."""
    row = events.drill(session)
    if row.starts_at is None or now < row.starts_at:
        return row.starts_at, None, 0
    last = now
    if row.ends_at is not None and row.ends_at < now:
        changed = ledger.latest(session, now)
        last = max(row.ends_at, changed) if changed else row.ends_at
    return row.starts_at, last, math.ceil((last - row.starts_at).total_seconds() / 60)


def moment(session: Session, now: datetime, minute: str | None = None) -> datetime:
    """The moment a replay asks for: ``minute`` (text, as a query gives it) minutes after the start,
    the last moment when later or absent."""
    start, last, minutes = span(session, now)
    if start is None or last is None:
        raise Refused(N_("the drill has not started yet: there is nothing to replay"), status=404)
    if minute is None or minute == "":
        return last
    if not (minute.isascii() and minute.isdigit()) or len(minute) > 9:
        raise Refused(N_("give the minute as a whole number from 0 to %(last)s"), last=minutes)
    return min(last, start + timedelta(minutes=int(minute)))


def replay(session: Session, now: datetime, at: datetime) -> dict[str, Any]:
    """Ranks, feed and score series at ``at``, as the public may see them."""
    view = ledger.public_view(session, events.clock_of(events.drill(session)), now).at(at)
    board = standings.compute(session, view, ledger.entries(session, view)).standings
    start, _, minutes = span(session, now)
    return {
        "at": at.isoformat(),
        "minute": math.ceil((at - start).total_seconds() / 60),
        "minutes": minutes,
        "starts_at": start.isoformat(),
        "standings": [row.as_dict() for row in board],
        "feed": [{"kind": "solve", **item} for item in standings.recent_solves(session, view, FEED, FEED_KINDS)],
        "series": [{"team": row.team, "team_id": row.team_id, "points": [*row.steps, [at.isoformat(), row.score]]}
                   for row in board if scoring.charted(row.pos)],
        "weights": events.drill(session).weights,
    }


class Answers:
    """Encoded answers per moment, kept until the event stream or the clock moves on."""

    SIZE = 256

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, now: datetime, at: datetime, encode: Any) -> bytes:
        clock = events.clock_of(events.drill(session))
        key = (at, session.scalar(select(func.max(Event.pos))), clock.public_cutoff(now), clock.reveal)
        with self._lock:
            found = self._kept.get(key)
        if found is None:
            found = encode(replay(session, now, at))
            with self._lock:
                self._kept[key] = found
                while len(self._kept) > self.SIZE:
                    self._kept.popitem(last=False)
        return found
