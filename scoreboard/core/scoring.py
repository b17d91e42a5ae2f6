"""Turning solves into points: challenge values, team scores and ranks. No Flask here."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone


def dynamic_value(initial: int, decay: int, minimum: int, solves: int, function: str = "logarithmic") -> int:
    """CTFd's curve (3.8's ``decay.py``). ``solves`` counts every solve so far, so the first solver
    gets ``initial``; a logarithmic ``decay`` of 0 counts as 1, as CTFd counts it."""
    s = max(solves - 1, 0)
    if function == "linear":
        return max(minimum, initial - decay * s)
    decay = decay if decay > 0 else 1
    return max(minimum, math.ceil(((minimum - initial) / decay**2) * s**2 + initial))


# The ledger's categories of points; a new one is added here and in SIGN if it takes points away.
# "availability": the points of defended services found up, round by round.
CATEGORIES = ("flags", "reports", "deductions", "availability")
# Categories whose breakdown counts points taken (shown as a positive number, subtracted).
SIGN = {"deductions": -1}
# The most one red-team deduction (or a redteam.yml objective) may take from a team.
MAX_DEDUCTION = 100_000


def weighted(breakdown: dict[str, int], weights: dict[str, int] | None) -> int:
    """A team's score from its category points — the one place weights apply: their plain sum
    (deductions subtracted), or with pack.yml ``weights`` (percentages) each category counted at
    its weight: with flags 50, reports 30, deductions 20, a team with 400, 200 and 50 scores
    200 + 60 - 10 = 250."""
    if not weights:
        return sum(SIGN.get(c, 1) * breakdown.get(c, 0) for c in CATEGORIES)
    total = sum(SIGN.get(c, 1) * weights.get(c, 0) * breakdown.get(c, 0) for c in CATEGORIES)
    return round(total / 100)


@dataclass
class Standing:
    team_id: int
    team: str
    country: str
    score: int = 0
    solves: int = 0
    last_solve_at: datetime | None = None
    pos: int = 0
    # Points per category before weighting: {"flags", "reports", "deductions", "availability"}
    # (deductions >= 0).
    breakdown: dict[str, int] = field(default_factory=dict)
    # The score after each change, [[ISO time, score], ...] (``ledger.steps``): what charts draw.
    steps: list[list[object]] = field(default_factory=list)
    # Rounds its defended services were up over rounds run (None: the drill defends no services).
    sla: float | None = None

    def as_dict(self, steps: bool = False) -> dict:
        """The row as the API sends it; with ``steps`` as the board's chart needs it too."""
        return {
            "pos": self.pos,
            "team": self.team,
            "team_id": self.team_id,
            "country": self.country,
            "score": self.score,
            "solves": self.solves,
            "last_solve_at": self.last_solve_at.isoformat() if self.last_solve_at else None,
            "breakdown": self.breakdown,
            **({"sla": self.sla} if self.sla is not None else {}),
            **({"steps": self.steps} if steps else {}),
        }


# The chart draws the lines of the first ten teams (the board's, the projector's, the replay's):
# only their rows carry steps to observers, so what a snapshot weighs does not grow with the teams.
CHART_TEAMS = 10


def charted(pos: int) -> bool:
    """Whether the team at ``pos`` has its line on the chart."""
    return pos <= CHART_TEAMS


def rank(rows: list[Standing]) -> list[Standing]:
    """Highest score first; a tie goes to whoever reached it first; teams with nothing last."""
    far = datetime.max.replace(tzinfo=timezone.utc)

    def key(row: Standing) -> tuple:
        reached = row.last_solve_at.astimezone(timezone.utc) if row.last_solve_at else far
        return (-row.score, reached, row.team_id)

    ordered = sorted(rows, key=key)
    for pos, row in enumerate(ordered, start=1):
        row.pos = pos
    return ordered


@dataclass
class Board:
    """Standings at one moment, and the counting solves per challenge they were valued by."""

    standings: list[Standing] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)
