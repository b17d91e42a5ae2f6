"""Where each team's services answer, and what a round checks.

services.yml's ``teams`` gives every team one host; an organizer overrides it for a team (all its
services, or one) from the CLI, the console or a CSV import. The override wins over the pack; a
reload of the pack keeps it. No Flask here; the caller commits.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoreboard.core import names
from scoreboard.core.errors import N_, NotFound, Refused
from scoreboard.drill import audit
from scoreboard.packs.services import check_host
from scoreboard.store.models import Service, ServiceCheck, ServiceHost, Team

MAX_ROWS = 5000


@dataclass(frozen=True)
class Target:
    """One team's service to check in a round, with the flag it was last given (for ``get``)."""

    team_id: int
    team: str
    service_id: int
    service: str
    host: str
    port: int
    points: int
    check: dict[str, Any]
    flag_id: str | None = None
    flag: str | None = None


def _hosts(session: Session) -> dict[tuple[str, int | None, bool], str]:
    """(team key, service id or None for all, set by an organizer) -> host."""
    return {(row.team_key, row.service_id, row.pack_id is None): row.host
            for row in session.scalars(select(ServiceHost).order_by(ServiceHost.id))}


def host_of(hosts: dict[tuple[str, int | None, bool], str], team_key: str, service_id: int) -> str | None:
    """An organizer's host for this service, else theirs for the team, else the pack's."""
    for key in ((team_key, service_id, True), (team_key, None, True), (team_key, None, False)):
        if key in hosts:
            return hosts[key]
    return None


def targets(session: Session, services: list[Service]) -> list[Target]:
    """Every enabled team's live services that have a host, with the flag each was last given."""
    hosts = _hosts(session)
    # The flag each service last kept (a put that succeeded): the next round asks for it back.
    kept = select(func.max(ServiceCheck.id)).where(ServiceCheck.flag.is_not(None)).group_by(
        ServiceCheck.team_id, ServiceCheck.service_id)
    flags = {(t, s): (fid, flag) for t, s, fid, flag in session.execute(
        select(ServiceCheck.team_id, ServiceCheck.service_id, ServiceCheck.flag_id, ServiceCheck.flag)
        .where(ServiceCheck.id.in_(kept)))}
    found = []
    for team in session.scalars(select(Team).where(Team.disabled.is_(False)).order_by(Team.id)):
        for service in services:
            host = host_of(hosts, team.name_key, service.id)
            if host is not None:
                flag_id, flag = flags.get((team.id, service.id), (None, None))
                found.append(Target(team.id, team.name, service.id, service.key, host, service.port, service.points,
                                    service.check, flag_id, flag))
    return found


def _team(session: Session, name: Any) -> Team:
    if not isinstance(name, str) or not name.strip():
        raise Refused(N_("name the team"))
    team = session.scalar(select(Team).where(Team.name_key == names.name_key(name)))
    if team is None:
        raise NotFound(N_("no team named %(name)s"), name=name)
    return team


def service_named(session: Session, key: Any) -> Service | None:
    """The live service named by its services.yml id; None for an empty name (all services, or a
    deduction that names none)."""
    if key is None or key == "":
        return None
    row = session.scalar(select(Service).where(Service.key == key, Service.removed.is_(False))) \
        if isinstance(key, str) and len(key) <= 100 else None
    if row is None:
        raise NotFound(N_("no such service: %(service)s"), service=key)
    return row


def _host(value: Any) -> str:
    try:
        return check_host(value, "host")
    except ValueError:
        raise Refused(N_("the host must be a host name or an IP address, e.g. 10.0.3.2")) from None


def set_host(session: Session, team_name: Any, service_key: Any, host: Any, actor: str) -> dict[str, Any]:
    """Point one team's service (or all its services) at ``host``; overrides the pack."""
    team, service, address = _team(session, team_name), service_named(session, service_key), _host(host)
    _put(session, team.name_key, service.id if service else None, address)
    change = {"team_id": team.id, "team": team.name, "service": service.key if service else None, "host": address}
    audit.record(session, actor, "service.host", change)
    return change


def _put(session: Session, team_key: str, service_id: int | None, host: str) -> None:
    row = session.scalar(select(ServiceHost).where(ServiceHost.team_key == team_key, ServiceHost.pack_id.is_(None),
                                                   ServiceHost.service_id.is_(service_id) if service_id is None
                                                   else ServiceHost.service_id == service_id))
    if row is None:
        session.add(ServiceHost(team_key=team_key, service_id=service_id, host=host))
    else:
        row.host = host


def import_hosts(session: Session, text: str, actor: str) -> int:
    """CSV with ``team,host[,service]``: every row checked before any is written; returns how
    many hosts were set."""
    try:
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as err:
        raise Refused(N_("not a readable CSV file: %(why)s"), why=str(err)) from None
    if not rows or not {"team", "host"} <= {(k or "").strip().lower() for k in rows[0]}:
        raise Refused(N_("the CSV needs a header 'team,host[,service]' and one team per line"))
    if len(rows) > MAX_ROWS:
        raise Refused(N_("Too many rows: one import takes at most %(max)s"), max=MAX_ROWS)
    problems, parsed = [], []
    for number, row in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        try:
            team, service = _team(session, row.get("team")), service_named(session, row.get("service"))
            parsed.append((team.name_key, service.id if service else None, _host(row.get("host"))))
        except Refused as err:
            problems.append(Refused(N_("row %(row)s: %(problem)s"), row=number, problem=err))
    if problems:
        raise Refused(N_("%(problems)s. Nothing was imported."), problems=problems[:20])
    for team_key, service_id, host in parsed:
        _put(session, team_key, service_id, host)
    audit.record(session, actor, "service.hosts", {"rows": len(parsed)})
    return len(parsed)
