"""Report tasks from the team's side: filing a version, revising it, and what the team sees.

A report is Markdown, rendered sanitised once when it is filed, with up to five attachments.
Every version is kept, up to ``MAX_VERSIONS`` per team and task (each one stored and rendered is
paid for by everyone on the event loop); a team revises until the deadline passes, its report is
graded or the versions run out. Judges mark versions in
``judging.py``; points and comments reach the team only once the grade is released. The same
rules as answers decide whether the task is open (``challenges.visible``, a running drill).
No Flask here.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoreboard.core import lateness
from scoreboard.core.errors import N_, Forbidden, NotFound, Refused
from scoreboard.core.text import check_markdown, render_markdown
from scoreboard.drill import audit
from scoreboard.drill.challenges import ensure_unlocked, visible
from scoreboard.store import events
from scoreboard.store.caches import Catalog, ChallengeDef
from scoreboard.store.db import insert_ignore
from scoreboard.store.models import Challenge, Grade, Report, ReportFile, User
from scoreboard.store.uploads import Upload, display_name, keep

MAX_TEXT = 50_000
MAX_FILES = 5
MAX_VERSIONS = 20
REPORT_DIR = "reports"  # under the instance files dir


@dataclass(frozen=True)
class Filing:
    """Who files which report, from where: a member, or a team token (no user)."""

    team_id: int
    user_id: int | None
    actor_label: str
    challenge_id: int
    now: datetime


def deadline(catalog: Catalog, challenge: Challenge) -> datetime | None:
    """When revisions stop: a fixed time, or some time after the task's phase opened (without a
    phase: after the drill starts, like a release)."""
    return catalog.clock.deadline(challenge)


def late_rule(challenge: Challenge) -> dict[str, int] | None:
    """What a late report costs (``late: {penalty_percent, per_minutes}``); None: refused."""
    return lateness.policy(challenge.late)


def report_task(catalog: Catalog, challenge_id: int, now: datetime, solved: Mapping[int, datetime]) -> ChallengeDef:
    """The report task if the team may see it. A flag challenge has no reports to file: 404, like
    any other resource that does not exist (the body was well formed, so not a 400)."""
    definition = visible(catalog, challenge_id, now)
    ensure_unlocked(catalog, definition, solved)
    if definition.kind != "report":
        raise NotFound(N_("this challenge takes answers, not reports"))
    return definition


def _clean_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise Refused(N_("the report needs some text ('text': Markdown)"))
    if len(text) > MAX_TEXT:
        raise Refused(N_("the report is longer than %(max)s characters"), max=MAX_TEXT)
    if "\x00" in text:
        raise Refused(N_("the report must not contain NUL characters"))
    check_markdown(text)
    return text


def _clean_uploads(uploads: Sequence[Upload], max_bytes: int) -> list[Upload]:
    kept = [u for u in uploads if u.name or u.data]  # an empty file input sends an empty part
    if len(kept) > MAX_FILES:
        raise Refused(N_("attach at most %(max)s files to a report"), max=MAX_FILES)
    clean = []
    for upload in kept:
        name = display_name(upload.name, "attachment")
        if len(upload.data) > max_bytes:
            raise Refused(N_("%(name)s is larger than %(max)s KB"), name=name, max=max_bytes // 1024)
        if not upload.data:
            raise Refused(N_("%(name)s is empty"), name=name)
        clean.append(Upload(name, upload.data))
    return clean


def submit(session: Session, catalog: Catalog, solved: Mapping[int, datetime], filing: Filing, text: Any,
           uploads: Sequence[Upload], files_dir: Path, max_file_bytes: int) -> Report:
    """File the next version of the team's report; every check runs before anything is written."""
    definition = report_task(catalog, filing.challenge_id, filing.now, solved)
    if not catalog.clock.accepts_attempts(filing.now):
        raise Forbidden(N_("reports can be filed only while the drill is running"))
    challenge = session.get(Challenge, definition.id)
    closes = deadline(catalog, challenge)
    if closes is not None and filing.now >= closes and late_rule(challenge) is None:
        raise Forbidden(N_("the deadline for this report passed at %(at)s UTC"), at=closes.strftime("%Y-%m-%d %H:%M"))
    late_seconds = lateness.seconds_late(closes, filing.now)
    text = _clean_text(text)
    clean = _clean_uploads(uploads, max_file_bytes)
    if _grade(session, filing.team_id, challenge.id) is not None:
        raise Refused(N_("your team's report has been graded; it can no longer be revised"), status=409)
    version = 1 + (session.scalar(select(func.max(Report.version)).where(
        Report.team_id == filing.team_id, Report.challenge_id == challenge.id)) or 0)
    if version > MAX_VERSIONS:
        raise Refused(N_("your team has filed %(max)s versions of this report, the most allowed; the last one "
                         "is the one judged"), status=409, max=MAX_VERSIONS)
    report_id = insert_ignore(session, Report, team_id=filing.team_id, challenge_id=challenge.id, version=version,
                              text=text, text_html=render_markdown(text), user_id=filing.user_id, at=filing.now,
                              late_seconds=late_seconds)
    if report_id is None:  # a teammate filed the same version number a moment ago
        raise Refused(N_("a teammate filed a version at the same moment; look at it and send yours again"), status=409)
    report = session.get(Report, report_id)
    for upload in clean:
        path, digest = keep(session, files_dir, REPORT_DIR, upload.data)
        report.files.append(ReportFile(name=upload.name, stored_path=path, sha256=digest, size=len(upload.data)))
    session.flush()
    audit.record(session, filing.actor_label, "report.submit", {
        "report_id": report.id, "team_id": filing.team_id, "challenge_id": challenge.id, "version": version,
        "files": [f.name for f in report.files], "late_seconds": late_seconds})
    events.notify_team(session, filing.team_id, "notice", {
        "kind": "report_filed", "challenge_id": challenge.id, "challenge": challenge.name, "version": version,
        "at": filing.now.isoformat()})
    return report


def _grade(session: Session, team_id: int, challenge_id: int) -> Grade | None:
    return session.scalar(select(Grade).where(Grade.team_id == team_id, Grade.challenge_id == challenge_id))


def status(session: Session, team_id: int, challenge_id: int) -> dict[str, Any] | None:
    """The API's ``report`` field: latest version, submitted or graded; once released, the
    points, each criterion's points and each judge's comment on its own ("Judge 1", "Judge 2":
    by position, never by name); ``returned`` while the latest version is back for revision."""
    latest = session.scalar(select(Report).where(Report.team_id == team_id, Report.challenge_id == challenge_id)
                            .order_by(Report.version.desc()).limit(1))
    if latest is None:
        return None
    grade = _grade(session, team_id, challenge_id)
    released = grade is not None and grade.released_at is not None
    rubric = session.get(Challenge, challenge_id).rubric if released else []
    return {"version": latest.version, "status": "graded" if grade else "submitted",
            "points": grade.points if released else None, "comment": grade.comment if released else None,
            "criteria": [{"criterion": c["criterion"], "points": points, "max": c["points"]}
                         for c, points in zip(rubric, grade.scores or [], strict=False)] if released else [],
            "comments": list(grade.feedback or []) if released else [],
            "returned": {"note": latest.return_note, "at": latest.returned_at.isoformat()}
            if latest.returned_at else None}


def late_penalty(session: Session, team_id: int, challenge_id: int) -> int:
    """The points the team's released grade lost because its report came late (0: none or not released)."""
    grade = _grade(session, team_id, challenge_id)
    return grade.late_penalty if grade is not None and grade.released_at is not None else 0


def statuses(session: Session, team_id: int) -> dict[int, str]:
    """Challenge id -> "submitted" | "graded" for every report task the team has filed (one query each)."""
    filed = set(session.scalars(select(Report.challenge_id).where(Report.team_id == team_id).distinct()))
    graded = set(session.scalars(select(Grade.challenge_id).where(Grade.team_id == team_id)))
    return {cid: "graded" if cid in graded else "submitted" for cid in filed}


def versions(session: Session, team_id: int, challenge_id: int) -> list[dict[str, Any]]:
    """Every version the team filed, newest first, with its text rendered and its files."""
    rows = session.execute(
        select(Report, User.name).outerjoin(User, User.id == Report.user_id)
        .where(Report.team_id == team_id, Report.challenge_id == challenge_id).order_by(Report.version.desc())
    ).all()
    return [{"id": report.id, "version": report.version, "text": report.text, "text_html": report.text_html,
             "at": report.at, "author": author, "late_minutes": -(-report.late_seconds // 60),
             "returned_at": report.returned_at, "return_note": report.return_note,
             "files": [{"id": f.id, "name": f.name, "size": f.size} for f in report.files]} for report, author in rows]


def team_file(session: Session, file_id: int, team_id: int | None) -> ReportFile:
    """An attachment for its own team only; any other caller learns nothing (404)."""
    row = session.get(ReportFile, file_id)
    if row is None or team_id is None or session.get(Report, row.report_id).team_id != team_id:
        raise NotFound(N_("no such file"))
    return row
