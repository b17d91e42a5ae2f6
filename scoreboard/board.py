"""The public board from the database: standings in one aggregate query, the feed, the grid.

These are the reads behind a snapshot (``snapshot.BoardCache`` runs them once per change and
shares the encoded result) and behind the organizers' true standings. No Flask here.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session

from . import events
from .clock import public_name
from .models import Announcement, Award, Challenge, Deduction, Event, Grade, Hint, HintUnlock, Solve, Team
from .scoring import Board, Standing, dynamic_value, rank, weighted
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
    """Rank every team up to ``cutoff`` from its three categories of points.

    flags: solves (with first bloods), awards, less hint costs; reports: released grades;
    deductions: the red team's, unless voided. With pack.yml ``weights`` the score is the
    weighted sum (``scoring.weighted``); each standing carries the breakdown either way.
    """
    flags = _flag_points(session, cutoff)
    reports = _report_points(session, cutoff)
    deducted = _deducted_points(session, cutoff)
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


def _flag_points(session: Session, cutoff: datetime | None) -> dict[int, tuple[int, int, datetime | None]]:
    """Per team: solve points with first bloods, plus awards, less hint costs; solves; last gain."""
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


def _report_points(session: Session, cutoff: datetime | None) -> dict[int, tuple[int, datetime | None]]:
    """Per team: released report grades and when the last was released."""
    query = (select(Grade.team_id, func.sum(Grade.points), func.max(Grade.released_at))
             .where(Grade.released_at.is_not(None)).group_by(Grade.team_id))
    if cutoff:
        query = query.where(Grade.released_at <= cutoff)
    return {team_id: (int(points or 0), _aware(last)) for team_id, points, last in session.execute(query)}


def _deducted_points(session: Session, cutoff: datetime | None) -> dict[int, int]:
    """Per team: points the red team took, leaving out deductions voided (by ``cutoff``)."""
    query = select(Deduction.team_id, func.sum(Deduction.points)).where(*_counting(cutoff)).group_by(Deduction.team_id)
    return {team_id: int(points or 0) for team_id, points in session.execute(query)}


def _counting(cutoff: datetime | None) -> list[Any]:
    """The deductions that count at ``cutoff``: recorded by then and not voided by then."""
    if cutoff:
        return [Deduction.at <= cutoff, or_(Deduction.voided_at.is_(None), Deduction.voided_at > cutoff)]
    return [Deduction.voided_at.is_(None)]


def _aware(value: Any) -> datetime | None:
    """Aggregates (MAX) come back untyped on SQLite: text or naive; make them aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# What the public feed shows, from the stored events.
FEED_KINDS = ("solve", "graded", "deduction")


def recent_solves(session: Session, cutoff: datetime | None, limit: int = RECENT) -> list[dict[str, Any]]:
    """The public feed, newest first, from the stored events: solves exactly as they were sent;
    graded reports and red-team deductions add their ``kind`` (a voided deduction ``voided``)."""
    query = select(Event.kind, Event.payload).where(Event.kind.in_(FEED_KINDS)).order_by(Event.id.desc()).limit(limit)
    if cutoff:
        query = query.where(Event.at <= cutoff, Event.held.is_(False))
    rows = session.execute(query).all()
    voided = _voided(session, cutoff) if any(kind == "deduction" for kind, _ in rows) else set()
    feed = []
    for kind, payload in rows:
        if kind == "solve":
            feed.append(payload)
            continue
        item = {"kind": kind, **payload}
        if kind == "deduction" and (payload["team_id"], payload["at"]) in voided:
            item["voided"] = True
        feed.append(item)
    return feed


def _voided(session: Session, cutoff: datetime | None) -> set[tuple[int, str]]:
    """(team, time) of the deductions voided (by ``cutoff``): a deduction event names no row id."""
    query = select(Deduction.team_id, Deduction.at).where(Deduction.voided_at.is_not(None))
    if cutoff:
        query = query.where(Deduction.voided_at <= cutoff)
    return {(team_id, _aware(at).isoformat()) for team_id, at in session.execute(query)}


def public_announcements(session: Session, limit: int = RECENT) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Announcement).where(Announcement.team_id.is_(None)).order_by(Announcement.id.desc()).limit(limit)
    )
    return [announcement_payload(a) for a in rows]


def announcement_payload(row: Announcement) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "body_html": render_markdown(row.body), "at": row.at.isoformat(),
            "team_id": row.team_id}


def _category_steps(session: Session, cutoff: datetime | None) -> list[list[Any]]:
    """Released grades and counting deductions as chart steps ``[team, points, at, category]``: the
    category lets the chart apply pack.yml weights (flags-category rows carry none)."""
    grades = select(Grade.team_id, Grade.points, Grade.released_at).where(Grade.released_at.is_not(None))
    if cutoff:
        grades = grades.where(Grade.released_at <= cutoff)
    taken = select(Deduction.team_id, -Deduction.points, Deduction.at).where(*_counting(cutoff))
    return [[t, v, _aware(at).isoformat(), category]
            for query, category in ((grades, "reports"), (taken, "deductions")) for t, v, at in session.execute(query)]


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
        "challenges": [{"id": c.id, "name": public_name(c), "category": c.category, "value": values.get(c.id, 0)}
                       for c in opened],
        "solves": [[t, c, at.isoformat()] for t, c, at in session.execute(solve_query) if c in open_ids],
        "awards": sorted([*([t, v, _aware(at).isoformat()] for query in (award_query, cost_query)
                            for t, v, at in session.execute(query)), *_category_steps(session, cutoff)],
                         key=lambda row: row[2]),
        "first_blood_bonus": events.drill(session).first_blood_bonus,
    }
