"""Returning a report to its team for revision, with a note from the organizers.

The returned version keeps its marks for the record, but they no longer count: an unreleased
grade on it is withdrawn, the version leaves the judges' queue, and the team may file a new
version (subject to the task's deadline) that goes back into the queue. A released grade is
final. Audited, with a private notice to the team. The caller commits. No Flask here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoreboard.core.errors import N_, NotFound, Refused
from scoreboard.drill import audit, judging
from scoreboard.drill.accounts import Actor
from scoreboard.store import events
from scoreboard.store.models import Challenge, Grade, Report

MAX_NOTE = 2_000


def clean_note(note: Any) -> str:
    if not isinstance(note, str) or not note.strip():
        raise Refused(N_("write a note telling the team what to revise"))
    if len(note) > MAX_NOTE:
        raise Refused(N_("the note is longer than %(max)s characters"), max=MAX_NOTE)
    if "\x00" in note:
        raise Refused(N_("the note must not contain NUL characters"))
    return note.strip()


def returnable(session: Session, report_id: int) -> tuple[Report, Challenge]:
    """The report if an organizer may send it back now: the team's latest version, not yet
    returned, without a released grade."""
    report = session.get(Report, report_id)
    challenge = session.get(Challenge, report.challenge_id) if report else None
    if report is None or challenge is None or challenge.kind != "report":
        raise NotFound(N_("no such report"))
    newest = session.scalar(select(func.max(Report.version)).where(
        Report.team_id == report.team_id, Report.challenge_id == report.challenge_id))
    if report.returned_at is not None:
        raise Refused(N_("this version has already been returned for revision"), status=409)
    if newest != report.version:
        raise Refused(N_("the team has filed a newer version since; return that one if needed"), status=409)
    grade = session.scalar(select(Grade).where(Grade.team_id == report.team_id,
                                               Grade.challenge_id == report.challenge_id))
    if grade is not None and grade.released_at is not None:
        raise Refused(N_("this report's grade has been released; it can no longer be returned"), status=409)
    return report, challenge


def return_for_revision(session: Session, report_id: int, note: Any, who: Actor, now: datetime) -> Report:
    """Send the report back with ``note``; its marks stay on record but stop counting."""
    report, challenge = returnable(session, report_id)
    note = clean_note(note)
    grade = session.scalar(select(Grade).where(Grade.team_id == report.team_id,
                                               Grade.challenge_id == report.challenge_id))
    if grade is not None:
        judging.withdraw_grade(session, grade, who.label, "returned")
    report.returned_at, report.return_note, report.returned_by_id = now, note, who.user_id
    session.flush()
    audit.record(session, who.label, "report.return", {
        "report_id": report.id, "team_id": report.team_id, "challenge_id": challenge.id,
        "version": report.version, "note": note})
    events.notify_team(session, report.team_id, "notice", {
        "kind": "report_returned", "challenge_id": challenge.id, "challenge": challenge.name,
        "version": report.version, "note": note, "at": now.isoformat()})
    return report
