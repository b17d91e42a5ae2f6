"""Rounds of service checks: opening one, recording what it found, and the organizers' controls
(pause and resume the checks, exclude a round, re-run one). No Flask here; the caller commits.

A round's results are written in one transaction: a row per team and service (the points a
service found up earned, audited like every row that carries points), a public ``service`` event
for each state that CHANGED since the team's previous check of that service (``down``, back
``up``), and an internal ``round`` change after which every worker re-scores the board.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoreboard.core import availability
from scoreboard.core.clock import RUNNING
from scoreboard.core.errors import N_, NotFound, Refused
from scoreboard.drill import audit
from scoreboard.store import events
from scoreboard.store.models import Service, ServiceCheck, ServiceRound, Team

MAX_REASON = 1000


@dataclass(frozen=True)
class Result:
    """What one check found (``flag_id``/``flag``: what a successful put stored, for the next get)."""

    team_id: int
    service_id: int
    state: str
    at: datetime
    message: str = ""
    detail: str = ""
    duration_ms: int = 0
    flag_id: str | None = None
    flag: str | None = None


def open_round(session: Session, now: datetime) -> ServiceRound | None:
    """The round the runner should run now: one left unfinished (its runner died, or an organizer
    asked for a re-run), else a new one when the last is a round's length old and checks may run."""
    row = events.drill(session)
    unfinished = session.scalar(select(ServiceRound).where(ServiceRound.finished_at.is_(None))
                                .order_by(ServiceRound.number).limit(1))
    if unfinished is not None:
        return unfinished
    if not may_check(session, now):
        return None
    last = session.scalar(select(ServiceRound).order_by(ServiceRound.number.desc()).limit(1))
    if last is not None and now < last.started_at + timedelta(seconds=row.round_seconds):
        return None
    return start_now(session, now)


def start_now(session: Session, now: datetime) -> ServiceRound:
    """A new round from ``now``, whenever the last one ran (``drill checker --once``, a re-run)."""
    last = session.scalar(select(func.max(ServiceRound.number))) or 0
    created = ServiceRound(number=last + 1, started_at=now)
    session.add(created)
    session.flush()
    return created


def may_check(session: Session, now: datetime) -> bool:
    """Checks run while the drill runs (not before STARTEX, paused or ended), unless organizers
    paused them, and only when the drill defends services."""
    row = events.drill(session)
    if row.checks_paused_at is not None or events.clock_of(row).phase(now) != RUNNING:
        return False
    return session.scalar(select(Service.id).where(Service.removed.is_(False)).limit(1)) is not None


def _previous_states(session: Session, round_id: int) -> dict[tuple[int, int], str]:
    latest = select(func.max(ServiceCheck.id)).where(ServiceCheck.round_id != round_id).group_by(
        ServiceCheck.team_id, ServiceCheck.service_id)
    return {(t, s): state for t, s, state in session.execute(
        select(ServiceCheck.team_id, ServiceCheck.service_id, ServiceCheck.state).where(ServiceCheck.id.in_(latest)))}


def record(session: Session, round_id: int, results: list[Result], now: datetime) -> list[dict[str, Any]]:
    """Finish a round with what its checks found; returns the ``service`` events (state changes)."""
    done = session.get(ServiceRound, round_id, with_for_update=True)
    if done is None or done.finished_at is not None:
        return []  # another runner finished it meanwhile
    before = _previous_states(session, round_id)
    services = {s.id: s for s in session.scalars(select(Service))}
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    rows = []
    for result in results:
        service = services[result.service_id]
        row = ServiceCheck(round_id=round_id, team_id=result.team_id, service_id=service.id, state=result.state,
                           points=service.points if result.state == availability.UP else 0, at=result.at,
                           message=availability.clip(result.message, availability.MAX_MESSAGE),
                           detail=availability.clip(result.detail, availability.MAX_DETAIL),
                           duration_ms=result.duration_ms, flag_id=result.flag_id, flag=result.flag)
        session.add(row)
        rows.append(row)
    session.flush()
    audit.cover_many(session, "checker", "service.check", "service_check",
                     [(row.id, {c: getattr(row, c) for c in audit.SCORE_ROWS["service_check"][1]}) for row in rows])
    changed = []
    for row in rows:
        if before.get((row.team_id, row.service_id), availability.UP) != row.state:
            changed.append(events.record(session, "service", {
                "team": teams.get(row.team_id, ""), "team_id": row.team_id, "service": services[row.service_id].key,
                "state": row.state, "at": row.at.isoformat()}, row.at))
    done.finished_at = now
    events.mark(session, "round", {"round": done.number})
    return changed


def _reason(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Refused(N_("a reason is required: say what went wrong with the range"))
    if len(value) > MAX_REASON:
        raise Refused(N_("the reason is too long (at most %(max)s characters)"), max=MAX_REASON)
    return value.strip()


def _round(session: Session, number: Any) -> ServiceRound:
    if isinstance(number, bool) or not isinstance(number, int):
        raise Refused(N_("the round must be a round's number"))
    row = session.scalar(select(ServiceRound).where(ServiceRound.number == number))
    if row is None:
        raise NotFound(N_("no round %(number)s has run"), number=number)
    return row


def exclude(session: Session, number: Any, reason: Any, now: datetime, actor: str) -> ServiceRound:
    """Leave a round out of every SLA and every team's points (the range itself broke)."""
    row, text = _round(session, number), _reason(reason)
    if row.excluded_at is not None:
        raise Refused(N_("round %(number)s is already excluded"), number=row.number)
    if row.finished_at is None:
        raise Refused(N_("round %(number)s is still running; exclude it once it has finished"), number=row.number)
    row.excluded_at, row.exclude_reason = now, text
    audit.record(session, actor, "round.exclude", {"round": row.number, "reason": text})
    events.mark(session, "round", {"round": row.number, "excluded": True})
    return row


def rerun(session: Session, number: Any, reason: Any, now: datetime, actor: str) -> ServiceRound:
    """Exclude a round and check every service again at once, in a new round."""
    if session.scalar(select(ServiceRound.id).where(ServiceRound.finished_at.is_(None)).limit(1)) is not None:
        raise Refused(N_("a round is running; re-run once it has finished"))
    excluded = exclude(session, number, reason, now, actor)
    created = start_now(session, now)
    audit.record(session, actor, "round.rerun", {"round": excluded.number, "new_round": created.number})
    return created


def pause(session: Session, now: datetime, actor: str, on: bool = True) -> dict[str, Any]:
    """Stop (or restart) the checks: no new round opens while paused; the SLA only counts rounds run."""
    row = events.drill(session)
    if on == (row.checks_paused_at is not None):
        raise Refused(N_("the checks are already paused") if on else N_("the checks are not paused"))
    row.checks_paused_at = now if on else None
    audit.record(session, actor, "checks.pause" if on else "checks.resume", {})
    events.mark(session, "checks", {"paused": on})
    return state(session)


def state(session: Session) -> dict[str, Any]:
    """Where the checks stand, for the CLI and the console."""
    row = events.drill(session)
    last = session.scalar(select(ServiceRound).order_by(ServiceRound.number.desc()).limit(1))
    return {"paused": row.checks_paused_at is not None, "round_seconds": row.round_seconds,
            "round": last.number if last else 0,
            "round_started_at": last.started_at.isoformat() if last else None,
            "round_finished": bool(last and last.finished_at)}
