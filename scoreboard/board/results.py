"""Final results: standings and per-team reports for export (JSON, CSV, CTFtime)."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.board import ctftime, standings
from scoreboard.core.scoring import CATEGORIES
from scoreboard.core.text import spreadsheet_safe
from scoreboard.store import events
from scoreboard.store.models import Award, Challenge, Deduction, Grade, Hint, HintUnlock, Solve, Team, utcnow


def final_standings(session: Session) -> list[dict[str, Any]]:
    """The true standings, ignoring the freeze: what organizers export and reveal."""
    return [row.as_dict() for row in standings.compute(session).standings]


def weights(session: Session) -> dict[str, int] | None:
    """pack.yml ``weights`` (percent per category), or None when the score is the plain sum."""
    return events.drill(session).weights or None


COLUMNS = ["pos", "team", "team_id", "country", "score", "solves", "last_solve_at", *CATEGORIES,
           *(f"{c}_weight" for c in CATEGORIES)]


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
        return ctftime.encode(ctftime.feed(rows, grid["challenges"], grid["solves"], grid["first_blood_bonus"])).decode() + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        weighting = weights(session)
        writer.writerows({k: spreadsheet_safe(v) for k, v in _csv_row(row, weighting).items()} for row in rows)
        return out.getvalue()
    return json.dumps({"generated_at": utcnow().isoformat(), "weights": weights(session), "standings": rows},
                      ensure_ascii=False, indent=1) + "\n"


def team_report(session: Session, team_id: int) -> dict[str, Any]:
    """One team's record: solves with times and points, hints taken, awards with reasons, released report
    grades, the red team's deductions (voided ones marked), and the score's breakdown."""
    team = session.get(Team, team_id)
    values = standings.challenge_values(session)
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
    grades = session.execute(
        select(Grade, Challenge).join(Challenge, Challenge.id == Grade.challenge_id)
        .where(Grade.team_id == team_id, Grade.released_at.is_not(None)).order_by(Grade.released_at)
    ).all()
    ranked = {row["team_id"]: row for row in final_standings(session)}
    return {
        "team": team.name, "team_id": team.id, "country": team.country,
        "pos": ranked.get(team.id, {}).get("pos"), "score": ranked.get(team.id, {}).get("score", 0),
        "members": [m.name for m in team.members],
        "solves": [{"challenge": c.name, "category": c.category, "at": s.at.isoformat(),
                    "points": values.get(c.id, 0), "first_blood": first.get(c.id) == s.id} for s, c in solves],
        "hints": [{"challenge": c.name, "hint_id": h.id, "cost": h.cost, "at": u.at.isoformat()} for u, h, c in hints],
        "awards": [{"value": a.value, "reason": a.reason, "at": a.at.isoformat()} for a in awards],
        "grades": [{"challenge": c.name, "points": g.points, "comment": g.comment, "released_at": g.released_at.isoformat()}
                   for g, c in grades],
        "deductions": [_deduction(row) for row in session.scalars(
            select(Deduction).where(Deduction.team_id == team_id).order_by(Deduction.id.desc()))],
        "breakdown": ranked.get(team.id, {}).get("breakdown", {c: 0 for c in CATEGORIES}),
        "weights": weights(session),
    }


def _deduction(row: Any) -> dict[str, Any]:
    """A deduction as its team sees it: no evidence, no author."""
    return {"points": row.points, "reason": row.reason, "at": row.at.isoformat(),
            "voided_at": row.voided_at.isoformat() if row.voided_at else None, "void_reason": row.void_reason}
