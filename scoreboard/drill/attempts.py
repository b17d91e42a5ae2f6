"""Submitting an answer: the one path from an attempt to a verdict, a solve and an event.

Everything a verdict depends on but the database's last word comes from the per-process
``Catalog`` and ``Solves``, so a wrong answer costs one INSERT. The verdict is returned only
after the submission row is committed by the caller's session. Two correct answers from one
team at the same moment produce one solve: the second insert hits the database's unique
constraint and becomes ``already_solved``. No Flask here.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from scoreboard.board import ledger
from scoreboard.core import checking
from scoreboard.core.clock import ENDED, NOT_STARTED, PAUSED, Clock, public_name
from scoreboard.core.errors import N_, Forbidden, Message, NotFound, Refused, Translations
from scoreboard.drill import audit
from scoreboard.drill.challenges import ensure_unlocked, visible
from scoreboard.store import events
from scoreboard.store.caches import Catalog, ChallengeDef
from scoreboard.store.db import CLOCK, SOLVES, Lock, insert_ignore, serialise
from scoreboard.store.models import Answer, AttemptCount, Capture, Challenge, Drill, Solve, Submission, Team, User
from scoreboard.store.ratelimit import MemoryLimiter

# The stored verdict of a right answer that does not solve yet (``logic: all`` or ``team``):
# it is not a wrong answer, so it counts against no limit.
PARTIAL = "partial"
# Why answers are not taken, by the drill's phase.
_CLOSED = {NOT_STARTED: N_("the drill has not started; answers are not accepted yet"),
           PAUSED: N_("the drill is paused; answers are not accepted now"),
           ENDED: N_("the drill has ended; answers are not accepted now")}
_NO_ATTEMPTS_LEFT = N_("no attempts left: this challenge allows %(allowed)s")


class RateLimited(Refused):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(N_("too many wrong answers; try again in %(seconds)s s"), seconds=retry_after)
        self.retry_after = retry_after


@dataclass
class Verdict:
    result: str  # correct | incorrect | already_solved
    points: int
    first_blood: bool = False
    message: Message | None = None  # a right answer that does not finish the challenge yet
    attempts_left: int | None = None
    slot: str | None = field(default=None, repr=False)  # the rate-limit slot this attempt took
    counts: bool = field(default=False, repr=False)  # whether the slot stays taken (a wrong answer)

    def as_dict(self, translations: Translations | None = None) -> dict[str, Any]:
        """The API's answer; ``message`` is said in ``translations``' language (the caller's)."""
        data = {"result": self.result, "points": self.points}
        if self.first_blood:
            data["first_blood"] = True
        if self.message:
            data["message"] = self.message.text(translations)
        if self.attempts_left is not None:
            data["attempts_left"] = self.attempts_left
        return data


@dataclass(frozen=True)
class Attempt:
    """Who answers what, from where, and when."""

    team_id: int
    team_name: str
    user_id: int | None
    challenge_id: int
    answer: Any
    source: str | None
    now: datetime


def clean_answer(answer: Any) -> str:
    if not isinstance(answer, str):
        raise Refused(N_("'answer' must be a string"))
    answer = answer.strip()
    if not answer:
        raise Refused(N_("'answer' must not be empty"))
    if "\x00" in answer:
        raise Refused(N_("'answer' must not contain NUL characters"))
    if len(answer) > checking.MAX_ANSWER:
        raise Refused(N_("'answer' is longer than %(max)s characters"), max=checking.MAX_ANSWER)
    try:
        answer.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(N_("'answer' is not valid Unicode text")) from None
    return answer


def _every_member(session: Session, team_id: int, challenge_id: int, user_id: int | None) -> tuple[bool, Message | None]:
    """``logic: team`` (ctfcli's): solved once every active member has given a right answer."""
    members = set(session.scalars(select(User.id).where(User.team_id == team_id, User.disabled.is_(False))))
    if not members:
        return True, None  # a team without member accounts answers as one
    done = set(session.scalars(select(Submission.user_id).where(
        Submission.team_id == team_id, Submission.challenge_id == challenge_id, Submission.verdict == PARTIAL)))
    done.add(user_id)
    if members <= done:
        return True, None
    return False, Message(N_("Accepted. Members with a right answer: %(done)s of %(total)s; every member must "
                             "answer with their own login."), done=len(members & done), total=len(members))


def _matches(session: Session, challenge: Any, answers: Sequence[Any], team_id: int, answer: str,
             now: datetime, user_id: int | None = None) -> tuple[bool, Message | None]:
    """Grade against every accepted answer; ``logic: all`` remembers partial captures, ``team`` members."""
    hits = [a.position for a in answers if checking.check(a.type, a.content, answer, a.options)]
    if challenge.logic == "team" and hits:
        return _every_member(session, team_id, challenge.id, user_id)
    if challenge.logic != "all" or len(answers) <= 1:
        return bool(hits), None
    for position in hits:
        insert_ignore(session, Capture, team_id=team_id, challenge_id=challenge.id, position=position, at=now)
    captured = session.scalar(
        select(func.count()).select_from(Capture).where(Capture.team_id == team_id, Capture.challenge_id == challenge.id)
    ) or 0
    if captured >= len(answers):
        return True, None
    if hits:
        return False, Message(N_("Accepted. Required answers found: %(found)s of %(total)s."), found=captured,
                              total=len(answers))
    return False, None


# Built once; plain table statements skip the ORM's per-row bookkeeping on the hottest path.
_INSERT_SUBMISSION = Submission.__table__.insert().returning(Submission.__table__.c.id)


def _store(session: Session, attempt: Attempt, answer: str, verdict: str) -> int:
    return session.connection().execute(_INSERT_SUBMISSION, {
        "team_id": attempt.team_id, "user_id": attempt.user_id, "challenge_id": attempt.challenge_id,
        "answer": answer, "verdict": verdict, "at": attempt.now, "source": attempt.source}).scalar_one()


def _worth(session: Session, catalog: Catalog, challenge: ChallengeDef, team_id: int,
           cutoff: datetime | None) -> tuple[int, bool]:
    """A solve's points and first blood by the ledger's rule (``ledger.solve_worth``) on the
    board that shows solves up to ``cutoff`` (None: all), with the drill's terms from the cache."""
    terms = ledger.Terms(catalog.clock.ends_at, catalog.first_blood_bonus)
    return ledger.solve_worth(session, challenge, team_id, ledger.Visibility(cutoff), terms)


def _public_points(session: Session, catalog: Catalog, challenge: ChallengeDef, team_id: int, now: datetime) -> int:
    """A solved challenge's points as the public board counts them (never the frozen-away solves)."""
    return _worth(session, catalog, challenge, team_id, catalog.clock.public_cutoff(now))[0]


def submit(session: Session, catalog: Catalog, solved: Mapping[int, datetime], attempt: Attempt,
           limiter: MemoryLimiter) -> Verdict:
    """Grade one attempt and store it (the caller commits); raises Refused (400/403/404/429) without writing.

    The attempt takes a slot of the team's rate-limit window (``Verdict.slot``). A wrong answer
    keeps it (``Verdict.counts``); the caller hands it back if the write fails, and hands back any
    other outcome's slot once the attempt is stored (``settle``) — not here: with Redis that is a
    round trip, and no write transaction may wait on the network (SQLite under gevent would stall
    the whole process on its lock).
    """
    answer = clean_answer(attempt.answer)
    challenge = visible(catalog, attempt.challenge_id, attempt.now)
    clock = catalog.clock
    if not clock.accepts_attempts(attempt.now):
        raise Forbidden(_CLOSED[clock.phase(attempt.now)])
    ensure_unlocked(catalog, challenge, solved)
    if not challenge.answers:
        raise Forbidden(N_("this challenge takes no answers yet"))
    if challenge.id in solved:
        _store(session, attempt, answer, "already_solved")
        return Verdict("already_solved", _public_points(session, catalog, challenge, attempt.team_id, attempt.now))
    key = limit_key(attempt)
    slot, wait = limiter.acquire(key)
    if slot is None:
        raise RateLimited(wait)
    try:
        verdict = _grade(session, catalog, challenge, attempt, answer)
    except BaseException:
        limiter.release(key, slot)
        raise
    verdict.slot = slot
    verdict.counts = verdict.result == "incorrect" and not verdict.message  # a wrong answer counts
    return verdict


def settle(limiter: MemoryLimiter, attempt: Attempt, verdict: Verdict) -> None:
    """After the commit: hand back the slot of an attempt that does not count against the window."""
    if verdict.slot is not None and not verdict.counts:
        limiter.release(limit_key(attempt), verdict.slot)


def record(session: Session, catalog: Catalog, solved: Mapping[int, datetime], attempt: Attempt,
           limiter: MemoryLimiter) -> Verdict:
    """Submit and commit: the verdict leaves only once the attempt is durable.

    If the write fails (a full disk), the wrong answer does not count against the team.
    """
    verdict = submit(session, catalog, solved, attempt, limiter)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        limiter.release(limit_key(attempt), verdict.slot)
        raise
    settle(limiter, attempt, verdict)
    return verdict


def limit_key(attempt: Attempt) -> str:
    return f"{attempt.team_id}:{attempt.challenge_id}"


def _take_attempt(session: Session, team_id: int, challenge: ChallengeDef) -> int | None:
    """Count one wrong answer against ``attempts:``; how many are used now, or None when none were left."""
    insert_ignore(session, AttemptCount, team_id=team_id, challenge_id=challenge.id, wrong=0)
    return session.execute(
        update(AttemptCount)
        .where(AttemptCount.team_id == team_id, AttemptCount.challenge_id == challenge.id,
               AttemptCount.wrong < challenge.max_attempts)
        .values(wrong=AttemptCount.wrong + 1).returning(AttemptCount.wrong)
    ).scalar()


def _grade(session: Session, catalog: Catalog, challenge: ChallengeDef, attempt: Attempt, answer: str) -> Verdict:
    limited = challenge.max_attempts
    if limited:
        used = session.scalar(select(AttemptCount.wrong).where(
            AttemptCount.team_id == attempt.team_id, AttemptCount.challenge_id == challenge.id)) or 0
        if used >= limited:
            raise Forbidden(_NO_ATTEMPTS_LEFT, allowed=limited)
    correct, message = _matches(session, challenge, challenge.answers, attempt.team_id, answer, attempt.now,
                                attempt.user_id)
    if not correct and message:  # a right answer that does not finish the challenge yet
        _store(session, attempt, answer, PARTIAL)
        return Verdict("incorrect", 0, message=message)
    if correct:
        return _solve(session, catalog, challenge, attempt, answer)
    left = None
    if limited:
        used = _take_attempt(session, attempt.team_id, challenge)
        if used is None:  # answers racing in took the last attempts first
            raise Forbidden(_NO_ATTEMPTS_LEFT, allowed=limited)
        left = limited - used
    _store(session, attempt, answer, "incorrect")
    return Verdict("incorrect", 0, attempts_left=left)


_CLOCK_NOW = select(Drill.starts_at, Drill.ends_at, Drill.freeze_at, Drill.paused_at, Drill.reveal).where(Drill.id == 1)


def _ensure_still_open(session: Session, now: datetime) -> None:
    """The clock as committed, read under the clock's lock (shared) that ending the drill takes
    exclusively: the cached clock may be a moment old, so an answer racing ``clock end`` (or a pause, or an end
    moved into the past) is refused here rather than stored as a solve after the end."""
    clock = Clock(*session.connection().execute(_CLOCK_NOW).one())
    if not clock.accepts_attempts(now):
        raise Forbidden(_CLOSED[clock.phase(now)])


def _solve(session: Session, catalog: Catalog, challenge: ChallengeDef, attempt: Attempt, answer: str) -> Verdict:
    """Record a correct answer: the solve counts once, its value from the solve count right now."""
    # Answers and the end of the drill are ordered; solves of one challenge are stored one at a time
    # (first blood and the value are exact). Answers to other challenges do not wait.
    serialise(session, Lock(CLOCK, shared=True), Lock(SOLVES, challenge.id))
    _ensure_still_open(session, attempt.now)
    submission_id = _store(session, attempt, answer, "correct")
    solve_id = insert_ignore(session, Solve, team_id=attempt.team_id, challenge_id=challenge.id,
                             user_id=attempt.user_id, submission_id=submission_id, at=attempt.now)
    frozen = catalog.clock.frozen(attempt.now)
    if solve_id is None:
        # A teammate's correct answer committed first: this attempt is kept, the solve is not doubled.
        session.execute(update(Submission).where(Submission.id == submission_id).values(verdict="already_solved"))
        return Verdict("already_solved", _public_points(session, catalog, challenge, attempt.team_id, attempt.now))
    audit.cover(session, f"team:{attempt.team_name}", "solve", "solve", solve_id, {
        "team_id": attempt.team_id, "challenge_id": challenge.id, "user_id": attempt.user_id,
        "submission_id": submission_id, "at": attempt.now})
    # What the ledger will count it for: the event holds it as the board will show it once public.
    points, first = _worth(session, catalog, challenge, attempt.team_id, None)
    payload = {"team": attempt.team_name, "team_id": attempt.team_id, "challenge": public_name(challenge),
               "challenge_id": challenge.id, "points": points, "first_blood": first, "at": attempt.now.isoformat()}
    # During the freeze the public board stays as it was; the solve is held for the reveal.
    events.record(session, "solve", payload, attempt.now, held=frozen)
    if frozen:
        # Neither the verdict nor the team's notice may tell how many teams solved it since the
        # freeze (a first blood, a value fallen): both say what the frozen board counts.
        points, first = _public_points(session, catalog, challenge, attempt.team_id, attempt.now), False
    events.notify_team(session, attempt.team_id, "notice", {"kind": "solve", "user_id": attempt.user_id, **payload,
                                                            "points": points, "first_blood": first,
                                                            "challenge": challenge.name})
    return Verdict("correct", points, first_blood=first)


def recheck(session: Session, challenge_id: int, now: datetime, actor: str) -> list[dict[str, Any]]:
    """After a flag is fixed: check past wrong attempts again; a team now right solves at its original time.

    Only teams without a solve are considered; each gains at most one solve (the database's
    unique constraint again), dated when the team first gave a now-accepted answer. The audit
    actions keep their stored names (``challenge.regrade``, ``solve.regrade``): the chain holds them.
    """
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        raise NotFound(N_("no such challenge"))
    answers = session.scalars(select(Answer).where(Answer.challenge_id == challenge_id).order_by(Answer.position)).all()
    solved = set(session.scalars(select(Solve.team_id).where(Solve.challenge_id == challenge_id)))
    wrong = session.scalars(
        select(Submission).where(Submission.challenge_id == challenge_id, Submission.verdict == "incorrect")
        .order_by(Submission.id)
    ).all()
    changed = []
    for submission in wrong:
        if submission.team_id in solved:
            continue
        correct, _ = _matches(session, challenge, answers, submission.team_id, submission.answer, submission.at,
                              submission.user_id)
        if not correct:
            continue
        submission.verdict = "correct"
        values = {"team_id": submission.team_id, "challenge_id": challenge_id, "user_id": submission.user_id,
                  "submission_id": submission.id, "at": submission.at}
        solve_id = insert_ignore(session, Solve, **values)
        if solve_id:
            audit.cover(session, actor, "solve.regrade", "solve", solve_id, values)
            solved.add(submission.team_id)
            team = session.get(Team, submission.team_id)
            changed.append({"team": team.name, "team_id": team.id, "submission_id": submission.id,
                            "at": submission.at.isoformat()})
    audit.record(session, actor, "challenge.regrade", {"challenge_id": challenge_id, "new_solves": changed})
    if changed:
        events.mark(session, "board", {"challenge_id": challenge_id})
        for item in changed:
            events.notify_team(session, item["team_id"], "notice", {
                "kind": "regraded", "challenge": challenge.name, "challenge_id": challenge.id, "at": now.isoformat()})
    return changed
