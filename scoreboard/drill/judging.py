"""Judging report tasks: the anonymous queue, marks against the rubric, grades and their release.

A judge sees reports by id only ("Report #id"), never a team's name or id, and attachments
renamed ``attachment-N.ext``; a judge who is also a team member never sees their own team's
reports. One mark grades a report, unless pack.yml sets ``second_marker``: then two judges
mark it and ``average`` (each criterion, half up) or ``lead`` (the first marker's scores)
decides. A grade reaches the team and the board when released: at once with
``release_grades: immediate``, else when organizers release it. No Flask here.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoreboard.core import lateness
from scoreboard.core.clock import public_name
from scoreboard.core.errors import N_, Forbidden, NotFound, Refused
from scoreboard.core.text import render_markdown
from scoreboard.drill import audit
from scoreboard.drill.accounts import Actor
from scoreboard.store import events
from scoreboard.store.db import insert_ignore
from scoreboard.store.models import Challenge, Grade, Mark, Report, ReportFile, Team, User

MAX_COMMENT = 10_000


def may_judge(who: Actor | None) -> bool:
    return who is not None and (who.is_judge or who.is_admin)


def _marks_needed(session: Session) -> int:
    return 2 if events.drill(session).second_marker else 1


def attachment_name(position: int, original: str) -> str:
    """What a judge sees of a file's name: its place and extension, never the team's wording."""
    suffix = PurePath(original).suffix.lower()
    suffix = suffix if suffix[1:].isalnum() and len(suffix) <= 10 else ""
    return f"attachment-{position}{suffix}"


def _latest_ungraded(session: Session) -> Any:
    """Each team's newest version of each report task that has no grade yet."""
    newest = (select(Report.team_id, Report.challenge_id, func.max(Report.version).label("version"))
              .group_by(Report.team_id, Report.challenge_id).subquery())
    graded = select(Grade.id).where(Grade.team_id == Report.team_id, Grade.challenge_id == Report.challenge_id)
    return (select(Report).join(newest, (newest.c.team_id == Report.team_id)
                                & (newest.c.challenge_id == Report.challenge_id) & (newest.c.version == Report.version))
            .join(Challenge, Challenge.id == Report.challenge_id)
            .where(~graded.exists(), Challenge.removed.is_(False), Challenge.kind == "report"))


def _anonymous(report: Report, challenge: Challenge) -> dict[str, Any]:
    return {
        "id": report.id, "challenge_id": challenge.id, "challenge": challenge.name, "version": report.version,
        "text_html": render_markdown(report.text), "submitted_at": report.at.isoformat(),
        "rubric": list(challenge.rubric),
        # How late it came and what that takes from the grade: the judge marks the work, the rule the rest.
        "late_minutes": -(-report.late_seconds // 60),
        "late_percent": lateness.percent_taken(report.late_seconds, challenge.late),
        "attachments": [{"name": attachment_name(n, f.name), "size": f.size}
                        for n, f in enumerate(report.files, start=1)],
    }


def queue(session: Session, judge: Actor) -> list[dict[str, Any]]:
    """What this judge can mark now, oldest first: never their own team's, never marked twice by them."""
    needed = _marks_needed(session)
    marks = (select(func.count(Mark.id)).where(Mark.report_id == Report.id).scalar_subquery())
    mine = select(Mark.id).where(Mark.report_id == Report.id, Mark.judge_id == judge.user_id)
    query = _latest_ungraded(session).where(marks < needed, ~mine.exists()).order_by(Report.at, Report.id)
    if judge.team_id is not None:
        query = query.where(Report.team_id != judge.team_id)
    return [_anonymous(report, session.get(Challenge, report.challenge_id)) for report in session.scalars(query)]


def report_for_judge(session: Session, judge: Actor, report_id: int) -> tuple[Report, Challenge]:
    """One report a judge may read: refused for the judge's own team, 404 when unknown."""
    if not may_judge(judge):
        raise Forbidden(N_("only judges and organizers can read reports for grading"))
    report = session.get(Report, report_id)
    challenge = session.get(Challenge, report.challenge_id) if report else None
    if report is None or challenge is None or challenge.kind != "report":
        raise NotFound(N_("no such report"))
    if judge.team_id is not None and judge.team_id == report.team_id:
        raise Forbidden(N_("this report is from your own team; another judge must grade it"))
    return report, challenge


def view_for_judge(session: Session, judge: Actor, report_id: int) -> dict[str, Any]:
    report, challenge = report_for_judge(session, judge, report_id)
    data = _anonymous(report, challenge)
    data["marked"] = session.scalar(select(Mark.id).where(Mark.report_id == report.id,
                                                          Mark.judge_id == judge.user_id)) is not None
    data["graded"] = session.scalar(select(Grade.id).where(Grade.team_id == report.team_id,
                                                           Grade.challenge_id == challenge.id)) is not None
    return data


def attachment(session: Session, judge: Actor, report_id: int, name: str) -> ReportFile:
    """The file a judge asked for by its anonymous name."""
    report, _ = report_for_judge(session, judge, report_id)
    for position, row in enumerate(report.files, start=1):
        if attachment_name(position, row.name) == name:
            return row
    raise NotFound(N_("no such file"))


def _scores(rubric: list[dict[str, Any]], scores: Any) -> list[int]:
    if not isinstance(scores, list) or len(scores) != len(rubric):
        raise Refused(N_("'scores' must list one whole number per criterion (%(n)s)"), n=len(rubric))
    for given, criterion in zip(scores, rubric, strict=True):
        if isinstance(given, bool) or not isinstance(given, int) or given < 0:
            raise Refused(N_("the score for %(criterion)s must be a whole number from 0 to %(max)s"),
                          criterion=criterion["criterion"], max=criterion["points"])
        if given > criterion["points"]:
            raise Refused(N_("a score of %(given)s for %(criterion)s is above its maximum of %(max)s"),
                          given=given, criterion=criterion["criterion"], max=criterion["points"])
    return list(scores)


def _comments(rubric: list[dict[str, Any]], comment: Any, comments: Any) -> tuple[str, list[str]]:
    comment = "" if comment is None else comment
    comments = [""] * len(rubric) if comments is None else comments
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise Refused(N_("'comment' must be text of at most %(max)s characters"), max=MAX_COMMENT)
    if (not isinstance(comments, list) or len(comments) != len(rubric)
            or not all(isinstance(c, str) and len(c) <= MAX_COMMENT for c in comments)):
        raise Refused(N_("'comments' must list one text per criterion (%(n)s)"), n=len(rubric))
    comments = [c.strip() for c in comments]
    for criterion, own in zip(rubric, comments, strict=True):
        if criterion["comment_required"] and not own and not comment.strip():
            raise Refused(N_("a comment is required for %(criterion)s"), criterion=criterion["criterion"])
    return comment.strip(), comments


def mark(session: Session, judge: Actor, report_id: int, scores: Any, comment: Any = None, comments: Any = None,
         *, now: datetime) -> Mark:
    """Record one judge's marks; grade the report once it has the marks the pack asks for."""
    report, challenge = report_for_judge(session, judge, report_id)
    rubric = list(challenge.rubric)
    clean_scores = _scores(rubric, scores)
    clean_comment, clean_comments = _comments(rubric, comment, comments)
    if session.scalar(select(Grade.id).where(Grade.team_id == report.team_id, Grade.challenge_id == challenge.id)):
        raise Refused(N_("this report has already been graded"), status=409)
    newest = session.scalar(select(func.max(Report.version)).where(
        Report.team_id == report.team_id, Report.challenge_id == challenge.id))
    if newest != report.version:
        raise Refused(N_("a newer version of this report has been filed; grade that one"), status=409)
    mark_id = insert_ignore(session, Mark, report_id=report.id, judge_id=judge.user_id, scores=clean_scores,
                            comments=clean_comments, comment=clean_comment, at=now)
    if mark_id is None:
        raise Refused(N_("you have already graded this report"), status=409)
    audit.record(session, judge.label, "report.mark", {
        "report_id": report.id, "team_id": report.team_id, "challenge_id": challenge.id, "scores": clean_scores,
        "comment": clean_comment, "comments": clean_comments})
    _grade_if_complete(session, report, challenge, judge.label, now)
    return session.get(Mark, mark_id)


def combine(rule: str | None, rubric: list[dict[str, Any]], marks: list[Mark]) -> tuple[int, str]:
    """The grade's points and comment from its marks (in marking order) under the pack's rule."""
    if rule == "average":
        points = sum((a + b + 1) // 2 for a, b in zip(marks[0].scores, marks[1].scores, strict=True))
        return points, "\n\n".join(filter(None, (_feedback(rubric, m) for m in marks)))
    return sum(marks[0].scores), _feedback(rubric, marks[0])  # one marker, or the lead's word


def _feedback(rubric: list[dict[str, Any]], row: Mark) -> str:
    lines = [f"- {c['criterion']}: {text}" for c, text in zip(rubric, row.comments or [], strict=False) if text]
    return "\n\n".join(filter(None, [row.comment, "\n".join(lines)]))


def _grade_if_complete(session: Session, report: Report, challenge: Challenge, actor: str, now: datetime) -> None:
    marks = list(session.scalars(select(Mark).where(Mark.report_id == report.id).order_by(Mark.id)))
    drill = events.drill(session)
    if len(marks) < _marks_needed(session):
        return
    points, comment = combine(drill.second_marker, list(challenge.rubric), marks)
    # A late report's penalty is taken here, once: what is released (and scored) is what counts.
    counted = lateness.penalized(points, report.late_seconds, challenge.late)
    grade_id = insert_ignore(session, Grade, team_id=report.team_id, challenge_id=challenge.id, report_id=report.id,
                             points=counted, comment=comment, at=now, late_penalty=points - counted)
    if grade_id is None:
        raise Refused(N_("this report has already been graded"), status=409)
    grade = session.get(Grade, grade_id)
    audit.cover(session, actor, "grade", "grade", grade.id, _covered(grade))
    if drill.grade_release == "immediate":
        release(session, grade.id, actor, now)


def _covered(grade: Grade) -> dict[str, Any]:
    return {c: getattr(grade, c) for c in audit.SCORE_ROWS["grade"][1]}


def release(session: Session, grade_id: int, actor: str, now: datetime) -> Grade:
    """Let a grade count: the team sees it, the board counts it, the feed shows ``graded``."""
    grade = session.get(Grade, grade_id)
    if grade is None:
        raise NotFound(N_("no such grade"))
    if grade.released_at is not None:
        raise Refused(N_("this grade has already been released"), status=409)
    grade.released_at = now
    session.flush()
    audit.cover(session, actor, "grade.release", "grade", grade.id, _covered(grade))
    team, challenge = session.get(Team, grade.team_id), session.get(Challenge, grade.challenge_id)
    payload = {"team": team.name, "team_id": team.id, "challenge": public_name(challenge), "points": grade.points,
               "at": now.isoformat()}
    full = events.record(session, "graded", payload, now, held=events.clock_of(events.drill(session)).frozen(now))
    events.notify_team(session, team.id, "notice", {"kind": "graded", "challenge_id": challenge.id, **full})
    return grade


def release_all(session: Session, actor: str, now: datetime) -> int:
    """Release every grade not yet released; returns how many."""
    pending = list(session.scalars(select(Grade.id).where(Grade.released_at.is_(None)).order_by(Grade.id)))
    for grade_id in pending:
        release(session, grade_id, actor, now)
    return len(pending)


def overview(session: Session) -> dict[str, Any]:
    """For organizers: every grade with its team, both judges' marks and whether they disagree,
    and the reports still waiting for marks."""
    judges = dict(session.execute(select(User.id, User.name)).all())
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    names = dict(session.execute(select(Challenge.id, Challenge.name)).all())

    def marks_of(report_id: int) -> list[dict[str, Any]]:
        return [{"judge": judges.get(m.judge_id, "?"), "scores": m.scores, "total": sum(m.scores),
                 "comment": m.comment, "at": m.at}
                for m in session.scalars(select(Mark).where(Mark.report_id == report_id).order_by(Mark.id))]

    grades = []
    for grade in session.scalars(select(Grade).order_by(Grade.released_at.is_not(None), Grade.id)):
        marks = marks_of(grade.report_id)
        grades.append({"id": grade.id, "report_id": grade.report_id, "team": teams.get(grade.team_id), "challenge": names.get(grade.challenge_id),
                       "version": session.get(Report, grade.report_id).version, "points": grade.points,
                       "late_penalty": grade.late_penalty,
                       "comment": grade.comment, "released_at": grade.released_at, "marks": marks,
                       "disagreement": len({tuple(m["scores"]) for m in marks}) > 1})
    waiting = [{"id": r.id, "team": teams.get(r.team_id), "challenge": names.get(r.challenge_id),
                "version": r.version, "marks": marks_of(r.id)} for r in session.scalars(_latest_ungraded(session))]
    return {"grades": grades, "waiting": waiting}
