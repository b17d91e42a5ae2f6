"""Submitting an answer: the one path from an attempt to a verdict, a solve and an event.

The verdict is returned only after the submission row is committed by the caller's session.
Two correct answers from one team at the same moment produce one solve: the second insert
hits the database's unique constraint and becomes ``already_solved``. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import board, events, grading
from .challenges import Forbidden, Refused, ensure_unlocked, get_visible, team_solve_count
from .db import insert_ignore
from .models import Capture, Challenge, Solve, Submission, Team, User
from .ratelimit import MemoryLimiter

# The stored verdict of a right answer that does not solve yet (``logic: all`` or ``team``):
# it is not a wrong answer, so it counts against no limit.
PARTIAL = "partial"


class RateLimited(Refused):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many wrong answers; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class Verdict:
    result: str  # correct | incorrect | already_solved
    points: int
    first_blood: bool = False
    message: str | None = None
    attempts_left: int | None = None

    def as_dict(self) -> dict[str, Any]:
        data = {"result": self.result, "points": self.points}
        if self.first_blood:
            data["first_blood"] = True
        if self.message:
            data["message"] = self.message
        if self.attempts_left is not None:
            data["attempts_left"] = self.attempts_left
        return data


def clean_answer(answer: Any) -> str:
    if not isinstance(answer, str):
        raise Refused("'answer' must be a string")
    answer = answer.strip()
    if not answer:
        raise Refused("'answer' must not be empty")
    if len(answer) > grading.MAX_ANSWER:
        raise Refused(f"'answer' is longer than {grading.MAX_ANSWER} characters")
    try:
        answer.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused("'answer' is not valid Unicode text") from None
    return answer


def _wrong_count(session: Session, team_id: int, challenge_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(Submission)
        .where(Submission.team_id == team_id, Submission.challenge_id == challenge_id, Submission.verdict == "incorrect")
    ) or 0


def _team_points(session: Session, challenge: Challenge, solve: Solve) -> tuple[int, bool]:
    """Current value of the challenge for this team, with the first-blood bonus if it was first."""
    first_id = session.scalar(select(func.min(Solve.id)).where(Solve.challenge_id == challenge.id))
    first = first_id == solve.id
    value = board.value_of(challenge, team_solve_count(session, challenge.id))
    return value + (events.drill(session).first_blood_bonus if first else 0), first


def _every_member(session: Session, team_id: int, challenge_id: int, user_id: int | None) -> tuple[bool, str | None]:
    """``logic: team`` (ctfcli's): solved once every active member has given a right answer."""
    members = set(session.scalars(select(User.id).where(User.team_id == team_id, User.disabled.is_(False))))
    if not members:
        return True, None  # a team without member accounts answers as one
    done = set(session.scalars(select(Submission.user_id).where(
        Submission.team_id == team_id, Submission.challenge_id == challenge_id, Submission.verdict == PARTIAL)))
    done.add(user_id)
    if members <= done:
        return True, None
    return False, (f"accepted: {len(members & done)} of {len(members)} team members have given a right answer; "
                   "every member must answer with their own login")


def _matches(session: Session, challenge: Challenge, team_id: int, answer: str, now: datetime,
             user_id: int | None = None) -> tuple[bool, str | None]:
    """Grade against every accepted answer; for ``logic: all`` remember partial captures."""
    hits = [a.position for a in challenge.answers if grading.check(a.type, a.content, answer, a.options)]
    if challenge.logic == "team" and hits:
        return _every_member(session, team_id, challenge.id, user_id)
    if challenge.logic != "all" or len(challenge.answers) <= 1:
        return bool(hits), None
    for position in hits:
        insert_ignore(session, Capture, team_id=team_id, challenge_id=challenge.id, position=position, at=now)
    captured = session.scalar(
        select(func.count()).select_from(Capture).where(Capture.team_id == team_id, Capture.challenge_id == challenge.id)
    ) or 0
    if captured >= len(challenge.answers):
        return True, None
    if hits:
        return False, f"accepted: {captured} of {len(challenge.answers)} required answers found"
    return False, None


def submit(session: Session, *, team: Team, user_id: int | None, challenge_id: int, answer: Any,
           source: str | None, now: datetime, limiter: MemoryLimiter) -> Verdict:
    """Grade one attempt and record it; raises Refused (400/403/404/429) without writing."""
    answer = clean_answer(answer)
    challenge = get_visible(session, challenge_id, now)
    if team.disabled:
        raise Forbidden("your team is disabled")
    clock = events.clock_of(events.drill(session))
    if not clock.accepts_attempts(now):
        raise Forbidden(f"the drill is {clock.phase(now).replace('_', ' ')}; answers are not accepted now")
    ensure_unlocked(session, challenge, team.id)
    if not challenge.answers:
        raise Forbidden("this challenge takes no answers yet")
    solved = session.scalar(select(Solve).where(Solve.team_id == team.id, Solve.challenge_id == challenge.id))

    def record(verdict: str) -> Submission:
        row = Submission(team_id=team.id, user_id=user_id, challenge_id=challenge.id, answer=answer,
                         verdict=verdict, at=now, source=source)
        session.add(row)
        session.flush()
        return row

    if solved is not None:
        record("already_solved")
        return Verdict("already_solved", _team_points(session, challenge, solved)[0])
    key = f"{team.id}:{challenge.id}"
    wait = limiter.retry_after(key)
    if wait:
        raise RateLimited(wait)
    wrong = _wrong_count(session, team.id, challenge.id)
    if challenge.max_attempts and wrong >= challenge.max_attempts:
        raise Forbidden(f"no attempts left: this challenge allows {challenge.max_attempts}")

    correct, message = _matches(session, challenge, team.id, answer, now, user_id)
    if not correct and message:  # a right answer that does not finish the challenge yet
        record(PARTIAL)
        return Verdict("incorrect", 0, message=message)
    if not correct:
        record("incorrect")
        limiter.hit(key)
        left = challenge.max_attempts - wrong - 1 if challenge.max_attempts else None
        return Verdict("incorrect", 0, message=message, attempts_left=left)

    submission = record("correct")
    added = insert_ignore(session, Solve, team_id=team.id, challenge_id=challenge.id, user_id=user_id,
                          submission_id=submission.id, at=now)
    solve = session.scalar(select(Solve).where(Solve.team_id == team.id, Solve.challenge_id == challenge.id))
    if not added:
        # A teammate's correct answer committed first: this attempt is kept, the solve is not doubled.
        submission.verdict = "already_solved"
        return Verdict("already_solved", _team_points(session, challenge, solve)[0])
    points, first = _team_points(session, challenge, solve)
    payload = {"team": team.name, "team_id": team.id, "challenge": challenge.name, "challenge_id": challenge.id,
               "points": points, "first_blood": first, "at": now.isoformat()}
    # During the freeze the public board stays as it was; the solve is held for the reveal.
    events.record(session, "solve", payload, now, held=clock.frozen(now))
    events.notify_team(session, team.id, "notice", {"kind": "solve", "user_id": user_id, **payload})
    return Verdict("correct", points, first_blood=first)


def regrade(session: Session, challenge_id: int, now: datetime, actor: str) -> list[dict[str, Any]]:
    """After a flag is fixed: grade past wrong attempts again; a team now right solves at its original time.

    Only teams without a solve are considered; each gains at most one solve (the database's
    unique constraint again), dated when the team first gave a now-accepted answer.
    """
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        raise Refused("no such challenge", 404)
    solved = set(session.scalars(select(Solve.team_id).where(Solve.challenge_id == challenge_id)))
    wrong = session.scalars(
        select(Submission).where(Submission.challenge_id == challenge_id, Submission.verdict == "incorrect")
        .order_by(Submission.id)
    ).all()
    changed = []
    for submission in wrong:
        if submission.team_id in solved:
            continue
        correct, _ = _matches(session, challenge, submission.team_id, submission.answer, submission.at,
                              submission.user_id)
        if not correct:
            continue
        submission.verdict = "correct"
        if insert_ignore(session, Solve, team_id=submission.team_id, challenge_id=challenge_id,
                         user_id=submission.user_id, submission_id=submission.id, at=submission.at):
            solved.add(submission.team_id)
            team = session.get(Team, submission.team_id)
            changed.append({"team": team.name, "team_id": team.id, "submission_id": submission.id,
                            "at": submission.at.isoformat()})
    events.audit(session, actor, "challenge.regrade", {"challenge_id": challenge_id, "new_solves": changed})
    if changed:
        events.notify_board(session)
        for item in changed:
            events.notify_team(session, item["team_id"], "notice", {
                "kind": "regraded", "challenge": challenge.name, "challenge_id": challenge.id, "at": now.isoformat()})
    return changed
