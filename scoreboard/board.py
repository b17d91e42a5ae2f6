"""Standings from the database: one aggregate query, cached per board version.

The cache is the lesson from CTFd and RootTheBox: compute once per change, serve every reader
the same pre-encoded bytes until the next change, and let wrong attempts touch nothing.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from . import ctftime, events
from .clock import Clock
from .models import Announcement, Award, Challenge, Event, Hint, HintUnlock, Solve, Team, utcnow
from .scoring import Board, Standing, dynamic_value, rank
from .text import render_markdown

RECENT = 20


def solve_counts(session: Session, cutoff: datetime | None = None) -> dict[int, int]:
    query = select(Solve.challenge_id, func.count()).group_by(Solve.challenge_id)
    if cutoff:
        query = query.where(Solve.at <= cutoff)
    return dict(session.execute(query).all())


def value_of(challenge: Challenge, solves: int) -> int:
    """Current points of a challenge given how many teams have solved it."""
    if challenge.scoring == "dynamic":
        return dynamic_value(challenge.initial or 0, challenge.decay or 0, challenge.minimum or 0, solves,
                             challenge.function)
    return challenge.value


def challenge_values(session: Session, cutoff: datetime | None = None) -> dict[int, int]:
    counts = solve_counts(session, cutoff)
    challenges = session.scalars(select(Challenge).where(Challenge.removed.is_(False))).all()
    return {c.id: value_of(c, counts.get(c.id, 0)) for c in challenges}


def compute(session: Session, cutoff: datetime | None = None, version: int = 0,
            include_disabled: bool = False) -> Board:
    """Rank every team from solves, first bloods, awards and hint costs up to ``cutoff``."""
    values = challenge_values(session, cutoff)
    bonus = events.drill(session).first_blood_bonus
    first = select(Solve.challenge_id, func.min(Solve.id).label("first_id")).group_by(Solve.challenge_id)
    solve_filter = [Solve.at <= cutoff] if cutoff else []
    if cutoff:
        first = first.where(Solve.at <= cutoff)
    first = first.subquery()
    points = case(*[(Solve.challenge_id == cid, literal(v)) for cid, v in values.items()], else_=literal(0)) \
        if values else literal(0)
    blood = case((first.c.first_id == Solve.id, literal(bonus)), else_=literal(0))
    solves = (
        select(Solve.team_id, func.sum(points + blood).label("points"), func.count().label("n"),
               func.max(Solve.at).label("last"))
        .join(first, first.c.challenge_id == Solve.challenge_id)
        .where(Solve.challenge_id.in_(list(values)), *solve_filter)
        .group_by(Solve.team_id)
        .subquery()
    )
    award_filter = [Award.at <= cutoff] if cutoff else []
    awards = (
        select(Award.team_id, func.sum(Award.value).label("points"),
               func.max(case((Award.value > 0, Award.at), else_=None)).label("last"))
        .where(*award_filter).group_by(Award.team_id).subquery()
    )
    unlock_filter = [HintUnlock.at <= cutoff] if cutoff else []
    costs = (
        select(HintUnlock.team_id, func.sum(Hint.cost).label("cost"))
        .join(Hint, Hint.id == HintUnlock.hint_id).where(*unlock_filter)
        .group_by(HintUnlock.team_id).subquery()
    )
    query = (
        select(Team.id, Team.name, Team.country,
               func.coalesce(solves.c.points, 0) + func.coalesce(awards.c.points, 0) - func.coalesce(costs.c.cost, 0),
               func.coalesce(solves.c.n, 0), solves.c.last, awards.c.last)
        .outerjoin(solves, solves.c.team_id == Team.id)
        .outerjoin(awards, awards.c.team_id == Team.id)
        .outerjoin(costs, costs.c.team_id == Team.id)
    )
    if not include_disabled:
        query = query.where(Team.disabled.is_(False))
    rows = []
    for team_id, name, country, score, n, last_solve, last_award in session.execute(query):
        last = max((t for t in (_aware(last_solve), _aware(last_award)) if t), default=None)
        rows.append(Standing(team_id, name, country, int(score or 0), int(n or 0), last))
    return Board(version, rank(rows))


def _aware(value: Any) -> datetime | None:
    """Aggregates (MAX) come back untyped on SQLite: text or naive; make them aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def recent_solves(session: Session, cutoff: datetime | None, limit: int = RECENT) -> list[dict[str, Any]]:
    """The public solve feed, newest first, from the stored events."""
    query = select(Event.payload).where(Event.kind == "solve").order_by(Event.id.desc()).limit(limit)
    if cutoff:
        query = query.where(Event.at <= cutoff, Event.held.is_(False))
    return list(session.scalars(query))


def public_announcements(session: Session, limit: int = RECENT) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Announcement).where(Announcement.team_id.is_(None)).order_by(Announcement.id.desc()).limit(limit)
    )
    return [announcement_payload(a) for a in rows]


def announcement_payload(row: Announcement) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "body_html": render_markdown(row.body), "at": row.at.isoformat(),
            "team_id": row.team_id}


def public_grid(session: Session, cutoff: datetime | None, now: datetime) -> dict[str, Any]:
    """What the board's grid and chart need: open challenges, public solves and awards."""
    clock = events.clock_of(events.drill(session))
    values = challenge_values(session, cutoff)
    opened = [c for c in session.scalars(select(Challenge).order_by(Challenge.category, Challenge.position))
              if clock.shows(c, now)]
    solve_query = select(Solve.team_id, Solve.challenge_id, Solve.at).order_by(Solve.id)
    award_query = select(Award.team_id, Award.value, Award.at).order_by(Award.id)
    # Hint costs lower scores too; the chart shows them as unnamed deductions.
    cost_query = (select(HintUnlock.team_id, -Hint.cost, HintUnlock.at).join(Hint, Hint.id == HintUnlock.hint_id)
                  .where(Hint.cost > 0).order_by(HintUnlock.id))
    if cutoff:
        solve_query = solve_query.where(Solve.at <= cutoff)
        award_query = award_query.where(Award.at <= cutoff)
        cost_query = cost_query.where(HintUnlock.at <= cutoff)
    open_ids = {c.id for c in opened}
    return {
        "challenges": [{"id": c.id, "name": c.name, "category": c.category, "value": values.get(c.id, 0)}
                       for c in opened],
        "solves": [[t, c, at.isoformat()] for t, c, at in session.execute(solve_query) if c in open_ids],
        "awards": sorted(([t, v, _aware(at).isoformat()] for query in (award_query, cost_query)
                          for t, v, at in session.execute(query)), key=lambda row: row[2]),
        "first_blood_bonus": events.drill(session).first_blood_bonus,
    }


def last_seq(session: Session) -> int:
    return session.scalar(select(func.max(Event.id))) or 0


class BoardCache:
    """The public board and its encoded snapshot, reused by every reader until it changes.

    ``version`` comes from ``version_source`` (an in-process counter, or a Redis key when
    several workers share the board); it is bumped after each commit of a board-changing
    event. The cut-off (freeze) is part of the key, so the board freezes on time by itself.
    """

    def __init__(self, sessions: Callable[[], Session], version_source: VersionSource) -> None:
        self.sessions = sessions
        self.versions = version_source
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._board: Board | None = None
        self._encoded: dict[str, bytes] = {}
        self._snapshot: dict[str, Any] = {}
        self._clock: tuple[int, Clock] | None = None

    def _clock_at(self, version: int) -> Clock:
        """The drill clock, read again only when the version moved (every clock change bumps it)."""
        if self._clock is None or self._clock[0] != version:
            with self.sessions() as session:
                self._clock = (version, events.clock_of(events.drill(session)))
        return self._clock[1]

    def _current(self, now: datetime) -> tuple[tuple, Board, dict[str, bytes]]:
        version = self.versions.get()
        clock = self._clock_at(version)
        # Time alone can change the public board: a scheduled start or end, the freeze.
        key = (version, clock.public_cutoff(now), clock.frozen(now), clock.phase(now))
        if key == self._key and self._board is not None:
            return key, self._board, self._encoded
        with self._lock:
            if key != self._key:
                cutoff = clock.public_cutoff(now)
                with self.sessions() as session:
                    board = compute(session, cutoff, version)
                    standings = [row.as_dict() for row in board.standings]
                    snapshot = {
                        "seq": last_seq(session),
                        "standings": standings,
                        "recent_solves": recent_solves(session, cutoff),
                        "announcements": public_announcements(session),
                        "frozen": clock.frozen(now),
                        "clock": clock.as_dict(now),
                        **public_grid(session, cutoff, now),
                    }
                self._encoded = {
                    "scoreboard": _encode({"standings": standings, "frozen": clock.frozen(now)}),
                    "ctftime": ctftime.encode(ctftime.feed(standings, snapshot["challenges"], snapshot["solves"],
                                                           snapshot["first_blood_bonus"])),
                    "snapshot": _encode(snapshot),
                }
                self._board, self._key, self._snapshot = board, key, snapshot
            return self._key, self._board, self._encoded

    def board(self, now: datetime | None = None) -> Board:
        return self._current(now or utcnow())[1]

    def encoded(self, name: str, now: datetime | None = None) -> bytes:
        """Pre-encoded JSON: ``scoreboard``, ``ctftime`` or ``snapshot``."""
        return self._current(now or utcnow())[2][name]

    def snapshot(self, now: datetime | None = None) -> dict[str, Any]:
        """The snapshot new and resyncing clients get; shared, so callers must not modify it."""
        self._current(now or utcnow())
        return self._snapshot


def _encode(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


class VersionSource:
    """An in-process board version; ``RedisVersion`` shares it between workers."""

    def __init__(self) -> None:
        self._value = 0
        self._lock = threading.Lock()

    def get(self) -> int:
        return self._value

    def bump(self) -> int:
        with self._lock:
            self._value += 1
            return self._value


class RedisVersion(VersionSource):
    KEY = "drillboard:board-version"

    def __init__(self, client: Any) -> None:
        super().__init__()
        self.client = client

    def get(self) -> int:
        return int(self.client.get(self.KEY) or 0)

    def bump(self) -> int:
        return int(self.client.incr(self.KEY))
