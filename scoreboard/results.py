"""Final results: standings and per-team reports for export (JSON, CSV, CTFtime)."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import board, ctftime
from .models import Award, Challenge, Hint, HintUnlock, Solve, Team, utcnow
from .text import spreadsheet_safe


def standings(session: Session) -> list[dict[str, Any]]:
    """The true standings, ignoring the freeze: what organizers export and reveal."""
    return [row.as_dict() for row in board.compute(session).standings]


def export(session: Session, fmt: str) -> str:
    rows = standings(session)
    if fmt == "ctftime":
        grid = board.public_grid(session, None, utcnow())
        return ctftime.encode(ctftime.feed(rows, grid["challenges"], grid["solves"], grid["first_blood_bonus"])).decode() + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, ["pos", "team", "team_id", "country", "score", "solves", "last_solve_at"],
                                lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
        return out.getvalue()
    return json.dumps({"generated_at": utcnow().isoformat(), "standings": rows}, ensure_ascii=False, indent=1) + "\n"


def team_report(session: Session, team_id: int) -> dict[str, Any]:
    """One team's record: solves with times and points, hints taken, awards with reasons."""
    team = session.get(Team, team_id)
    values = board.challenge_values(session)
    first = {cid: sid for cid, sid in session.execute(
        select(Solve.challenge_id, Solve.id).order_by(Solve.id.desc()))}
    solves = session.execute(
        select(Solve, Challenge).join(Challenge, Challenge.id == Solve.challenge_id)
        .where(Solve.team_id == team_id).order_by(Solve.at)
    ).all()
    hints = session.execute(
        select(HintUnlock, Hint, Challenge).join(Hint, Hint.id == HintUnlock.hint_id)
        .join(Challenge, Challenge.id == Hint.challenge_id).where(HintUnlock.team_id == team_id).order_by(HintUnlock.at)
    ).all()
    awards = session.scalars(select(Award).where(Award.team_id == team_id).order_by(Award.at)).all()
    ranked = {row["team_id"]: row for row in standings(session)}
    return {
        "team": team.name, "team_id": team.id, "country": team.country,
        "pos": ranked.get(team.id, {}).get("pos"), "score": ranked.get(team.id, {}).get("score", 0),
        "members": [m.name for m in team.members],
        "solves": [{"challenge": c.name, "category": c.category, "at": s.at.isoformat(),
                    "points": values.get(c.id, 0), "first_blood": first.get(c.id) == s.id} for s, c in solves],
        "hints": [{"challenge": c.name, "hint_id": h.id, "cost": h.cost, "at": u.at.isoformat()} for u, h, c in hints],
        "awards": [{"value": a.value, "reason": a.reason, "at": a.at.isoformat()} for a in awards],
    }
