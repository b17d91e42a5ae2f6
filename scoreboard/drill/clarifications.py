"""Clarifications: a team asks exercise control (organizers and the white cell) about a challenge
it can see or about the drill; the answer reaches that team's inbox, or, published, every team's
without naming who asked.

Questions are bounded in length and in number per team (a sliding window counted in the
database, so every worker agrees); asking and answering are audited. No Flask here.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from scoreboard.core.errors import N_, Forbidden, NotFound, Refused
from scoreboard.drill import audit, challenges, inbox
from scoreboard.drill.accounts import Actor
from scoreboard.store.caches import Catalog
from scoreboard.store.db import find
from scoreboard.store.models import Clarification, Team

MAX_QUESTION, MAX_ANSWER = 2000, 10_000
# A team may ask this many questions in this many seconds: enough for real doubts, not a flood.
LIMIT, WINDOW = 5, 600
# Who answers: the exercise control's white cell, and organizers.
ANSWERING_ROLES = ("admin", "white_cell")


class TooManyQuestions(Refused):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(N_("your team has asked %(limit)s questions in the last %(minutes)s minutes; ask again "
                            "in %(seconds)s s"), limit=LIMIT, minutes=WINDOW // 60, seconds=retry_after)
        self.retry_after = retry_after


def may_answer(actor: Actor | None) -> bool:
    return actor is not None and actor.role in ANSWERING_ROLES


def _text(value: Any, limit: int, missing: str, too_long: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Refused(missing)
    if "\x00" in value:
        raise Refused(N_("text must not contain NUL characters"))
    if len(value) > limit:
        raise Refused(too_long, limit=limit)
    return value.strip()


def can_see(catalog: Catalog, solved: Mapping[int, datetime], challenge_id: int, now: datetime) -> bool:
    """Whether a team may read about this challenge: released to it and not locked."""
    try:
        challenges.ensure_unlocked(catalog, challenges.visible(catalog, challenge_id, now), solved)
    except Refused:
        return False
    return True


def _wait(session: Session, team_id: int, now: datetime) -> int:
    """Seconds until the team may ask again; 0 when it may now."""
    since = now - timedelta(seconds=WINDOW)
    recent = list(session.scalars(select(Clarification.asked_at).where(
        Clarification.team_id == team_id, Clarification.asked_at > since).order_by(Clarification.asked_at.desc())
        .limit(LIMIT)))
    if len(recent) < LIMIT:
        return 0
    return max(1, int((recent[-1] - since).total_seconds() + 0.999))


def ask(session: Session, catalog: Catalog, solved: Mapping[int, datetime], who: Actor, question: Any,
        challenge_id: Any, now: datetime) -> Clarification:
    """A team's question, about one challenge it can see (``challenge_id``) or, with None, in general."""
    if who.team_id is None:
        raise Forbidden(N_("only a team can ask exercise control; this account belongs to no team"))
    text = _text(question, MAX_QUESTION, N_("write your question first"),
                 N_("the question is too long: at most %(limit)s characters"))
    if challenge_id is not None:
        if isinstance(challenge_id, bool) or not isinstance(challenge_id, int):
            raise Refused(N_("'challenge_id' must be the id of a challenge, or absent for a general question"))
        challenges.ensure_unlocked(catalog, challenges.visible(catalog, challenge_id, now), solved)
    wait = _wait(session, who.team_id, now)
    if wait:
        raise TooManyQuestions(wait)
    row = Clarification(team_id=who.team_id, user_id=who.user_id, challenge_id=challenge_id, question=text,
                        asked_at=now)
    session.add(row)
    session.flush()
    audit.record(session, who.label, "clarification.ask", {"id": row.id, "team_id": who.team_id,
                                                            "challenge_id": challenge_id})
    return row


def answer(session: Session, clarification_id: int, text: Any, publish: Any, now: datetime,
           who: Actor) -> Clarification:
    """Answer a question once: to the asking team's inbox, or published to every team's."""
    if not may_answer(who):
        raise Forbidden(N_("only exercise control (organizers and the white cell) can answer questions"))
    row = find(session, Clarification, clarification_id)
    if row is None:
        raise NotFound(N_("no such question"))
    reply = _text(text, MAX_ANSWER, N_("write an answer first"), N_("the answer is too long: at most %(limit)s "
                                                                      "characters"))
    if not isinstance(publish, bool):
        raise Refused(N_("'publish' must be true (every team reads it) or false (only the asking team)"))
    # Guarded, so that of two people answering at once exactly one answer is kept.
    taken = session.execute(
        update(Clarification).where(Clarification.id == row.id, Clarification.answered_at.is_(None))
        .values(answer=reply, answered_at=now, answered_by_id=who.user_id, published=publish)
        .execution_options(synchronize_session=False)).rowcount
    if not taken:
        raise Refused(N_("this question is already answered"), 409)
    session.refresh(row)
    audit.record(session, who.label, "clarification.answer", {"id": row.id, "team_id": row.team_id,
                                                               "published": publish})
    inbox.post(session, now, None if publish else row.team_id, clarification=row)
    return row


def for_team(session: Session, team_id: int) -> list[Clarification]:
    """What a team may read: its own questions (answered or not) and every published answer, newest first."""
    return list(session.scalars(select(Clarification).where(
        or_(Clarification.team_id == team_id, Clarification.published.is_(True)))
        .order_by(Clarification.asked_at.desc(), Clarification.id.desc())))


def queue(session: Session) -> list[tuple[Clarification, str]]:
    """Every question with its team's name, for exercise control: unanswered first (oldest first),
    then the answered ones, newest answer first."""
    waiting = case((Clarification.answered_at.is_(None), 0), else_=1)
    return [(row, name) for row, name in session.execute(
        select(Clarification, Team.name).join(Team, Team.id == Clarification.team_id)
        .order_by(waiting, Clarification.answered_at.desc(), Clarification.asked_at, Clarification.id))]


def waiting_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Clarification)
                          .where(Clarification.answered_at.is_(None))) or 0


def as_dict(row: Clarification, team: str | None = None) -> dict[str, Any]:
    """A question as the API gives it; ``team`` (its name) only for exercise control."""
    data = {"id": row.id, "challenge_id": row.challenge_id, "question": row.question,
            "asked_at": row.asked_at.isoformat(), "answer": row.answer,
            "answered_at": row.answered_at.isoformat() if row.answered_at else None, "published": row.published}
    if team is not None:
        data.update(team=team, team_id=row.team_id)
    return data
