"""Defended services on the public board: each team's services as the last round found them and
their SLA (rounds up over rounds run, excluded rounds in neither) as a view shows them.

``GET /api/v1/services`` serves ``public`` (encoded once per board: ``Answer``); the standings
carry each team's SLA over all its services (``team_sla``). No Flask here.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from scoreboard.board.ledger import Cutoff, visibility
from scoreboard.core import availability
from scoreboard.store.models import Service, ServiceCheck, ServiceRound, Team


def live_services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).where(Service.removed.is_(False)).order_by(Service.position,
                                                                                          Service.id)))


def _counted(cutoff: Cutoff) -> Select:
    """Checks that count toward an SLA as ``cutoff`` shows them: of rounds not excluded."""
    view = visibility(cutoff)
    query = select(ServiceCheck.team_id, ServiceCheck.service_id, ServiceCheck.state).where(
        ServiceCheck.round_id.not_in(select(ServiceRound.id).where(ServiceRound.excluded_at.is_not(None))),
        *view.where(ServiceCheck.at, ServiceCheck.team_id))
    return query


def _sla(session: Session, cutoff: Cutoff, by_service: bool) -> dict[Any, float]:
    rows = _counted(cutoff).subquery()
    keys = [rows.c.team_id, rows.c.service_id] if by_service else [rows.c.team_id]
    query = select(*keys, func.count(), func.sum(case((rows.c.state == availability.UP, 1), else_=0))).group_by(*keys)
    return {tuple(found[:-2]) if by_service else found[0]: availability.sla(int(found[-1] or 0), found[-2])
            for found in session.execute(query)}


def team_sla(session: Session, cutoff: Cutoff) -> dict[int, float]:
    """Each team's SLA over all its services (teams never checked are absent)."""
    return _sla(session, cutoff, by_service=False)


def service_sla(session: Session, cutoff: Cutoff) -> dict[tuple[int, int], float]:
    """(team id, service id) -> that service's SLA for that team (pairs never checked are absent)."""
    return _sla(session, cutoff, by_service=True)


def any_service(session: Session) -> bool:
    return session.scalar(select(Service.id).where(Service.removed.is_(False)).limit(1)) is not None


def public(session: Session, cutoff: Cutoff) -> dict[str, Any]:
    """The contract's ``/api/v1/services``: the last finished round, the services, and per enabled
    team each service's last state and SLA. The states are live (they are no score); the SLA
    honours ``cutoff`` like every score does."""
    services = live_services(session)
    number = session.scalar(select(func.max(ServiceRound.number)).where(ServiceRound.finished_at.is_not(None)))
    latest = select(func.max(ServiceCheck.id)).group_by(ServiceCheck.team_id, ServiceCheck.service_id)
    states = {(team_id, service_id): state for team_id, service_id, state in session.execute(
        select(ServiceCheck.team_id, ServiceCheck.service_id, ServiceCheck.state).where(ServiceCheck.id.in_(latest)))}
    slas = service_sla(session, cutoff)
    teams = session.execute(select(Team.id, Team.name).where(Team.disabled.is_(False)).order_by(Team.id)).all()
    return {
        "round": number or 0,
        "services": [{"id": s.key, "title": s.title, "translations": s.translations} for s in services],
        "teams": [{"team_id": team_id, "team": name,
                   "states": {s.key: {"state": states[(team_id, s.id)], "sla": slas.get((team_id, s.id), 1.0)}
                              for s in services if (team_id, s.id) in states}}
                  for team_id, name in teams],
    }


class Answer:
    """``public`` encoded once per board (the board is rebuilt after every round and every change
    of teams), so an anonymous request costs a dictionary lookup, not a query."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: tuple[Any, bytes] | None = None

    def get(self, key: Any, make: Callable[[], bytes]) -> bytes:
        made = self._made
        if made is not None and made[0] == key:
            return made[1]
        with self._lock:  # callers arriving together share one query
            made = self._made
            if made is None or made[0] != key:
                made = self._made = (key, make())
        return made[1]
