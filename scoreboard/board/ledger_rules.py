"""Which ledger rows count and who sees them, as SQL: the visibility a reader has (the freeze's
cutoff, the reveal's progress, the replay's moment, disabled teams) and the drill's terms for
solves. ``ledger`` builds every statement it runs from these, so no reader can apply another
rule. No Flask.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, literal, select

from scoreboard.store.models import Challenge, Solve, Team, UTCDateTime


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


@dataclass(frozen=True)
class Terms:
    """The drill's terms for points: solves stored after ``ends_at`` never count; the first
    counting solve of a challenge earns ``first_blood_bonus``. The attempt path takes them from
    its cached catalog; readers from the drill row (``terms_of``)."""

    ends_at: datetime | None
    first_blood_bonus: int


def shown(query: Select, view: Visibility, at: Any, team: Any) -> Select:
    """``query`` limited to what ``view`` shows, and to enabled teams unless it shows everyone.
    (Leaving out the few disabled teams reads fewer rows than keeping the many enabled ones.)"""
    query = query.where(*view.where(at, team))
    return query if view.everyone else query.where(team.not_in(select(Team.id).where(Team.disabled.is_(True))))


def counted(query: Select, view: Visibility, terms: Terms) -> Select:
    """The rule for which solves count, on ``query`` over the solve table: stored by the drill's
    end, as ``view`` shows them, of enabled teams (unless it shows everyone). The attempt path
    applies it to one challenge; ``counted_solves`` to all of them."""
    if terms.ends_at is not None:
        query = query.where(Solve.at <= literal(terms.ends_at, UTCDateTime()))
    return shown(query, view, Solve.at, Solve.team_id)


def counted_solves(view: Visibility, terms: Terms) -> Select:
    """Solves that count: of challenges still in the drill, by ``counted``'s rule."""
    return counted(select(Solve.id, Solve.team_id, Solve.challenge_id, Solve.at).where(
        Solve.challenge_id.not_in(select(Challenge.id).where(Challenge.removed.is_(True)))), view, terms)
