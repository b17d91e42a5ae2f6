"""The replay: the public board as it stood at any minute of the drill, from the stored rows.

Standings at a moment are the board computed with what the public board shows now, cut off at
that moment (``standings.Visibility(until=...)``), so a replay never shows a change the freeze or an
unfinished reveal still holds back. The feed is the stored public event stream up to that
moment; the score series (top 10) is built from the same public solves and awards as the board's
chart. Answers are kept per moment until the stream moves on. No Flask here.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from scoreboard.board import standings
from scoreboard.core.errors import N_, Refused
from scoreboard.store import events
from scoreboard.store.models import Event

# The kinds of public event the feed lists (the rest re-score or re-time the board).
FEED_KINDS = ("solve", "award", "announcement", "release", "freeze", "graded", "deduction", "reveal")
FEED = 20
TOP = 10


def span(session: Session, now: datetime) -> tuple[datetime | None, int]:
    """The drill's start and how many whole minutes of it a replay can show (to now, or the end)."""
    row = events.drill(session)
    if row.starts_at is None or now < row.starts_at:
        return row.starts_at, 0
    last = min(now, row.ends_at) if row.ends_at else now
    return row.starts_at, int((last - row.starts_at).total_seconds() // 60)


def moment(session: Session, now: datetime, minute: str | None = None) -> datetime:
    """The moment a replay asks for: ``minute`` (text, as a query gives it) minutes after the start,
    the last minute when later or absent."""
    start, minutes = span(session, now)
    if start is None or now < start:
        raise Refused(N_("the drill has not started yet: there is nothing to replay"), status=404)
    if minute is None or minute == "":
        return start + timedelta(minutes=minutes)
    if not (minute.isascii() and minute.isdigit()) or len(minute) > 9:
        raise Refused(N_("give the minute as a whole number from 0 to %(last)s"), last=minutes)
    return start + timedelta(minutes=min(int(minute), minutes))


def replay(session: Session, now: datetime, at: datetime) -> dict[str, Any]:
    """Ranks, feed and score series at ``at``, as the public may see them."""
    public = standings.public_view(session, events.clock_of(events.drill(session)), now)
    view = standings.Visibility(public.cutoff, public.revealed, until=at)
    rows = [row.as_dict() for row in standings.compute(session, view).standings]
    start, minutes = span(session, now)
    return {
        "at": at.isoformat(),
        "minute": int((at - start).total_seconds() // 60),
        "minutes": minutes,
        "starts_at": start.isoformat(),
        "standings": rows,
        "feed": _feed(session, view),
        "series": _series(session, view, rows, at, now),
        "weights": events.drill(session).weights,
    }


def _feed(session: Session, view: standings.Visibility) -> list[dict[str, Any]]:
    """Public events up to the moment, newest first; held solves and awards once revealed."""
    rows = session.execute(
        select(Event.kind, Event.payload, Event.at, Event.held)
        .where(Event.at <= view.until, Event.kind.in_(FEED_KINDS),
               or_(Event.seq.is_not(None), and_(Event.held.is_(True), Event.kind.in_(("solve", "award")))))
        .order_by(Event.id.desc()))
    feed = []
    for kind, payload, at, held in rows:
        if held and not view.shows(payload.get("team_id"), at):
            continue
        feed.append({"kind": kind, **payload})
        if len(feed) == FEED:
            break
    return feed


def _series(session: Session, view: standings.Visibility, rows: list[dict[str, Any]], at: datetime,
            now: datetime) -> list[dict[str, Any]]:
    """Cumulative points of the top 10 over time, as the board's chart draws them."""
    grid = standings.public_grid(session, view, now)
    values = {c["id"]: c["value"] for c in grid["challenges"]}
    first: dict[int, int] = {}
    changes: dict[int, list[tuple[str, int]]] = {}
    for team_id, challenge_id, when in grid["solves"]:
        bonus = grid["first_blood_bonus"] if first.setdefault(challenge_id, team_id) == team_id else 0
        changes.setdefault(team_id, []).append((when, values.get(challenge_id, 0) + bonus))
    for team_id, value, when in grid["awards"]:
        changes.setdefault(team_id, []).append((when, value))
    series = []
    for row in rows[:TOP]:
        total, points = 0, []
        for when, value in sorted(changes.get(row["team_id"], [])):
            total += value
            points.append([when, total])
        points.append([at.isoformat(), row["score"]])
        series.append({"team": row["team"], "team_id": row["team_id"], "points": points})
    return series


class Answers:
    """Encoded answers per moment, kept until the event stream or the clock moves on."""

    SIZE = 256

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, now: datetime, at: datetime, encode: Any) -> bytes:
        clock = events.clock_of(events.drill(session))
        key = (at, session.scalar(select(func.max(Event.id))), clock.public_cutoff(now), clock.reveal)
        with self._lock:
            found = self._kept.get(key)
        if found is None:
            found = encode(replay(session, now, at))
            with self._lock:
                self._kept[key] = found
                while len(self._kept) > self.SIZE:
                    self._kept.popitem(last=False)
        return found
