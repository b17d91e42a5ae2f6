"""The after-action report: what happened to a team (or the whole drill), read from the ledger.

Every number here is a sum of ``ledger.entries`` — the rows the board itself sums — so a team's
total and its points per category are the board's, and its points per phase add up to them
(each entry belongs to exactly one phase: its challenge's, else the phase open when it happened).
The rank over time is not re-scored either: it ranks the standings' own chart steps
(``Standing.steps``, what the board and the replay draw) at every moment one of them changes.
Which standings a reader may rank against is the caller's choice: a team gets the public board
(the freeze holds back other teams' late changes), organizers the true one. No Flask here.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.board import ledger
from scoreboard.board.ledger import Entry, aware
from scoreboard.core.scoring import CATEGORIES, Standing, weighted
from scoreboard.store import events
from scoreboard.store.models import Award, Challenge, Deduction, Phase, Report, Team

# How many moments the drill-wide "rank over time" table samples (columns that fit a printed page).
CHECKPOINTS = 8
FAR = datetime.max.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Line:
    """One line of a timeline: when, whose, what kind ("solve", "hint", "award", "report",
    "grade", "deduction", "refund", "void"), the points it moved (None: a report filed moves none), the
    challenge it concerns and the words that go with it (a reason, a version number)."""

    at: datetime
    team_id: int
    kind: str
    points: int | None = None
    challenge_id: int | None = None
    challenge: str = ""
    text: str = ""
    bonus: int = 0  # a solve's first-blood bonus (already in ``points``)


@dataclass
class TeamRecord:
    team_id: int
    team: str
    country: str
    members: list[str]
    pos: int | None
    score: int
    breakdown: dict[str, int]
    phases: list[dict[str, Any]]  # {"phase": id or None, "flags", "reports", "deductions"}
    timeline: list[Line]
    ranks: list[tuple[datetime, int, int]]  # (moment, rank, score) each time either changed
    weights: dict[str, int] | None = None


@dataclass
class DrillRecord:
    standings: list[dict[str, Any]]  # per team: pos, team, team_id, country, score, breakdown, phases
    phases: list[dict[str, Any]]  # the drill's totals per phase and category
    totals: dict[str, int]  # the drill's totals per category (what the phase rows add up to)
    checkpoints: list[datetime]
    ranks: dict[int, list[int | None]] = field(default_factory=dict)  # team -> rank at each checkpoint
    timeline: list[Line] = field(default_factory=list)
    teams: dict[int, str] = field(default_factory=dict)
    weights: dict[str, int] | None = None


# --- rank over time ----------------------------------------------------------------------------


def rank_series(rows: Sequence[Standing]) -> dict[int, list[tuple[datetime, int, int]]]:
    """Each team's (moment, rank, score) whenever its rank or score changed, ranking the teams'
    chart steps as the board ranks scores: higher first, a tie to whoever reached it first. The
    last point is the board's own position."""
    moments: list[tuple[datetime, int, int]] = sorted(
        (aware(at), row.team_id, score) for row in rows for at, score in row.steps)
    score = {row.team_id: 0 for row in rows}
    reached = {row.team_id: FAR for row in rows}
    series: dict[int, list[tuple[datetime, int, int]]] = {row.team_id: [] for row in rows}
    index = 0
    while index < len(moments):
        at = moments[index][0]
        while index < len(moments) and moments[index][0] == at:
            _, team_id, points = moments[index]
            if points > score[team_id]:
                reached[team_id] = at
            score[team_id] = points
            index += 1
        order = sorted(score, key=lambda t: (-score[t], reached[t], t))
        for pos, team_id in enumerate(order, start=1):
            line = series[team_id]
            if not line or line[-1][1:] != (pos, score[team_id]):
                line.append((at, pos, score[team_id]))
    for row in rows:
        line = series[row.team_id]
        if line and line[-1][1] != row.pos:
            line.append((line[-1][0], row.pos, row.score))
    return series


def rank_at(line: list[tuple[datetime, int, int]], moment: datetime) -> int | None:
    """A team's rank at ``moment`` from its series (None before its first change)."""
    found = bisect_right([at for at, _, _ in line], moment)
    return line[found - 1][1] if found else None


# --- points per phase --------------------------------------------------------------------------


class Phases:
    """Which phase an entry belongs to: its challenge's phase when it has one, otherwise the phase
    that was open when it happened (None before the first opened)."""

    def __init__(self, session: Session) -> None:
        self.order = [p.id for p in session.scalars(select(Phase).order_by(Phase.pack_id, Phase.position))]
        opened = session.execute(select(Phase.opened_at, Phase.id).where(Phase.opened_at.is_not(None))
                                 .order_by(Phase.opened_at)).all()
        self._opened = [aware(at) for at, _ in opened]
        self._ids = [phase_id for _, phase_id in opened]
        self._of_challenge = dict(session.execute(select(Challenge.id, Challenge.phase)).all())

    def of(self, entry: Entry) -> str | None:
        if entry.source in ("solve", "first_blood", "hint", "grade"):
            own = self._of_challenge.get(entry.ref)
            if own:
                return own
        found = bisect_right(self._opened, entry.at)
        return self._ids[found - 1] if found else None

    def split(self, rows: Iterable[Entry]) -> list[dict[str, Any]]:
        """Points per phase and category (deductions as points taken), in the packs' phase order,
        only the phases that moved any; the rows add up to ``ledger.breakdown`` of ``rows``."""
        found: dict[str | None, list[Entry]] = {}
        for entry in rows:
            found.setdefault(self.of(entry), []).append(entry)
        keys = [None, *self.order]
        return [{"phase": key, **{c: ledger.breakdown(found[key]).get(c, 0) for c in CATEGORIES}}
                for key in keys if key in found]


# --- timelines ---------------------------------------------------------------------------------


def _lines(session: Session, rows: list[Entry], team_ids: set[int] | None) -> list[Line]:
    """The ledger's entries as timeline lines (a first blood folded into its solve), with the
    reports filed, oldest first."""
    reports = select(Report.team_id, Report.at, Report.challenge_id, Report.version)
    if team_ids is not None:
        reports = reports.where(Report.team_id.in_(team_ids))
    filed = session.execute(reports).all()
    challenges = {e.ref for e in rows if e.source in ("solve", "hint", "grade")} | {r[2] for r in filed}
    names = dict(session.execute(select(Challenge.id, Challenge.name).where(Challenge.id.in_(challenges))).all())
    awards = dict(session.execute(select(Award.id, Award.reason).where(
        Award.id.in_({e.ref for e in rows if e.source == "award"}))).all())
    deductions = {d.id: d for d in session.scalars(select(Deduction).where(
        Deduction.id.in_({e.ref for e in rows if e.source in ("deduction", "refund", "void")})))}
    bonus = {(e.team_id, e.ref): e.points for e in rows if e.source == "first_blood"}
    lines = [Line(aware(at), team_id, "report", None, cid, names.get(cid, ""), str(version))
             for team_id, at, cid, version in filed]
    for e in rows:
        if e.source in ("first_blood", "availability"):
            continue  # a first blood is folded into its solve; availability is a line per round, not news
        if e.source in ("solve", "hint", "grade"):
            extra = bonus.get((e.team_id, e.ref), 0) if e.source == "solve" else 0
            lines.append(Line(e.at, e.team_id, e.source, e.points + extra, e.ref, names.get(e.ref, ""), bonus=extra))
        elif e.source == "award":
            lines.append(Line(e.at, e.team_id, "award", e.points, text=awards.get(e.ref, "")))
        else:
            row = deductions[e.ref]
            reason = (row.void_reason or "") if e.source == "void" else row.reason
            lines.append(Line(e.at, e.team_id, e.source, e.points, text=reason))
    return sorted(lines, key=lambda line: (line.at, line.team_id))


# --- the reports -------------------------------------------------------------------------------


def team_record(session: Session, team_id: int, board: Sequence[Standing]) -> TeamRecord:
    """One team's after-action: its own entries in full (a team always sees its own results), its
    rank over time and position on ``board`` (the public standings for the team itself)."""
    team = session.get(Team, team_id)
    mine = [e for e in ledger.entries(session, ledger.Visibility(everyone=True)) if e.team_id == team_id]
    totals = ledger.breakdown(mine)
    weights = events.drill(session).weights or None
    pos = next((row.pos for row in board if row.team_id == team_id), None)
    return TeamRecord(team.id, team.name, team.country, [m.name for m in team.members], pos,
                      weighted(totals, weights), {c: totals.get(c, 0) for c in CATEGORIES},
                      Phases(session).split(mine), _lines(session, mine, {team_id}),
                      rank_series(board).get(team_id, []), weights)


def checkpoints(start: datetime | None, end: datetime, count: int = CHECKPOINTS) -> list[datetime]:
    """``count`` moments evenly from the start to ``end`` (the last one is ``end``)."""
    if start is None or start >= end:
        return [end]
    return [start + (end - start) * n / count for n in range(1, count + 1)]


def drill_record(session: Session, board: Sequence[Standing], now: datetime) -> DrillRecord:
    """The whole drill for organizers: every team's points per category and phase, the rank of
    each at evenly spaced moments, and the timeline of everything that moved points."""
    rows = ledger.entries(session)
    teams = {row.team_id for row in board}
    rows = [e for e in rows if e.team_id in teams]
    split = Phases(session)
    per_team: dict[int, list[Entry]] = {}
    for entry in rows:
        per_team.setdefault(entry.team_id, []).append(entry)
    drill = events.drill(session)
    end = min(now, drill.ends_at) if drill.ends_at else now
    moments = checkpoints(drill.starts_at, end)
    series = rank_series(board)
    return DrillRecord(
        standings=[{**row.as_dict(), "phases": split.split(per_team.get(row.team_id, []))} for row in board],
        phases=split.split(rows),
        totals={c: ledger.breakdown(rows).get(c, 0) for c in CATEGORIES},
        checkpoints=moments,
        ranks={row.team_id: [rank_at(series[row.team_id], m) for m in moments] for row in board},
        timeline=_lines(session, rows, teams),
        teams={row.team_id: row.team for row in board},
        weights=drill.weights or None,
    )

