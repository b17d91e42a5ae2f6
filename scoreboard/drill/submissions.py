"""The submission log for organizers: search, export, and per-challenge health."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from scoreboard.core.text import spreadsheet_safe
from scoreboard.store.models import Challenge, Solve, Submission, Team, User

PER_PAGE = 50
VERDICTS = ("correct", "incorrect", "partial", "already_solved")


@dataclass
class Query:
    team_id: int | None = None
    challenge_id: int | None = None
    verdict: str | None = None
    text: str | None = None
    page: int = 1


def _select(query: Query) -> Select:
    stmt = (
        select(Submission, Team.name, Challenge.name, User.name)
        .join(Team, Team.id == Submission.team_id)
        .join(Challenge, Challenge.id == Submission.challenge_id)
        .outerjoin(User, User.id == Submission.user_id)
    )
    if query.team_id:
        stmt = stmt.where(Submission.team_id == query.team_id)
    if query.challenge_id:
        stmt = stmt.where(Submission.challenge_id == query.challenge_id)
    if query.verdict in VERDICTS:
        stmt = stmt.where(Submission.verdict == query.verdict)
    if query.text:
        stmt = stmt.where(Submission.answer.contains(query.text[:200]))
    return stmt


def _row(submission: Submission, team: str, challenge: str, user: str | None) -> dict[str, Any]:
    return {"id": submission.id, "at": submission.at.isoformat(), "team": team, "user": user or "",
            "challenge": challenge, "verdict": submission.verdict, "answer": submission.answer,
            "source": submission.source or ""}


def search(session: Session, query: Query) -> tuple[list[dict[str, Any]], int]:
    """One page of matching submissions, newest first, and the total count."""
    stmt = _select(query)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(query.page, 1)
    rows = session.execute(stmt.order_by(Submission.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return [_row(*row) for row in rows], total


def export_csv(session: Session, query: Query) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, ["id", "at", "team", "user", "challenge", "verdict", "answer", "source"],
                            lineterminator="\n")
    writer.writeheader()
    for row in session.execute(_select(query).order_by(Submission.id)):
        writer.writerow({k: spreadsheet_safe(v) for k, v in _row(*row).items()})
    return out.getvalue()


def challenge_health(session: Session, challenge_id: int) -> dict[str, Any]:
    """Solves, attempts, first blood and the most common wrong answers: is the flag broken?"""
    solves = session.execute(
        select(Solve.at, Team.name).join(Team, Team.id == Solve.team_id)
        .where(Solve.challenge_id == challenge_id).order_by(Solve.id)
    ).all()
    counts = dict(session.execute(
        select(Submission.verdict, func.count()).where(Submission.challenge_id == challenge_id)
        .group_by(Submission.verdict)
    ).all())
    common = session.execute(
        select(Submission.answer, func.count().label("n"), func.count(func.distinct(Submission.team_id)))
        .where(Submission.challenge_id == challenge_id, Submission.verdict == "incorrect")
        .group_by(Submission.answer).order_by(func.count().desc()).limit(10)
    ).all()
    return {
        "solves": [{"team": team, "at": at.isoformat()} for at, team in solves],
        "first_blood": {"team": solves[0][1], "at": solves[0][0].isoformat()} if solves else None,
        "attempts": sum(counts.values()),
        "wrong": counts.get("incorrect", 0),
        "common_wrong": [{"answer": a, "count": n, "teams": t} for a, n, t in common],
    }
