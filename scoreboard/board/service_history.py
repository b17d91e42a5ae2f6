"""What happened to the defended services, as people read it after the fact: each team's own last
checks (its page), the outages with their durations (the after-action pages, the console beside
the red team's deductions) and the SLA per team and service.

Outages come from the stored ``service`` events — one per change of state, not one per check —
so a long drill reads a few rows, not every round's. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoreboard.board.ledger import Cutoff, aware
from scoreboard.board.services import live_services, service_sla
from scoreboard.core import availability
from scoreboard.store.models import Event, ServiceCheck, ServiceRound, Team


@dataclass(frozen=True)
class Outage:
    """A stretch of time one team's service was not up: from the check that found it ``state``
    (down, mumble, corrupt or the checker's error) to the check that found it up again (``end``
    None: it is still out)."""

    team_id: int
    team: str
    service: str  # the services.yml id
    state: str
    start: datetime
    end: datetime | None

    def seconds(self, now: datetime) -> int:
        return int(((self.end or now) - self.start).total_seconds())


def outages(session: Session, team_id: int | None = None) -> list[Outage]:
    """Every outage (of one team, or all), oldest first; one still going has no end."""
    open_: dict[tuple[int, str], tuple[str, datetime, str]] = {}
    found: list[Outage] = []
    for payload, at in session.execute(select(Event.payload, Event.at).where(Event.kind == "service").order_by(Event.id)):
        team, key, state = payload.get("team_id"), payload.get("service"), payload.get("state")
        if team_id is not None and team != team_id:
            continue
        began = open_.get((team, key))
        if state != availability.UP and began is None:
            open_[(team, key)] = (state, aware(at), payload.get("team", ""))
        elif state == availability.UP and began is not None:
            del open_[(team, key)]
            found.append(Outage(team, began[2], key, began[0], began[1], aware(at)))
    found.extend(Outage(team, name, key, state, start, None) for (team, key), (state, start, name) in open_.items())
    return sorted(found, key=lambda o: (o.start, o.team_id, o.service))


def last_checks(session: Session, team_id: int) -> list[dict[str, Any]]:
    """One team's live services as their last check found them: state, public message, round and
    time (never the private detail, never another team's)."""
    latest = select(func.max(ServiceCheck.id)).where(ServiceCheck.team_id == team_id).group_by(ServiceCheck.service_id)
    rows = {check.service_id: (check, number) for check, number in session.execute(
        select(ServiceCheck, ServiceRound.number).join(ServiceRound, ServiceRound.id == ServiceCheck.round_id)
        .where(ServiceCheck.id.in_(latest)))}
    slas = service_sla(session, None)
    checks = []
    for service in live_services(session):
        check, number = rows.get(service.id, (None, None))
        checks.append({"service": service.key, "title": service.title, "translations": service.translations,
                       "state": check.state if check else None, "message": check.message if check else "",
                       "round": number, "at": aware(check.at) if check else None,
                       "sla": slas.get((team_id, service.id), 1.0)})
    return checks


def sla_table(session: Session, cutoff: Cutoff = None, team_id: int | None = None) -> dict[str, Any]:
    """SLA per team and service (one team's, or every enabled team's): ``{"services": [...],
    "teams": [{"team_id", "team", "sla": {service key: 0.0–1.0}}]}``."""
    services = live_services(session)
    slas = service_sla(session, cutoff)
    query = select(Team.id, Team.name).where(Team.disabled.is_(False)).order_by(Team.name)
    if team_id is not None:
        query = query.where(Team.id == team_id)
    return {"services": [{"id": s.key, "title": s.title, "translations": s.translations} for s in services],
            "teams": [{"team_id": tid, "team": name, "sla": {s.key: slas.get((tid, s.id), 1.0) for s in services}}
                      for tid, name in session.execute(query)]}
