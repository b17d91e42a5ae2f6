"""Importing teams from CSV: every row is checked before any is written."""
from __future__ import annotations

import csv
import io
import secrets
from typing import Any

from sqlalchemy.orm import Session

from scoreboard.core import names
from scoreboard.core.errors import N_, Refused
from scoreboard.drill import accounts, organizer

MAX_ROWS = 1000


_ROW = N_("row %(row)s: %(problem)s")


def import_teams(session: Session, text: str, actor: str) -> list[dict[str, Any]]:
    """CSV with ``name,country[,members]`` (members separated by ``;``).

    Returns one entry per team with its join code and each new member's password. A bad row
    raises Refused naming the row, and nothing is imported.
    """
    try:
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as err:
        raise Refused(N_("not a readable CSV file: %(why)s"), why=str(err)) from None
    if not rows:
        raise Refused(N_("the CSV has no rows; expected a header 'name,country[,members]' and one team per line"))
    header = {key.strip().lower() for key in rows[0] if key}
    if not {"name", "country"} <= header:
        raise Refused(N_("the CSV header must contain 'name' and 'country' (and optionally 'members')"))
    if len(rows) > MAX_ROWS:
        raise Refused(N_("too many teams: at most %(max)s per import"), max=MAX_ROWS)
    problems, seen = [], {}
    parsed = []
    for number, row in enumerate(rows, start=2):
        if None in row:  # DictReader keeps the fields beyond the header under None
            problems.append(Refused(N_("row %(row)s has more fields than the header"), row=number))
            continue
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            name = names.display_name(row.get("name", ""), "team name")
            country = names.country_code(row.get("country", ""))
            members = [names.display_name(m, "member name") for m in row.get("members", "").split(";") if m.strip()]
        except Refused as err:
            problems.append(Refused(_ROW, row=number, problem=err))
            continue
        key = names.name_key(name)
        if key in seen:
            problems.append(Refused(N_("row %(row)s: team %(name)r appears twice (also row %(first)s)"), row=number,
                                    name=name, first=seen[key]))
        seen[key] = number
        parsed.append((number, name, country, members))
    if problems:
        raise Refused(N_("%(problems)s. Nothing was imported."), problems=problems)
    created = []
    for number, name, country, members in parsed:
        try:
            team = organizer.create_team(session, name, country, actor)
            passwords = {}
            for member in members:
                password = secrets.token_urlsafe(9)
                accounts.create_member(session, team, member, password)
                passwords[member] = password
        except Refused as err:
            raise Refused(N_("%(problems)s. Nothing was imported."), problems=[Refused(_ROW, row=number, problem=err)]) \
                from None
        created.append({"id": team.id, "name": team.name, "country": team.country, "join_code": team.join_code,
                        "members": passwords})
    return created
