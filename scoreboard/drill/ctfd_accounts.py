"""Teams and players from a CTFd export (``drill import-ctfd --with-accounts``).

Every account is checked first (names normalised as Drillboard's own, a country for each team)
and any problem refuses the whole import, so nothing half-arrives. Players keep the password
they know: their CTFd hash is checked at their first login and replaced by argon2 then
(``accounts.adopt_member``). Not imported, and listed: CTFd's organizers (make them with
``drill create-admin``), players in no team, team passwords (Drillboard teams get join codes)
and API tokens. Drillboard keeps no e-mail addresses and no captains: both are in the report
this returns, for the organizers to contact each team.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.core import ctfd_hashes, names
from scoreboard.core.errors import N_, Refused
from scoreboard.drill import accounts, organizer
from scoreboard.packs.ctfd_export import Export
from scoreboard.store.models import Team, User


@dataclass
class Player:
    name: str
    email: str | None
    ctfd_hash: str | None


@dataclass
class PlannedTeam:
    name: str
    country: str
    disabled: bool
    captain: str | None = None
    players: list[Player] = field(default_factory=list)


@dataclass
class AccountPlan:
    teams: list[PlannedTeam]
    not_imported: list[str]

    def lines(self) -> list[str]:
        """The teams and players to create, one line per team, for the import's report."""
        out = [f"teams ({len(self.teams)}):"]
        for team in self.teams:
            people = ", ".join(p.name + (" (captain)" if p.name == team.captain else "") for p in team.players)
            out.append(f"  + {team.name} ({team.country}{', disabled' if team.disabled else ''}): {people}")
        return out


_NOTHING = N_("%(problems)s. No account was imported.")
_TWICE = {"team": N_("two CTFd teams are named %(name)r (to Drillboard, names that differ only in case or width "
                     "are the same)"),
          "player": N_("two CTFd players are named %(name)r (to Drillboard, names that differ only in case or width "
                       "are the same)")}


def _team_country(raw: Any, fallback: str | None) -> str | None:
    code = raw.strip().upper() if isinstance(raw, str) else ""
    return code if code in names.COUNTRIES else fallback


def _teams_of(export: Export) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(team row, its players' rows): CTFd's teams, or in users mode one team per player."""
    players = [u for u in export.rows("users") if u.get("type") != "admin"]
    mode = next((c.get("value") for c in export.rows("config") if c.get("key") == "user_mode"), "teams")
    if mode == "users":
        return [(player, [player]) for player in players]
    members: dict[Any, list[dict[str, Any]]] = {}
    for player in players:
        members.setdefault(player.get("team_id"), []).append(player)
    return [(team, members.get(team.get("id"), [])) for team in export.rows("teams")]


def _planned(team: dict[str, Any], players: list[dict[str, Any]], country: str | None,
             problems: list[Refused]) -> PlannedTeam | None:
    try:
        name = names.display_name(team.get("name"), "team name")
        people = [Player(names.display_name(p.get("name"), "user name"), p.get("email"), p.get("password"))
                  for p in players]
    except Refused as err:
        problems.append(Refused(N_("CTFd team %(name)r: %(problem)s"), name=str(team.get("name")), problem=err))
        return None
    code = _team_country(team.get("country"), country)
    if code is None:
        problems.append(Refused(N_("CTFd team %(name)r has no country; give one for such teams with --country CC"),
                                name=name))
        return None
    captain = next((p.name for p, row in zip(people, players, strict=True) if row.get("id") == team.get("captain_id")),
                   None)
    return PlannedTeam(name, code, bool(team.get("banned")), captain, people)


def plan(export: Export, country: str | None) -> AccountPlan:
    """Check every team and player of ``export``; Refused (listing each problem) if one is wrong."""
    if country is not None:
        country = names.country_code(country)
    problems: list[Refused] = []
    pairs = _teams_of(export)
    teams = [found for team, players in pairs if (found := _planned(team, players, country, problems))]
    for what, found in (("team", [t.name for t in teams]), ("player", [p.name for t in teams for p in t.players])):
        seen: set[str] = set()
        for name in found:
            if names.name_key(name) in seen:
                problems.append(Refused(_TWICE[what], name=name))
            seen.add(names.name_key(name))
    if problems:
        raise Refused(_NOTHING, problems=problems)
    return AccountPlan(teams, _left_out(export, pairs))


def _left_out(export: Export, pairs: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> list[str]:
    """What of CTFd's accounts stays behind, as lines of the import's report."""
    placed = {id(p) for _, players in pairs for p in players}
    admins = [u.get("name") for u in export.rows("users") if u.get("type") == "admin"]
    loose = [u.get("name") for u in export.rows("users") if u.get("type") != "admin" and id(u) not in placed]
    lines = []
    if admins:
        lines.append(f"{len(admins)} CTFd admin account(s) ({', '.join(map(str, admins))}): make organizers with "
                     "drill create-admin")
    if loose:
        lines.append(f"{len(loose)} player(s) in no team ({', '.join(map(str, loose))})")
    if any(t.get("password") for t in export.rows("teams")):
        lines.append("team passwords: each imported team gets a join code instead")
    if export.rows("tokens"):
        lines.append(f"{len(export.rows('tokens'))} API token(s): players make new ones")
    return lines


def check_free(session: Session, accounts_plan: AccountPlan) -> None:
    """Refuse (before writing) when a team or player name is already taken in this drill."""
    taken = []
    for model, wanted in ((Team, [t.name for t in accounts_plan.teams]),
                          (User, [p.name for t in accounts_plan.teams for p in t.players])):
        keys = {names.name_key(name): name for name in wanted}
        rows = session.scalars(select(model.name).where(model.name_key.in_(list(keys)))).all() if keys else []
        taken += [Refused(N_("%(name)r is already taken in this drill"), name=name) for name in rows]
    if taken:
        raise Refused(_NOTHING, problems=taken)


def apply(session: Session, accounts_plan: AccountPlan, actor: str) -> list[dict[str, Any]]:
    """Create the planned teams and players; one entry per team for the organizers' report."""
    check_free(session, accounts_plan)
    report = []
    for planned in accounts_plan.teams:
        try:
            team = organizer.create_team(session, planned.name, planned.country, actor)
            for player in planned.players:
                accounts.adopt_member(session, team, player.name, player.ctfd_hash)
        except Refused as err:
            raise Refused(_NOTHING, problems=[Refused(N_("CTFd team %(name)r: %(problem)s"), name=planned.name,
                                                      problem=err)]) from None
        if planned.disabled:
            organizer.set_team_disabled(session, team.id, True, actor)
        report.append({"id": team.id, "name": team.name, "country": team.country, "join_code": team.join_code,
                       "disabled": planned.disabled, "captain": planned.captain,
                       "members": [{"name": p.name, "email": p.email,
                                    "password": "CTFd's" if ctfd_hashes.is_ctfd_hash(p.ctfd_hash)
                                    else "none: reset it in the console"}
                                   for p in planned.players]})
    return report
