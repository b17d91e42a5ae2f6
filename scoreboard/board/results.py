"""Final results: standings and per-team reports for export (JSON, CSV, CTFtime)."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.board import ctftime, ledger, standings
from scoreboard.core.scoring import CATEGORIES, Standing, weighted
from scoreboard.core.text import spreadsheet_safe
from scoreboard.store import events
from scoreboard.store.models import Award, Challenge, Deduction, Grade, Team, utcnow


def final_standings(session: Session) -> list[dict[str, Any]]:
    """The true standings, ignoring the freeze: what organizers export and reveal."""
    return [row.as_dict() for row in standings.compute(session).standings]


def weights(session: Session) -> dict[str, int] | None:
    """pack.yml ``weights`` (percent per category), or None when the score is the plain sum."""
    return events.drill(session).weights or None


# ``sla``: a team's SLA over its defended services (empty when the drill defends none).
COLUMNS = ["pos", "team", "team_id", "country", "score", "solves", "last_solve_at", *CATEGORIES,
           *(f"{c}_weight" for c in CATEGORIES), "sla"]


def _csv_row(row: dict[str, Any], weighting: dict[str, int] | None) -> dict[str, Any]:
    """A standing flattened: the breakdown's raw points, and the weights (empty without them)."""
    flat = {k: v for k, v in row.items() if k != "breakdown"}
    flat.update({c: row["breakdown"].get(c, 0) for c in CATEGORIES})
    flat.update({f"{c}_weight": (weighting or {}).get(c, "") for c in CATEGORIES})
    return flat


def export(session: Session, fmt: str) -> str:
    """Final standings: score (weighted with pack.yml weights), the breakdown per category, the weights."""
    rows = final_standings(session)
    if fmt == "ctftime":
        grid = standings.public_grid(session, None, utcnow())
        return ctftime.encode(ctftime.feed(rows, grid["challenges"], grid["solves"])).decode() + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        weighting = weights(session)
        writer.writerows({k: spreadsheet_safe(v) for k, v in _csv_row(row, weighting).items()} for row in rows)
        return out.getvalue()
    return json.dumps({"generated_at": utcnow().isoformat(), "weights": weights(session), "standings": rows},
                      ensure_ascii=False, indent=1) + "\n"


def team_report(session: Session, team_id: int, public: list[Standing] | None = None) -> dict[str, Any]:
    """One team's record, read from its ledger entries so that every line adds up to the score:
    solves with their points (the first-blood bonus itemised), hints bought, awards with reasons,
    released grades, the red team's deductions (voided ones marked), and the breakdown. ``pos`` is
    the rank on ``public`` (the public standings, which hold back what the freeze holds back;
    default: the true standings, as organizers see them)."""
    team = session.get(Team, team_id)
    # Values as the standings count them (a disabled team's own record still lists its rows).
    mine = [e for e in ledger.entries(session, ledger.Visibility(everyone=team.disabled)) if e.team_id == team_id]
    names = {c.id: c for c in session.scalars(select(Challenge).where(
        Challenge.id.in_({e.ref for e in mine if e.source in ("solve", "hint", "grade")})))}
    bonus = {e.ref: e.points for e in mine if e.source == "first_blood"}
    awards = {a.id: a for a in session.scalars(select(Award).where(Award.team_id == team_id))}
    grades = {g.challenge_id: g for g in session.scalars(select(Grade).where(Grade.team_id == team_id))}
    totals = ledger.breakdown(mine)
    ranked = {row.team_id: row.pos for row in (public if public is not None else standings.compute(session).standings)}
    return {
        "team": team.name, "team_id": team.id, "country": team.country,
        "pos": ranked.get(team.id), "score": weighted(totals, weights(session)),
        "members": [m.name for m in team.members],
        "solves": [{"challenge": names[e.ref].name, "category": names[e.ref].category, "at": e.at.isoformat(),
                    "value": e.points, "bonus": bonus.get(e.ref, 0), "points": e.points + bonus.get(e.ref, 0),
                    "first_blood": e.ref in bonus} for e in mine if e.source == "solve"],
        "hints": [{"challenge": names[e.ref].name, "cost": -e.points, "at": e.at.isoformat()}
                  for e in mine if e.source == "hint"],
        "awards": [{"value": e.points, "reason": awards[e.ref].reason, "at": e.at.isoformat()}
                   for e in mine if e.source == "award"],
        "grades": [{"challenge": names[e.ref].name, "points": e.points, "comment": grades[e.ref].comment,
                    "released_at": e.at.isoformat()} for e in mine if e.source == "grade"],
        "deductions": [_deduction(row) for row in session.scalars(
            select(Deduction).where(Deduction.team_id == team_id).order_by(Deduction.id.desc()))],
        "breakdown": {c: totals.get(c, 0) for c in CATEGORIES},
        "weights": weights(session),
    }


def _deduction(row: Any) -> dict[str, Any]:
    """A deduction as its team sees it: no evidence, no author."""
    return {"points": row.points, "reason": row.reason, "at": row.at.isoformat(),
            "voided_at": row.voided_at.isoformat() if row.voided_at else None, "void_reason": row.void_reason}
