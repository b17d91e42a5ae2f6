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
  (``counting_points``: its points less the refund). The replay shows each when it happened;
- a defended service's check that found it up (``availability``), at the check, for the points
  it earned then; none of a round the organizers excluded (the range itself broke).

Disabled teams have no entries (unless asked for), nor do solves of removed challenges or solves
stored after the drill's ``ends_at``; a disabled team's solve never takes a first blood. The
verdict of an answer and its live ``solve`` event are worked out by the same rule
(``solve_worth``).

The entries are one SQL union (``_parts``): ``entries`` reads it row by row (the chart's steps,
the grid, the team page), ``totals`` lets the database add it up per team (the standings rebuilt
after every burst of changes, docs/benchmarks.md). Its statements are built once per shape of
the view (``_Shape``) and take what each solve changes as parameters. No Flask.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, case, func, literal, literal_column, select, union_all
from sqlalchemy.orm import Session

from scoreboard.board.ledger_rules import Cutoff, Terms, Visibility, counted, counted_solves, shown, visibility
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
    ServiceCheck,
    ServiceRound,
    Solve,
    counting_points,
)

# The tables whose rows carry points: the ledger reads these and no other, and the audit log
# covers every row of each (``drill.audit``). A new kind of points starts here.
TABLES: tuple[type, ...] = (Solve, Award, HintUnlock, Grade, Deduction, ServiceCheck)


@dataclass(frozen=True)
class Entry:
    """One row that carries points: whose, when it changed the board, which category, how many
    (signed: a hint's cost and a deduction are negative), and from what ``source`` ("solve",
    "first_blood", "award", "hint", "grade", "deduction", "refund", "void", "availability"); ``ref``
    is the challenge of a solve, first blood, hint or grade, the row id of an award or deduction (for
    its refund and void too), the service of an availability entry."""

    team_id: int
    at: datetime
    category: str
    points: int
    source: str
    ref: int | None = None


def public_view(session: Session, clock: Clock, now: datetime) -> Visibility:
    """What the public board shows now: the freeze's cutoff, and what the reveal has shown since."""
    cutoff = clock.public_cutoff(now)
    if cutoff is None or clock.reveal != "revealing":
        return Visibility(cutoff)
    return Visibility(cutoff, dict(session.execute(select(RevealProgress.team_id, RevealProgress.until)).all()))


def terms_of(session: Session) -> Terms:
    row = events.drill(session)
    return Terms(row.ends_at, row.first_blood_bonus)


def value_of(challenge: Any, solves: int) -> int:
    """Current points of a challenge given how many teams have solved it."""
    if challenge.scoring == "dynamic":
        return dynamic_value(challenge.initial or 0, challenge.decay or 0, challenge.minimum or 0, solves,
                             challenge.function)
    return challenge.value


def tally(session: Session, cutoff: Cutoff = None) -> dict[int, tuple[int, int]]:
    """Per challenge, its counting solves as ``cutoff`` shows them: how many (what dynamic values
    and the challenge list use) and the first one's id (whose is the first blood). One scan."""
    query = _tally_query(_Shape.of(visibility(cutoff), terms_of(session), ()))
    return {cid: (n, first) for cid, n, first in session.execute(query)}


@dataclass(frozen=True)
class _Shape:
    """What the text of a ledger statement depends on: the view, the drill's terms, and which
    challenges have a value yet. Statements are built once per shape (building one cost more
    than running it: two thirds of ranking the board); what changes with every solve (the
    values, the first bloods, the teams asked for) goes in as parameters."""

    cutoff: datetime | None
    revealed: tuple[tuple[int, datetime], ...]
    until: datetime | None
    everyone: bool
    ends_at: datetime | None
    bonus: int
    valued: tuple[int, ...]  # challenges with counting solves, each with a ``value_<id>`` parameter

    @classmethod
    def of(cls, view: Visibility, terms: Terms, valued: Iterable[int]) -> _Shape:
        return cls(view.cutoff, tuple(sorted(view.revealed.items())), view.until, view.everyone, terms.ends_at,
                   int(terms.first_blood_bonus), tuple(sorted(valued)))

    def view(self) -> Visibility:
        return Visibility(self.cutoff, dict(self.revealed), self.until, self.everyone)

    def terms(self) -> Terms:
        return Terms(self.ends_at, self.bonus)


@lru_cache(maxsize=64)
def _tally_query(shape: _Shape) -> Select:
    rows = counted_solves(shape.view(), shape.terms()).subquery()
    return select(rows.c.challenge_id, func.count(), func.min(rows.c.id)).group_by(rows.c.challenge_id)


def solve_counts(session: Session, cutoff: Cutoff = None) -> dict[int, int]:
    """Counting solves per challenge."""
    return {cid: n for cid, (n, _) in tally(session, cutoff).items()}


def challenge_values(session: Session, cutoff: Cutoff = None) -> dict[int, int]:
    counts = solve_counts(session, cutoff)
    challenges = session.scalars(select(Challenge).where(Challenge.removed.is_(False))).all()
    return {c.id: value_of(c, counts.get(c.id, 0)) for c in challenges}


def solve_worth(session: Session, challenge: Any, team_id: int, view: Visibility, terms: Terms) -> tuple[int, bool]:
    """What ``team_id``'s solve of ``challenge`` (a live one) counts for on the board ``view``
    shows, and whether it is the first blood: the challenge's value at the number of counting
    solves, plus the bonus when the team's is the first of them. One statement: the attempt path
    runs it inside the solve's transaction, so the first blood is exact."""
    query = _worth_query(_Shape.of(view, terms, ()))
    count, first, own = session.execute(query, {"challenge_id": challenge.id, "team_id": team_id}).one()
    blood = own is not None and own == first
    return value_of(challenge, count) + (terms.first_blood_bonus if blood else 0), blood


@lru_cache(maxsize=64)
def _worth_query(shape: _Shape) -> Select:
    """``solve_worth``'s statement, the challenge and team left as parameters: every answer's solve
    asks it (twice during a freeze)."""
    mine = case((Solve.team_id == bindparam("team_id", type_=Integer), Solve.id))
    query = select(func.count(), func.min(Solve.id), func.min(mine)).where(
        Solve.challenge_id == bindparam("challenge_id", type_=Integer))
    return counted(query, shape.view(), shape.terms())


# Where entries come from, in the order entries of one team at one moment are listed (a first
# blood after its solve): (source, category).
SOURCES = (("solve", "flags"), ("first_blood", "flags"), ("award", "flags"), ("hint", "flags"),
           ("grade", "reports"), ("deduction", "deductions"), ("refund", "deductions"), ("void", "deductions"),
           ("availability", "availability"))
# Entries that move a team's "reached at" time (a tie goes to whoever reached the score first):
# every solve, and a first blood, an award or a grade that adds points. Availability comes to
# every team each round, so it decides no tie.
GAINS = {"solve", "first_blood", "award", "grade"}


def reaches(entry: Entry) -> bool:
    return entry.source in GAINS and (entry.points > 0 or entry.source == "solve")


def _valued(session: Session, view: Visibility) -> tuple[_Shape, dict[str, Any], dict[int, tuple[int, int]]]:
    """The ``tally`` every entry is valued by (read first), the shape of the statements that read
    the entries, and their parameters: each valued challenge's value and the first bloods."""
    terms = terms_of(session)
    counts = tally(session, view)
    challenges = session.scalars(select(Challenge).where(Challenge.id.in_(list(counts)))) if counts else []
    values = {c.id: value_of(c, counts[c.id][0]) for c in challenges}
    params: dict[str, Any] = {f"value_{cid}": v for cid, v in values.items()}
    params["first_ids"] = [first_id for _, first_id in counts.values()]
    return _Shape.of(view, terms, values), params, counts


@lru_cache(maxsize=64)
def _parts(shape: _Shape) -> tuple[Select, ...]:
    """Every entry the shape's view shows, as one query per source of ``(team_id, at, points,
    ref, kind)``, kind being the index into SOURCES: what both the per-entry reader and the totals
    read, so the two cannot count different rows."""
    view = shape.view()
    solves = counted_solves(view, shape.terms()).subquery()
    value = case({cid: bindparam(f"value_{cid}", type_=Integer) for cid in shape.valued},
                 value=solves.c.challenge_id, else_=literal(0)) if shape.valued else literal(0)
    bonus = literal_column(str(shape.bonus), Integer)
    return (
        _part("solve", solves.c.team_id, solves.c.at, value, solves.c.challenge_id),
        _part("first_blood", Solve.team_id, Solve.at, bonus, Solve.challenge_id)
        .where(Solve.id.in_(bindparam("first_ids", expanding=True))),
        shown(_part("award", Award.team_id, Award.at, Award.value, Award.id), view, Award.at, Award.team_id),
        shown(_part("hint", HintUnlock.team_id, HintUnlock.at, -Hint.cost, Hint.challenge_id)
               .join(Hint, Hint.id == HintUnlock.hint_id).where(Hint.cost > 0), view, HintUnlock.at, HintUnlock.team_id),
        shown(_part("grade", Grade.team_id, Grade.released_at, Grade.points, Grade.challenge_id)
               .where(Grade.released_at.is_not(None)), view, Grade.released_at, Grade.team_id),
        shown(_part("deduction", Deduction.team_id, Deduction.at, -Deduction.points, Deduction.id),
               view, Deduction.at, Deduction.team_id),
        # An accepted detection gives back part of a deduction, at the time it was accepted.
        shown(_part("refund", Deduction.team_id, Detection.judged_at, Deduction.refunded_points, Deduction.id)
               .join(Detection, Detection.deduction_id == Deduction.id)
               .where(Detection.status == "accepted", Deduction.refunded_points > 0),
               view, Detection.judged_at, Deduction.team_id),
        # A detection is decided only before a void, so a void gives back what still counted.
        shown(_part("void", Deduction.team_id, Deduction.voided_at, counting_points(Deduction), Deduction.id)
               .where(Deduction.voided_at.is_not(None)), view, Deduction.voided_at, Deduction.team_id),
        shown(_part("availability", ServiceCheck.team_id, ServiceCheck.at, ServiceCheck.points, ServiceCheck.service_id)
               .where(ServiceCheck.points > 0, ServiceCheck.round_id.not_in(
                   select(ServiceRound.id).where(ServiceRound.excluded_at.is_not(None)))),
               view, ServiceCheck.at, ServiceCheck.team_id),
    )


def _part(source: str, team: Any, at: Any, points: Any, ref: Any) -> Select:
    """One source's entries as the columns every part has alike."""
    kind = literal_column(str([name for name, _ in SOURCES].index(source)), Integer)
    return select(team.label("team_id"), at.label("at"), points.label("points"), ref.label("ref"), kind.label("kind"))


def entries(session: Session, cutoff: Cutoff = None, teams: Iterable[int] | None = None) -> list[Entry]:
    """Every entry ``cutoff`` shows (a time, a Visibility, None: everything), oldest first; only
    those of ``teams`` when given."""
    shape, params, _ = _valued(session, visibility(cutoff))
    if teams is not None:
        params["teams"] = list(teams)
    return [Entry(team_id, aware(at), SOURCES[kind][1], int(points), SOURCES[kind][0], ref)
            for team_id, at, points, ref, kind in session.connection().execute(
                _entries_query(shape, teams is not None), params)]


@lru_cache(maxsize=64)
def _entries_query(shape: _Shape, some_teams: bool) -> Select:
    rows = union_all(*_parts(shape)).subquery()
    query = select(rows).order_by(rows.c.at, rows.c.team_id, rows.c.kind)
    return query.where(rows.c.team_id.in_(bindparam("teams", expanding=True))) if some_teams else query


@dataclass
class Totals:
    """A team's sums over its entries: what standings need when no chart is drawn."""

    breakdown: dict[str, int] = field(default_factory=dict)  # as ``breakdown`` gives it
    solves: int = 0
    reached: datetime | None = None  # the last entry that ``reaches``


@dataclass
class Sums:
    """The ledger added up: per team, and the counting solves per challenge behind it."""

    teams: dict[int, Totals] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)


def totals(session: Session, cutoff: Cutoff = None) -> Sums:
    """The sums of what ``cutoff`` shows, added up by the database (one aggregate per source of
    the entries ``entries`` reads): a board of thousands of teams is ranked without reading
    every solve into Python."""
    shape, params, counts = _valued(session, visibility(cutoff))
    found = Sums(counts={cid: n for cid, (n, _) in counts.items()})
    for team_id, kind, points, number, last, last_gain in session.connection().execute(_totals_query(shape), params):
        source, category = SOURCES[kind]
        team = found.teams.setdefault(team_id, Totals())
        team.breakdown[category] = team.breakdown.get(category, 0) + SIGN.get(category, 1) * int(points)
        if source == "solve":
            team.solves = number
        reached = aware(last if source == "solve" else last_gain) if source in GAINS else None
        if reached is not None and (team.reached is None or reached > team.reached):
            team.reached = reached
    return found


@lru_cache(maxsize=64)
def _totals_query(shape: _Shape) -> Select:
    sums = []
    for part in _parts(shape):
        rows = part.subquery()
        sums.append(select(rows.c.team_id, rows.c.kind, func.sum(rows.c.points), func.count(), func.max(rows.c.at),
                           func.max(case((rows.c.points > 0, rows.c.at)))).group_by(rows.c.team_id, rows.c.kind))
    return union_all(*sums)


def totals_of(rows: Iterable[Entry]) -> Sums:
    """``totals`` of entries already read (a snapshot reads them for the chart anyway)."""
    found = Sums()
    for entry in rows:
        team = found.teams.setdefault(entry.team_id, Totals())
        team.breakdown[entry.category] = team.breakdown.get(entry.category, 0) \
            + SIGN.get(entry.category, 1) * entry.points
        if entry.source == "solve":
            team.solves += 1
            found.counts[entry.ref] = found.counts.get(entry.ref, 0) + 1
        if reaches(entry) and (team.reached is None or entry.at > team.reached):
            team.reached = entry.at
    return found


def latest(session: Session, until: datetime) -> datetime | None:
    """When the ledger last changed up to ``until``, whoever's row it was (the replay's end)."""
    shape, params, _ = _valued(session, Visibility(until=until, everyone=True))
    rows = union_all(*_parts(shape)).subquery()
    return aware(session.connection().execute(select(func.max(rows.c.at)), params).scalar())


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
    if value is None or (isinstance(value, datetime) and value.tzinfo is timezone.utc):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
