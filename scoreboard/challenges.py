"""What a team may see of the challenges: visibility (``Clock.shows``), locks, values, hints.

No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import board, events
from .clock import Clock
from .db import insert_ignore
from .models import Challenge, Hint, HintUnlock, Solve, Submission
from .text import render_markdown


class Refused(Exception):
    """A request the rules refuse; ``status`` is the HTTP status an API would answer with."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status:
            self.status = status


class NotFound(Refused):
    status = 404


class Forbidden(Refused):
    status = 403


@dataclass
class TeamView:
    """Everything the listing needs, fetched in a handful of queries for one team."""

    clock: Clock
    solved: dict[int, datetime]
    counts: dict[int, int]

    def solved_names(self, challenges: list[Challenge]) -> set[str]:
        return {c.name for c in challenges if c.id in self.solved}


def _team_view(session: Session, team_id: int | None, now: datetime) -> TeamView:
    """The team's own solves are live; everyone's solve counts (and so values) honour the freeze."""
    clock = events.clock_of(events.drill(session))
    solved = {}
    if team_id is not None:
        solved = dict(session.execute(select(Solve.challenge_id, Solve.at).where(Solve.team_id == team_id)).all())
    return TeamView(clock, solved, board.solve_counts(session, clock.public_cutoff(now)))


def _locked(challenge: Challenge, solved_names: set[str]) -> bool:
    return any(name not in solved_names for name in challenge.requirements)


def _summary(challenge: Challenge, view: TeamView, solved_names: set[str]) -> dict[str, Any]:
    locked = _locked(challenge, solved_names)
    hidden_name = locked and challenge.anonymize
    return {
        "id": challenge.id,
        "name": "???" if hidden_name else challenge.name,
        "category": challenge.category,
        "value": board.value_of(challenge, view.counts.get(challenge.id, 0)),
        "solves": view.counts.get(challenge.id, 0),
        "solved": challenge.id in view.solved,
        "locked": locked,
        "requirements": [] if hidden_name else list(challenge.requirements),
        "tags": list(challenge.tags),
        "translations": {lang: {"name": t["name"]} for lang, t in challenge.translations.items() if "name" in t}
        if not hidden_name else {},
    }


def _all(session: Session) -> list[Challenge]:
    return list(session.scalars(
        select(Challenge).where(Challenge.removed.is_(False)).order_by(Challenge.pack_id, Challenge.position)
    ))


def list_for_team(session: Session, team_id: int | None, now: datetime, preview: bool = False) -> list[dict[str, Any]]:
    """The caller's visible challenges with current values and the team's solved marks."""
    view = _team_view(session, team_id, now)
    challenges = _all(session)
    solved_names = view.solved_names(challenges)
    return [_summary(c, view, solved_names) for c in challenges if view.clock.shows(c, now, preview)]


def get_visible(session: Session, challenge_id: int, now: datetime, preview: bool = False) -> Challenge:
    """The challenge if the caller may see it: 404 when unknown or hidden, 403 before release."""
    challenge = session.get(Challenge, challenge_id)
    if challenge is None or challenge.removed or (challenge.state != "visible" and not preview):
        raise NotFound("no such challenge")
    clock = events.clock_of(events.drill(session))
    if not clock.shows(challenge, now, preview):
        raise Forbidden("this challenge is not released yet")
    return challenge


def ensure_unlocked(session: Session, challenge: Challenge, team_id: int | None) -> None:
    if not challenge.requirements or team_id is None:
        return
    solved = set(session.scalars(
        select(Challenge.name).join(Solve, Solve.challenge_id == Challenge.id)
        .where(Solve.team_id == team_id, Challenge.pack_id == challenge.pack_id)
    ))
    missing = [name for name in challenge.requirements if name not in solved]
    if missing:
        raise Forbidden("solve " + ", ".join(repr(n) for n in missing) + " first")


def detail_for_team(session: Session, challenge_id: int, team_id: int | None, now: datetime,
                    preview: bool = False) -> dict[str, Any]:
    """One challenge as the team sees it: sanitised description, files, hints (content only once unlocked)."""
    challenge = get_visible(session, challenge_id, now, preview)
    if not preview:
        ensure_unlocked(session, challenge, team_id)
    view = _team_view(session, team_id, now)
    unlocked = set()
    if team_id is not None:
        unlocked = set(session.scalars(select(HintUnlock.hint_id).where(HintUnlock.team_id == team_id)))
    data = _summary(challenge, view, view.solved_names(_all(session)) if challenge.requirements else set())
    data["locked"] = False
    translations = {
        lang: {"name": t.get("name", challenge.name), "description_html": render_markdown(t.get("description", challenge.description))}
        for lang, t in challenge.translations.items()
    }
    data.update(
        name=challenge.name,
        author=challenge.author,
        description_html=render_markdown(challenge.description),
        connection_info=challenge.connection_info,
        files=[{"name": f.name, "url": f"/files/{f.id}/{f.name}", "size": f.size, "sha256": f.sha256}
               for f in challenge.files],
        hints=[
            {"id": h.id, "title": h.title, "cost": h.cost,
             "unlocked": h.id in unlocked or h.cost == 0,
             "content": render_markdown(h.content) if (h.id in unlocked or h.cost == 0) else None}
            for h in challenge.hints if not h.removed
        ],
        max_attempts=challenge.max_attempts,
        solved_at=view.solved[challenge.id].isoformat() if challenge.id in view.solved else None,
        translations=translations,
    )
    return data


def unlock_hint(session: Session, hint_id: int, team_id: int, user_id: int | None, now: datetime) -> dict[str, Any]:
    """Pay a hint's cost once per team and return its content; a second unlock costs nothing."""
    hint = session.get(Hint, hint_id)
    if hint is None or hint.removed:
        raise NotFound("no such hint")
    challenge = get_visible(session, hint.challenge_id, now)
    ensure_unlocked(session, challenge, team_id)
    clock = events.clock_of(events.drill(session))
    existing = session.scalar(select(HintUnlock.id).where(HintUnlock.team_id == team_id, HintUnlock.hint_id == hint_id))
    if existing is None:
        if hint.cost and not clock.accepts_attempts(now):
            raise Forbidden("hints can be unlocked only while the drill is running")
        # A teammate unlocking it at the same moment finds the row there: it is paid once.
        if insert_ignore(session, HintUnlock, team_id=team_id, hint_id=hint_id, user_id=user_id, at=now):
            if hint.cost:
                events.notify_board(session)
            events.notify_team(session, team_id, "notice", {
                "kind": "hint_unlocked", "challenge_id": challenge.id, "challenge": challenge.name,
                "hint_id": hint.id, "cost": hint.cost, "at": now.isoformat()})
    return {"id": hint.id, "challenge_id": challenge.id, "cost": hint.cost, "content": render_markdown(hint.content)}


def team_solve_count(session: Session, challenge_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Solve).where(Solve.challenge_id == challenge_id)) or 0


def attempts_left(session: Session, team_id: int) -> dict[int, int]:
    """Wrong answers a team may still give, for each challenge that limits them (``attempts``)."""
    wrong = dict(session.execute(
        select(Submission.challenge_id, func.count()).where(Submission.team_id == team_id,
                                                             Submission.verdict == "incorrect")
        .group_by(Submission.challenge_id)
    ).all())
    limited = session.execute(select(Challenge.id, Challenge.max_attempts).where(Challenge.max_attempts > 0))
    return {cid: max(0, limit - wrong.get(cid, 0)) for cid, limit in limited}
