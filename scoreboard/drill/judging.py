"""Judging report tasks: the anonymous queue, marks against the rubric, grades and their release.

A judge sees reports by id only ("Report #id"), never a team's name or id, and attachments
renamed ``attachment-N.ext``; a judge who is also a team member never sees their own team's
reports. How many marks a report needs and how they combine is ``marking``'s rule (one
marker, ``second_marker``, ``third_marker_over``); this module keeps the grade in step with
the marks: a judge may amend their own mark until the grade is released, and the grade is
made, changed or withdrawn to match. A grade reaches the team and the board when released:
at once with ``release_grades: immediate``, else when organizers release it. No Flask here.
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
from scoreboard.drill import audit, marking, revisions
from scoreboard.drill.accounts import Actor
from scoreboard.packs.translations import guide_in, rubric_in
from scoreboard.store import events
from scoreboard.store.db import insert_ignore
from scoreboard.store.models import Challenge, Grade, Mark, Report, ReportFile, Team, User

MAX_COMMENT = 10_000


def may_judge(who: Actor | None) -> bool:
    return who is not None and (who.is_judge or who.is_organizer)


def _rule(session: Session) -> tuple[str | None, int | None]:
    """pack.yml's marking rule: ``second_marker`` and ``third_marker_over``."""
    drill = events.drill(session)
    return drill.second_marker, drill.third_marker_over


def _marks(session: Session, report_id: int) -> list[Mark]:
    return list(session.scalars(select(Mark).where(Mark.report_id == report_id).order_by(Mark.id)))


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
            .where(~graded.exists(), Report.returned_at.is_(None), Challenge.removed.is_(False),
                   Challenge.kind == "report"))


def _anonymous(report: Report, challenge: Challenge, lang: str = "en") -> dict[str, Any]:
    return {
        "id": report.id, "challenge_id": challenge.id, "challenge": challenge.name, "version": report.version,
        "text_html": report.text_html, "submitted_at": report.at.isoformat(),
        "rubric": rubric_in(list(challenge.rubric), challenge.translations, lang),
        # How late it came and what that takes from the grade: the judge marks the work, the rule the rest.
        "late_minutes": -(-report.late_seconds // 60),
        "late_percent": lateness.percent_taken(report.late_seconds, challenge.late),
        "attachments": [{"name": attachment_name(n, f.name), "size": f.size}
                        for n, f in enumerate(report.files, start=1)],
    }


def queue(session: Session, judge: Actor, lang: str = "en") -> list[dict[str, Any]]:
    """What this judge can mark now, oldest first: never their own team's, never marked twice by
    them; a report whose two marks are far apart comes back to other judges as "third marking"."""
    rule, over = _rule(session)
    mine = select(Mark.id).where(Mark.report_id == Report.id, Mark.judge_id == judge.user_id)
    query = _latest_ungraded(session).where(~mine.exists()).order_by(Report.at, Report.id)
    if judge.team_id is not None:
        query = query.where(Report.team_id != judge.team_id)
    found = []
    for report in session.scalars(query):
        marks = _marks(session, report.id)
        if len(marks) < marking.needed(rule, over, marks):
            item = _anonymous(report, session.get(Challenge, report.challenge_id), lang)
            found.append({**item, "third_marking": len(marks) >= 2})
    return found


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


def view_for_judge(session: Session, judge: Actor, report_id: int, lang: str = "en") -> dict[str, Any]:
    """The marking page: the report, its guide and every version, and the judge's own mark if any."""
    report, challenge = report_for_judge(session, judge, report_id)
    data = _anonymous(report, challenge, lang)
    mine = session.scalar(select(Mark).where(Mark.report_id == report.id, Mark.judge_id == judge.user_id))
    grade = _grade_of(session, report)
    data.update(guide_html=render_markdown(guide_in(challenge.guide or "", challenge.translations, lang)),
                versions=revisions.history(session, report), marked=mine is not None,
                mine=_mark_view(mine) if mine else None, graded=grade is not None,
                released=grade is not None and grade.released_at is not None,
                returned=report.returned_at is not None, superseded=_newest(session, report) != report.version)
    data["amendable"] = data["marked"] and not (data["released"] or data["returned"] or data["superseded"])
    return data


def _mark_view(row: Mark) -> dict[str, Any]:
    return {"id": row.id, "report_id": row.report_id, "scores": row.scores, "comments": row.comments,
            "comment": row.comment, "total": sum(row.scores), "at": row.at.isoformat(),
            "amended_at": row.amended_at.isoformat() if row.amended_at else None}


def my_marks(session: Session, judge: Actor) -> list[dict[str, Any]]:
    """Every mark this judge saved, newest first, with whether it can still be amended."""
    rows = session.execute(select(Mark, Report, Challenge).join(Report, Report.id == Mark.report_id)
                           .join(Challenge, Challenge.id == Report.challenge_id)
                           .where(Mark.judge_id == judge.user_id).order_by(Mark.id.desc())).all()
    found = []
    for row, report, challenge in rows:
        grade = _grade_of(session, report)
        released = grade is not None and grade.report_id == report.id and grade.released_at is not None
        current = report.returned_at is None and _newest(session, report) == report.version
        found.append({**_mark_view(row), "challenge": challenge.name, "version": report.version,
                      "released": released, "counts": current, "amendable": current and not released})
    return found


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
    if "\x00" in comment or any("\x00" in c for c in comments):
        raise Refused(N_("comments must not contain NUL characters"))
    comments = [c.strip() for c in comments]
    for criterion, own in zip(rubric, comments, strict=True):
        if criterion["comment_required"] and not own and not comment.strip():
            raise Refused(N_("a comment is required for %(criterion)s"), criterion=criterion["criterion"])
    return comment.strip(), comments


def _grade_of(session: Session, report: Report) -> Grade | None:
    return session.scalar(select(Grade).where(Grade.team_id == report.team_id,
                                              Grade.challenge_id == report.challenge_id))


def _newest(session: Session, report: Report) -> int | None:
    return session.scalar(select(func.max(Report.version)).where(
        Report.team_id == report.team_id, Report.challenge_id == report.challenge_id))


def _ensure_open(session: Session, report: Report, grade: Grade | None) -> None:
    """Marks may change only on the current, unreturned version, and only before release."""
    if grade is not None and grade.released_at is not None:
        raise Refused(N_("the grade for this report has been released; its marks can no longer be changed"),
                      status=409)
    if report.returned_at is not None:
        raise Refused(N_("this version was returned to the team for revision; mark the new version"), status=409)
    if _newest(session, report) != report.version:
        raise Refused(N_("a newer version of this report has been filed; grade that one"), status=409)


def mark(session: Session, judge: Actor, report_id: int, scores: Any, comment: Any = None, comments: Any = None,
         *, now: datetime) -> Mark:
    """Record one judge's marks, or replace their own earlier marks while the grade is unreleased;
    then bring the grade in line with the marks that count."""
    report, challenge = report_for_judge(session, judge, report_id)
    rubric = list(challenge.rubric)
    clean_scores = _scores(rubric, scores)
    clean_comment, clean_comments = _comments(rubric, comment, comments)
    grade = _grade_of(session, report)
    _ensure_open(session, report, grade)
    values = {"scores": clean_scores, "comments": clean_comments, "comment": clean_comment}
    row = session.scalar(select(Mark).where(Mark.report_id == report.id, Mark.judge_id == judge.user_id))
    if row is not None:
        for key, value in values.items():
            setattr(row, key, value)
        row.amended_at = now
        action = "report.mark.amend"
    else:
        rule, over = _rule(session)
        marks = _marks(session, report.id)
        if grade is not None or len(marks) >= marking.needed(rule, over, marks):
            raise Refused(N_("this report has already been graded"), status=409)
        mark_id = insert_ignore(session, Mark, report_id=report.id, judge_id=judge.user_id, at=now, **values)
        if mark_id is None:
            raise Refused(N_("you have already graded this report"), status=409)
        row, action = session.get(Mark, mark_id), "report.mark"
    session.flush()
    audit.record(session, judge.label, action, {
        "report_id": report.id, "team_id": report.team_id, "challenge_id": challenge.id, **values})
    settle(session, report, challenge, judge.label, now)
    return row


def settle(session: Session, report: Report, challenge: Challenge, actor: str, now: datetime) -> Grade | None:
    """Make the report's grade what its marks say: create it, change it, or withdraw it while
    marks are still needed (an amended mark may call a third judge). Unreleased grades only."""
    rule, over = _rule(session)
    result = marking.outcome(rule, over, list(challenge.rubric), _marks(session, report.id))
    grade = _grade_of(session, report)
    if result is None:
        if grade is not None:
            withdraw_grade(session, grade, actor, "marks")
        return None
    # A late report's penalty is taken here, whichever mark settles (or amends) the grade:
    # what is released (and scored) is what counts; ``scores`` stay the judges' marks.
    counted = lateness.penalized(result.points, report.late_seconds, challenge.late)
    values = {"points": counted, "late_penalty": result.points - counted, "comment": result.comment,
              "scores": result.scores, "feedback": result.feedback}
    if grade is not None:
        if all(getattr(grade, key) == value for key, value in values.items()):
            return grade
        for key, value in values.items():
            setattr(grade, key, value)
        session.flush()
        audit.cover(session, actor, "grade.amend", "grade", grade.id, _covered(grade))
        return grade
    grade_id = insert_ignore(session, Grade, team_id=report.team_id, challenge_id=challenge.id, report_id=report.id,
                             at=now, **values)
    if grade_id is None:
        raise Refused(N_("this report has already been graded"), status=409)
    grade = session.get(Grade, grade_id)
    audit.cover(session, actor, "grade", "grade", grade.id, _covered(grade))
    if events.drill(session).grade_release == "immediate":
        release(session, grade.id, actor, now)
    return grade


def withdraw_grade(session: Session, grade: Grade, actor: str, why: str) -> None:
    """Take back an unreleased grade (it never counted): recorded, so the audit expects it gone."""
    audit.withdraw(session, actor, "grade.withdraw", "grade", grade.id, report_id=grade.report_id, why=why)
    session.delete(grade)
    session.flush()


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
    payload = {"team": team.name, "team_id": team.id, "challenge": public_name(challenge),
               "challenge_id": challenge.id, "points": grade.points, "at": now.isoformat()}
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
    """For organizers: every grade with its team, each judge's marks and whether they disagree,
    and the reports still waiting for marks, with where each stands."""
    rule, over = _rule(session)
    judges = dict(session.execute(select(User.id, User.name)).all())
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    names = dict(session.execute(select(Challenge.id, Challenge.name)).all())

    def marks_of(report_id: int) -> tuple[list[Mark], list[dict[str, Any]]]:
        rows = _marks(session, report_id)
        return rows, [{"judge": judges.get(m.judge_id, "?"), "scores": m.scores, "total": sum(m.scores),
                       "comment": m.comment, "at": m.at, "amended_at": m.amended_at} for m in rows]

    grades = []
    for grade in session.scalars(select(Grade).order_by(Grade.released_at.is_not(None), Grade.id)):
        rows, marks = marks_of(grade.report_id)
        grades.append({"id": grade.id, "report_id": grade.report_id, "team": teams.get(grade.team_id),
                       "challenge": names.get(grade.challenge_id), "points": grade.points,
                       "late_penalty": grade.late_penalty,
                       "version": session.get(Report, grade.report_id).version, "comment": grade.comment,
                       "released_at": grade.released_at, "marks": marks,
                       "state": "released" if grade.released_at else "ready",
                       "disagreement": len({tuple(m["scores"]) for m in marks}) > 1})
    waiting = []
    for report in session.scalars(_latest_ungraded(session).order_by(Report.at, Report.id)):
        rows, marks = marks_of(report.id)
        waiting.append({"id": report.id, "team": teams.get(report.team_id), "challenge": names.get(report.challenge_id),
                        "version": report.version, "marks": marks, "state": marking.state(rule, over, rows),
                        "disagreement": len(rows) >= 2 and marking.disagree(rows[0], rows[1], over)})
    returned = [{"id": r.id, "team": teams.get(r.team_id), "challenge": names.get(r.challenge_id),
                 "version": r.version, "note": r.return_note, "at": r.returned_at}
                for r in session.scalars(select(Report).where(Report.returned_at.is_not(None))
                                         .order_by(Report.returned_at.desc()))]
    return {"grades": grades, "waiting": waiting, "returned": returned}
