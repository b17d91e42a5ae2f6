"""The public board from the database: standings in one aggregate query, the feed, the grid.

These are the reads behind a snapshot (``snapshot.BoardCache`` runs them once per change and
shares the encoded result) and behind the organizers' true standings. No Flask here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select
from sqlalchemy.orm import Session

from scoreboard.core.clock import Clock, public_name
from scoreboard.core.scoring import Board, Standing, dynamic_value, rank, weighted
from scoreboard.core.text import render_markdown
from scoreboard.store import events
from scoreboard.store.models import (
    Announcement,
    Award,
    Challenge,
    Deduction,
    Event,
    Grade,
    Hint,
    HintUnlock,
    RevealProgress,
    Solve,
    Team,
    UTCDateTime,
)

RECENT = 20


@dataclass(frozen=True, eq=False)
class Visibility:
    """Which score rows a reader sees: each row up to ``cutoff`` (None: no limit), a team's rows
    up to its ``revealed`` time beyond that (the closing reveal), and none after ``until`` (the
    replay's moment). A row's time is when it changed the board: a solve's, a grade's release."""

    cutoff: datetime | None = None
    revealed: Mapping[int, datetime] = field(default_factory=dict)
    until: datetime | None = None

    def shows(self, team_id: int, at: datetime) -> bool:
        if self.until is not None and at > self.until:
            return False
        if self.cutoff is None or at <= self.cutoff:
            return True
        revealed = self.revealed.get(team_id)
        return revealed is not None and at <= revealed

    def where(self, column: Any, team_column: Any) -> list[ColumnElement[bool]]:
        """SQL conditions under which the row timed by ``column`` of team ``team_column`` shows."""
        return [column <= limit for limit in self._limits(team_column)]

    def hides(self, column: Any, team_column: Any) -> list[ColumnElement[bool]]:
        """SQL conditions any one of which hides the row timed by ``column`` (e.g. a void)."""
        return [column > limit for limit in self._limits(team_column)]

    def _limits(self, team_column: Any) -> list[Any]:
        limits: list[Any] = []
        if self.cutoff is not None:
            cutoff = literal(self.cutoff, UTCDateTime())
            limits.append(case({team: literal(until, UTCDateTime()) for team, until in self.revealed.items()},
                               value=team_column, else_=cutoff) if self.revealed else cutoff)
        if self.until is not None:
            limits.append(literal(self.until, UTCDateTime()))
        return limits


Cutoff = datetime | Visibility | None


def visibility(cutoff: Cutoff) -> Visibility:
    """Callers may pass a plain cutoff time (or None: everything) wherever a Visibility goes."""
    return cutoff if isinstance(cutoff, Visibility) else Visibility(cutoff)


def public_view(session: Session, clock: Clock, now: datetime) -> Visibility:
    """What the public board shows now: the freeze's cutoff, and what the reveal has shown since."""
    cutoff = clock.public_cutoff(now)
    if cutoff is None or clock.reveal != "revealing":
        return Visibility(cutoff)
    return Visibility(cutoff, dict(session.execute(select(RevealProgress.team_id, RevealProgress.until)).all()))


def solve_counts(session: Session, cutoff: Cutoff = None) -> dict[int, int]:
    query = select(Solve.challenge_id, func.count()).group_by(Solve.challenge_id)
    query = query.where(*visibility(cutoff).where(Solve.at, Solve.team_id))
    return dict(session.execute(query).all())


def value_of(challenge: Challenge, solves: int) -> int:
    """Current points of a challenge given how many teams have solved it."""
    if challenge.scoring == "dynamic":
        return dynamic_value(challenge.initial or 0, challenge.decay or 0, challenge.minimum or 0, solves,
                             challenge.function)
    return challenge.value


def challenge_values(session: Session, cutoff: Cutoff = None) -> dict[int, int]:
    counts = solve_counts(session, cutoff)
    challenges = session.scalars(select(Challenge).where(Challenge.removed.is_(False))).all()
    return {c.id: value_of(c, counts.get(c.id, 0)) for c in challenges}


def compute(session: Session, cutoff: Cutoff = None, version: int = 0,
            include_disabled: bool = False) -> Board:
    """Rank every team on what ``cutoff`` shows (a time, a Visibility, None: everything) from its
    three categories of points.

    flags: solves (with first bloods), awards, less hint costs; reports: released grades;
    deductions: the red team's, unless voided. With pack.yml ``weights`` the score is the
    weighted sum (``scoring.weighted``); each standing carries the breakdown either way.
    """
    view = visibility(cutoff)
    flags = _flag_points(session, view)
    reports = _report_points(session, view)
    deducted = _deducted_points(session, view)
    weights = events.drill(session).weights
    query = select(Team.id, Team.name, Team.country)
    if not include_disabled:
        query = query.where(Team.disabled.is_(False))
    rows = []
    for team_id, name, country in session.execute(query):
        flag_points, n, flag_last = flags.get(team_id, (0, 0, None))
        report_points, report_last = reports.get(team_id, (0, None))
        breakdown = {"flags": flag_points, "reports": report_points, "deductions": deducted.get(team_id, 0)}
        last = max((t for t in (flag_last, report_last) if t), default=None)
        rows.append(Standing(team_id, name, country, weighted(breakdown, weights), n, last, breakdown=breakdown))
    return Board(version, rank(rows))


def _flag_points(session: Session, view: Visibility) -> dict[int, tuple[int, int, datetime | None]]:
    """Per team: solve points with first bloods, plus awards, less hint costs; solves; last gain."""
    values = challenge_values(session, view)
    bonus = events.drill(session).first_blood_bonus
    solve_filter = view.where(Solve.at, Solve.team_id)
    first = (select(Solve.challenge_id, func.min(Solve.id).label("first_id")).where(*solve_filter)
             .group_by(Solve.challenge_id).subquery())
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
    award_filter = view.where(Award.at, Award.team_id)
    awards = (
        select(Award.team_id, func.sum(Award.value).label("points"),
               func.max(case((Award.value > 0, Award.at), else_=None)).label("last"))
        .where(*award_filter).group_by(Award.team_id).subquery()
    )
    unlock_filter = view.where(HintUnlock.at, HintUnlock.team_id)
    costs = (
        select(HintUnlock.team_id, func.sum(Hint.cost).label("cost"))
        .join(Hint, Hint.id == HintUnlock.hint_id).where(*unlock_filter)
        .group_by(HintUnlock.team_id).subquery()
    )
    query = (
        select(Team.id,
               func.coalesce(solves.c.points, 0) + func.coalesce(awards.c.points, 0) - func.coalesce(costs.c.cost, 0),
               func.coalesce(solves.c.n, 0), solves.c.last, awards.c.last)
        .outerjoin(solves, solves.c.team_id == Team.id)
        .outerjoin(awards, awards.c.team_id == Team.id)
        .outerjoin(costs, costs.c.team_id == Team.id)
    )
    result = {}
    for team_id, score, n, last_solve, last_award in session.execute(query):
        last = max((t for t in (_aware(last_solve), _aware(last_award)) if t), default=None)
        result[team_id] = (int(score or 0), int(n or 0), last)
    return result


def _report_points(session: Session, view: Visibility) -> dict[int, tuple[int, datetime | None]]:
    """Per team: released report grades and when the last was released."""
    query = (select(Grade.team_id, func.sum(Grade.points), func.max(Grade.released_at))
             .where(Grade.released_at.is_not(None), *view.where(Grade.released_at, Grade.team_id))
             .group_by(Grade.team_id))
    return {team_id: (int(points or 0), _aware(last)) for team_id, points, last in session.execute(query)}


def _deducted_points(session: Session, view: Visibility) -> dict[int, int]:
    """Per team: points the red team took, leaving out deductions whose void shows."""
    query = select(Deduction.team_id, func.sum(Deduction.points)).where(*_counting(view)).group_by(Deduction.team_id)
    return {team_id: int(points or 0) for team_id, points in session.execute(query)}


def _counting(view: Visibility) -> list[Any]:
    """The deductions that count for ``view``: recorded where it shows, and no void it shows."""
    return [*view.where(Deduction.at, Deduction.team_id),
            or_(Deduction.voided_at.is_(None), *view.hides(Deduction.voided_at, Deduction.team_id))]


def _aware(value: Any) -> datetime | None:
    """Aggregates (MAX) come back untyped on SQLite: text or naive; make them aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# What the public feed shows, from the stored events.
FEED_KINDS = ("solve", "graded", "deduction")


def recent_solves(session: Session, cutoff: Cutoff, limit: int = RECENT) -> list[dict[str, Any]]:
    """The public feed, newest first, from the stored events (held ones once revealed): solves
    exactly as they were sent; graded reports and deductions add their ``kind`` (a voided
    deduction ``voided``)."""
    view = visibility(cutoff)
    query = (select(Event.id, Event.kind, Event.payload).where(Event.kind.in_(FEED_KINDS))
             .order_by(Event.id.desc()))
    if view.until is not None:
        query = query.where(Event.at <= view.until)
    if view.cutoff is None:
        rows = list(session.execute(query.limit(limit)))
    else:
        rows = list(session.execute(query.where(Event.at <= view.cutoff, Event.held.is_(False)).limit(limit)))
        if view.revealed:
            held = session.execute(query.add_columns(Event.at).where(Event.held.is_(True), Event.at > view.cutoff))
            rows += [(i, kind, payload) for i, kind, payload, at in held
                     if view.shows(payload.get("team_id"), _aware(at))]
        rows = sorted(rows, key=lambda row: row[0], reverse=True)[:limit]
    voided = _voided(session, view) if any(kind == "deduction" for _, kind, _ in rows) else set()
    feed = []
    for _, kind, payload in rows:
        if kind == "solve":
            feed.append(payload)
            continue
        item = {"kind": kind, **payload}
        if kind == "deduction" and (payload["team_id"], payload["at"]) in voided:
            item["voided"] = True
        feed.append(item)
    return feed


def _voided(session: Session, view: Visibility) -> set[tuple[int, str]]:
    """(team, time) of the deductions whose void shows: a deduction event names no row id."""
    query = select(Deduction.team_id, Deduction.at).where(
        Deduction.voided_at.is_not(None), *view.where(Deduction.voided_at, Deduction.team_id))
    return {(team_id, _aware(at).isoformat()) for team_id, at in session.execute(query)}


def public_announcements(session: Session, limit: int = RECENT) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Announcement).where(Announcement.team_id.is_(None)).order_by(Announcement.id.desc()).limit(limit)
    )
    return [announcement_payload(a) for a in rows]


def announcement_payload(row: Announcement) -> dict[str, Any]:
    """The announcement in English with its other languages: each viewer's page picks its own."""
    return {"id": row.id, "title": row.title, "body_html": render_markdown(row.body), "at": row.at.isoformat(),
            "team_id": row.team_id,
            "translations": {lang: {"title": text["title"], "body_html": render_markdown(text["body"])}
                             for lang, text in (row.translations or {}).items()}}


def _category_steps(session: Session, view: Visibility) -> list[list[Any]]:
    """Released grades and counting deductions as chart steps ``[team, points, at, category]``: the
    category lets the chart apply pack.yml weights (flags-category rows carry none)."""
    grades = select(Grade.team_id, Grade.points, Grade.released_at).where(
        Grade.released_at.is_not(None), *view.where(Grade.released_at, Grade.team_id))
    taken = select(Deduction.team_id, -Deduction.points, Deduction.at).where(*_counting(view))
    return [[t, v, _aware(at).isoformat(), category]
            for query, category in ((grades, "reports"), (taken, "deductions")) for t, v, at in session.execute(query)]


def public_grid(session: Session, cutoff: Cutoff, now: datetime) -> dict[str, Any]:
    """What the board's grid and chart need: open flag challenges (report tasks have no solves to
    show), public solves, awards, grades and deductions."""
    clock = events.clock_of(events.drill(session))
    view = visibility(cutoff)
    values = challenge_values(session, view)
    opened = [c for c in session.scalars(select(Challenge).where(Challenge.kind == "flag")
                                         .order_by(Challenge.category, Challenge.position))
              if clock.shows(c, now)]
    solve_query = select(Solve.team_id, Solve.challenge_id, Solve.at).order_by(Solve.id)
    award_query = select(Award.team_id, Award.value, Award.at).order_by(Award.id)
    # Hint costs lower scores too; the chart shows them as unnamed deductions.
    cost_query = (select(HintUnlock.team_id, -Hint.cost, HintUnlock.at).join(Hint, Hint.id == HintUnlock.hint_id)
                  .where(Hint.cost > 0).order_by(HintUnlock.id))
    solve_query = solve_query.where(*view.where(Solve.at, Solve.team_id))
    award_query = award_query.where(*view.where(Award.at, Award.team_id))
    cost_query = cost_query.where(*view.where(HintUnlock.at, HintUnlock.team_id))
    open_ids = {c.id for c in opened}
    return {
        "challenges": [{"id": c.id, "name": public_name(c), "category": c.category, "value": values.get(c.id, 0)}
                       for c in opened],
        "solves": [[t, c, at.isoformat()] for t, c, at in session.execute(solve_query) if c in open_ids],
        "awards": sorted([*([t, v, _aware(at).isoformat()] for query in (award_query, cost_query)
                            for t, v, at in session.execute(query)), *_category_steps(session, view)],
                         key=lambda row: row[2]),
        "first_blood_bonus": events.drill(session).first_blood_bonus,
    }
