"""The ledger: every row that carries points, and the one place that says which rows do.

A team's score is the sum of its ledger entries per category, weighted once
(``scoring.weighted``). Standings, the chart, the grid, the reveal, the replay, the exports and
the team page all read these entries, so they cannot disagree. Each entry has the time it
changed the board, so one visibility rule (the freeze's cutoff, the reveal's progress, the
replay's moment) applies to every kind alike:

- a solve, at the challenge's *current* value for that view (decay applies to every solver),
  and the first visible solve's first-blood bonus;
- an award; a hint bought (its cost, negative);
- a released grade, at its release;
- a red-team deduction (negative) at its time; an accepted detection's refund (positive) at
  its acceptance; the deduction's void at the void's time gives back what still counted
  (``counting_points``: its points less the refund). The replay shows each when it happened.

Disabled teams have no entries (unless asked for), nor do solves of removed challenges or solves
stored after the drill's ``ends_at``; a disabled team's solve never takes a first blood. No Flask.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, select
from sqlalchemy.orm import Session

from scoreboard.core.clock import Clock
from scoreboard.core.scoring import SIGN, dynamic_value, weighted
from scoreboard.store import events
from scoreboard.store.models import (
    Award,
    Challenge,
    Deduction,
    Detection,
    Grade,
    Hint,
    HintUnlock,
    RevealProgress,
    Solve,
    Team,
    UTCDateTime,
    counting_points,
)


@dataclass(frozen=True)
class Entry:
    """One row that carries points: whose, when it changed the board, which category, how many
    (signed: a hint's cost and a deduction are negative), and from what ``source`` ("solve",
    "first_blood", "award", "hint", "grade", "deduction", "refund", "void"); ``ref`` is the challenge
    of a solve, first blood, hint or grade, the row id of an award or deduction (for its refund and
    void too)."""

    team_id: int
    at: datetime
    category: str
    points: int
    source: str
    ref: int | None = None


@dataclass(frozen=True, eq=False)
class Visibility:
    """Which entries a reader sees: each up to ``cutoff`` (None: no limit), a team's up to its
    ``revealed`` time beyond that (the closing reveal), none after ``until`` (the replay's
    moment); disabled teams' only with ``everyone`` (organizers' views)."""

    cutoff: datetime | None = None
    revealed: Mapping[int, datetime] = field(default_factory=dict)
    until: datetime | None = None
    everyone: bool = False

    def shows(self, team_id: int, at: datetime) -> bool:
        if self.until is not None and at > self.until:
            return False
        if self.cutoff is None or at <= self.cutoff:
            return True
        revealed = self.revealed.get(team_id)
        return revealed is not None and at <= revealed

    def where(self, column: Any, team_column: Any) -> list[ColumnElement[bool]]:
        """SQL conditions under which the row timed by ``column`` of team ``team_column`` shows."""
        limits: list[Any] = []
        if self.cutoff is not None:
            cutoff = literal(self.cutoff, UTCDateTime())
            limits.append(case({team: literal(until, UTCDateTime()) for team, until in self.revealed.items()},
                               value=team_column, else_=cutoff) if self.revealed else cutoff)
        if self.until is not None:
            limits.append(literal(self.until, UTCDateTime()))
        return [column <= limit for limit in limits]

    def at(self, until: datetime) -> Visibility:
        """The same view at an earlier moment (the replay)."""
        return Visibility(self.cutoff, self.revealed, until, self.everyone)


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


def value_of(challenge: Any, solves: int) -> int:
    """Current points of a challenge given how many teams have solved it."""
    if challenge.scoring == "dynamic":
        return dynamic_value(challenge.initial or 0, challenge.decay or 0, challenge.minimum or 0, solves,
                             challenge.function)
    return challenge.value


def _shown(query: Select, view: Visibility, at: Any, team: Any) -> Select:
    """``query`` limited to what ``view`` shows, and to enabled teams unless it shows everyone."""
    query = query.where(*view.where(at, team))
    return query if view.everyone else query.where(team.in_(select(Team.id).where(Team.disabled.is_(False))))


def _solves(session: Session, view: Visibility) -> Select:
    """Solves that count: of challenges still in the drill, before the end, as ``view`` shows."""
    query = select(Solve.id, Solve.team_id, Solve.challenge_id, Solve.at).where(
        Solve.challenge_id.in_(select(Challenge.id).where(Challenge.removed.is_(False))))
    ends_at = events.drill(session).ends_at
    if ends_at is not None:
        query = query.where(Solve.at <= literal(ends_at, UTCDateTime()))
    return _shown(query, view, Solve.at, Solve.team_id)


def solve_counts(session: Session, cutoff: Cutoff = None) -> dict[int, int]:
    """Counting solves per challenge (what dynamic values and the challenge list use)."""
    shown = _solves(session, visibility(cutoff)).subquery()
    return dict(session.execute(select(shown.c.challenge_id, func.count()).group_by(shown.c.challenge_id)).all())


def challenge_values(session: Session, cutoff: Cutoff = None) -> dict[int, int]:
    counts = solve_counts(session, cutoff)
    challenges = session.scalars(select(Challenge).where(Challenge.removed.is_(False))).all()
    return {c.id: value_of(c, counts.get(c.id, 0)) for c in challenges}


def entries(session: Session, cutoff: Cutoff = None) -> list[Entry]:
    """Every entry ``cutoff`` shows (a time, a Visibility, None: everything), oldest first."""
    view = visibility(cutoff)
    found = [*_solve_entries(session, view), *_other_entries(session, view)]
    return sorted(found, key=lambda e: (e.at, e.team_id))


def _solve_entries(session: Session, view: Visibility) -> Iterable[Entry]:
    solves = list(session.execute(_solves(session, view).order_by(Solve.id)))
    counts: dict[int, int] = {}
    for _, _, challenge_id, _ in solves:
        counts[challenge_id] = counts.get(challenge_id, 0) + 1
    challenges = {c.id: c for c in session.scalars(select(Challenge).where(Challenge.id.in_(list(counts))))}
    values = {cid: value_of(challenges[cid], n) for cid, n in counts.items()}
    bonus = events.drill(session).first_blood_bonus
    blooded: set[int] = set()
    for _, team_id, challenge_id, at in solves:
        at = aware(at)
        yield Entry(team_id, at, "flags", values[challenge_id], "solve", challenge_id)
        if challenge_id not in blooded:  # marked even without a bonus: the grid shows it
            blooded.add(challenge_id)
            yield Entry(team_id, at, "flags", bonus, "first_blood", challenge_id)


def _other_entries(session: Session, view: Visibility) -> Iterable[Entry]:
    """Awards, hints bought, released grades, deductions, their refunds and their voids."""
    queries = (
        ("award", "flags", _shown(select(Award.team_id, Award.at, Award.value, Award.id), view, Award.at,
                                  Award.team_id)),
        ("hint", "flags", _shown(select(HintUnlock.team_id, HintUnlock.at, -Hint.cost, Hint.challenge_id)
                                 .join(Hint, Hint.id == HintUnlock.hint_id).where(Hint.cost > 0),
                                 view, HintUnlock.at, HintUnlock.team_id)),
        ("grade", "reports", _shown(select(Grade.team_id, Grade.released_at, Grade.points, Grade.challenge_id)
                                    .where(Grade.released_at.is_not(None)), view, Grade.released_at, Grade.team_id)),
        ("deduction", "deductions", _shown(select(Deduction.team_id, Deduction.at, -Deduction.points, Deduction.id),
                                           view, Deduction.at, Deduction.team_id)),
        ("refund", "deductions", _shown(select(Deduction.team_id, Detection.judged_at, Deduction.refunded_points,
                                               Deduction.id)
                                        .join(Detection, Detection.deduction_id == Deduction.id)
                                        .where(Detection.status == "accepted", Deduction.refunded_points > 0),
                                        view, Detection.judged_at, Deduction.team_id)),
        # A detection is decided only before a void, so a void gives back what still counted.
        ("void", "deductions", _shown(select(Deduction.team_id, Deduction.voided_at, counting_points(Deduction),
                                             Deduction.id)
                                      .where(Deduction.voided_at.is_not(None)),
                                      view, Deduction.voided_at, Deduction.team_id)),
    )
    for source, category, query in queries:
        for team_id, at, points, ref in session.execute(query):
            yield Entry(team_id, aware(at), category, int(points), source, ref)


def latest(session: Session, until: datetime) -> datetime | None:
    """When the ledger last changed up to ``until``, whoever's row it was (the replay's end)."""
    times = (Solve.at, Award.at, HintUnlock.at, Grade.released_at, Deduction.at, Deduction.voided_at,
             Detection.judged_at)
    found = [aware(session.scalar(select(func.max(column)).where(column <= literal(until, UTCDateTime()))))
             for column in times]
    return max((t for t in found if t is not None), default=None)


def breakdown(rows: Iterable[Entry]) -> dict[str, int]:
    """Points per category before weighting (deductions as the points taken, >= 0)."""
    totals: dict[str, int] = {}
    for entry in rows:
        totals[entry.category] = totals.get(entry.category, 0) + SIGN.get(entry.category, 1) * entry.points
    return totals


def steps(rows: Iterable[Entry], weights: dict[str, int] | None) -> dict[int, list[list[Any]]]:
    """Each team's score after each moment it changed, ``[ISO time, score]``: what every chart
    draws. The score at a step is ``weighted`` of the breakdown so far, so the last step is the
    score the standings show."""
    running: dict[int, dict[str, int]] = {}
    found: dict[int, list[list[Any]]] = {}
    for entry in rows:
        totals = running.setdefault(entry.team_id, {})
        totals[entry.category] = totals.get(entry.category, 0) + SIGN.get(entry.category, 1) * entry.points
        line = found.setdefault(entry.team_id, [])
        point = [entry.at.isoformat(), weighted(totals, weights)]
        if line and line[-1][0] == point[0]:
            line[-1] = point
        else:
            line.append(point)
    return found


def aware(value: Any) -> datetime | None:
    """Times come back naive (or as text) from SQLite: make them aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
