"""The closing reveal: the public board stays frozen after the end, then organizers replay the
held changes onto it one at a time, bottom rank to top, at the pace they choose.

``Drill.reveal``: None (the end lifts the freeze), "hold" (organizers chose the ceremony: the
board stays frozen after the end), "revealing" (under way), "revealed" (done: the board shows
everything). ``RevealProgress(team_id, until)`` makes every held change of that team up to
``until`` public (``ledger.public_view``). Each step, start and finish is audited with the
organizer's name; each step is a public ``reveal`` event, and the standings event that follows
moves the rows. The CLI and the console call these same functions. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.board import ledger, standings
from scoreboard.core.clock import ENDED, public_name
from scoreboard.core.errors import N_, Refused
from scoreboard.drill import audit
from scoreboard.store import events
from scoreboard.store.models import Challenge, Drill, RevealProgress, Team


@dataclass(frozen=True)
class Change:
    """One held change of a team's score: when, what (solve, award, hint, graded, deduction, void)."""

    team_id: int
    at: datetime
    kind: str
    challenge: str | None = None


def _clock_event(session: Session, row: Drill, now: datetime) -> None:
    """Tell every worker's caches and every board the reveal's new state (it is part of the clock)."""
    events.record(session, "clock", events.clock_of(row).as_dict(now), now)


def hold(session: Session, now: datetime, actor: str, on: bool = True) -> Drill:
    """Choose (or drop) the closing ceremony: after the end the public board stays frozen."""
    row = events.drill(session)
    if events.clock_of(row).phase(now) == ENDED:
        raise Refused(N_("the drill has ended: the board can only be held for a reveal before the end"))
    if row.reveal in ("revealing", "revealed"):
        raise Refused(N_("the reveal has already begun"))
    if (row.reveal == "hold") == on:
        return row
    row.reveal = "hold" if on else None
    audit.record(session, actor, "reveal.hold" if on else "reveal.unhold", {"at": now.isoformat()})
    _clock_event(session, row, now)
    return row


# What each kind of ledger entry is called in the reveal (a first blood goes with its solve).
KINDS = {"solve": "solve", "award": "award", "hint": "hint", "grade": "graded", "deduction": "deduction",
         "void": "void"}


def held_changes(session: Session, view: ledger.Visibility) -> list[Change]:
    """The ledger entries of teams on the board that ``view`` does not show yet, oldest first, one
    per team and moment (entries of one team at one moment are revealed together)."""
    if view.cutoff is None:
        return []
    pending = [e for e in ledger.entries(session, ledger.Visibility()) if e.source in KINDS
               and not view.shows(e.team_id, e.at)]
    named = {c.id: public_name(c) for c in session.scalars(select(Challenge).where(
        Challenge.id.in_({e.ref for e in pending if e.source in ("solve", "hint", "grade")})))}
    changes, seen = [], set()
    for entry in pending:
        key = (entry.team_id, entry.at)
        if key not in seen:
            seen.add(key)
            challenge = named.get(entry.ref) if entry.source in ("solve", "hint", "grade") else None
            changes.append(Change(entry.team_id, entry.at, KINDS[entry.source], challenge))
    return changes


def _public(session: Session, now: datetime) -> tuple[Drill, ledger.Visibility]:
    row = events.drill(session)
    return row, ledger.public_view(session, events.clock_of(row), now)


def start(session: Session, now: datetime, actor: str) -> dict[str, Any]:
    """Begin the ceremony: the board stays as it froze until the first step."""
    row, view = _public(session, now)
    if row.reveal in ("revealing", "revealed"):
        raise Refused(N_("the reveal has already begun"))
    if row.reveal != "hold":
        raise Refused(N_("the board is not held for a reveal: hold it before the drill ends"))
    if events.clock_of(row).phase(now) != ENDED:
        raise Refused(N_("the reveal starts after the drill has ended"))
    pending = held_changes(session, view)
    if not pending:
        raise Refused(N_("no change is held back: use Reveal all to lift the freeze"))
    row.reveal = "revealing"
    audit.record(session, actor, "reveal.start", {"at": now.isoformat(), "held": len(pending)})
    _clock_event(session, row, now)
    return state(session, now)


def step(session: Session, now: datetime, actor: str) -> dict[str, Any]:
    """Reveal one held change: the next one of the team lowest on the public standings.

    Returns the ``reveal`` event; after the last change the board is revealed (a ``clock`` event).
    """
    row, view = _public(session, now)
    if row.reveal != "revealing":
        raise Refused(N_("the reveal is not under way: start it first") if row.reveal == "hold"
                      else N_("there is no reveal under way"))
    pending = held_changes(session, view)
    if not pending:
        return _revealed(session, row, now, actor, "reveal.finish")
    before = standings.compute(session, view).standings
    order = {standing.team_id: index for index, standing in enumerate(before)}
    team_id = max({change.team_id for change in pending}, key=lambda team: order.get(team, -1))
    change = next(c for c in pending if c.team_id == team_id)
    progress = session.get(RevealProgress, team_id)
    if progress is None:
        session.add(RevealProgress(team_id=team_id, until=change.at))
    else:
        progress.until = change.at
    session.flush()
    shown = ledger.Visibility(view.cutoff, {**view.revealed, team_id: change.at})
    after = {s.team_id: s.score for s in standings.compute(session, shown).standings}
    points = after.get(team_id, 0) - next((s.score for s in before if s.team_id == team_id), 0)
    remaining = sum(1 for c in pending if not shown.shows(c.team_id, c.at))
    team = session.get(Team, team_id)
    detail = {"kind": change.kind, "points": points, **({"challenge": change.challenge} if change.challenge else {})}
    audit.record(session, actor, "reveal.step", {"team_id": team_id, "until": change.at.isoformat(), **detail})
    event = events.record(session, "reveal", {"team": team.name, "team_id": team_id, "change": detail,
                                              "remaining": remaining, "at": now.isoformat()}, now)
    if remaining == 0:
        _revealed(session, row, now, actor, "reveal.finish")
    return event


def finish(session: Session, now: datetime, actor: str) -> dict[str, Any]:
    """Reveal every held change at once (also ends a ceremony begun step by step)."""
    row = events.drill(session)
    if row.reveal not in ("hold", "revealing"):
        raise Refused(N_("the board is not held for a reveal") if row.reveal is None
                      else N_("the board has already been revealed"))
    if events.clock_of(row).phase(now) != ENDED:
        raise Refused(N_("the reveal starts after the drill has ended"))
    return _revealed(session, row, now, actor, "reveal.all")


def _revealed(session: Session, row: Drill, now: datetime, actor: str, action: str) -> dict[str, Any]:
    row.reveal = "revealed"
    audit.record(session, actor, action, {"at": now.isoformat()})
    _clock_event(session, row, now)
    return state(session, now)


def state(session: Session, now: datetime) -> dict[str, Any]:
    """Where the ceremony stands: its state, the public and the true standings, what is held."""
    row, view = _public(session, now)
    clock = events.clock_of(row)
    pending = held_changes(session, view) if row.reveal in ("hold", "revealing") else []
    names = dict(session.execute(select(Team.id, Team.name)).all())
    return {
        "reveal": row.reveal,
        "freeze_at": row.freeze_at.isoformat() if row.freeze_at else None,
        "phase": clock.phase(now),
        "frozen": clock.frozen(now),
        "public": [s.as_dict() for s in standings.compute(session, view).standings],
        "live": [s.as_dict() for s in standings.compute(session).standings],
        "remaining": len(pending),
        "held": [{"team": names.get(c.team_id), "team_id": c.team_id, "kind": c.kind, "challenge": c.challenge,
                  "at": c.at.isoformat()} for c in pending],
    }
