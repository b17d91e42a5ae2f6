"""Detection reports: a team that saw an attack says what it detected; a judge decides.

Within ``Drill.detection_window_minutes`` (redteam.yml) after a deduction, its team may file one
report. A judge (or organizer) accepts or rejects it with a comment without learning which team
filed it, like report judging, and never decides for their own team. Accepting gives back
``Drill.detection_refund_percent`` of the points (rounded down), stored on the deduction as
``refunded_points`` and covered in the audit log again; the public ``detection`` event names the
team (held while the board is frozen), and the team hears the decision either way. No Flask here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.core.errors import N_, Forbidden, NotFound, Refused
from scoreboard.drill import audit, claims, deductions
from scoreboard.drill.accounts import Actor
from scoreboard.drill.judging import may_judge
from scoreboard.drill.objectives import shown
from scoreboard.store import events
from scoreboard.store.db import find, insert_ignore
from scoreboard.store.models import Deduction, Detection, Objective, Team


def file(session: Session, who: Actor | None, deduction_id: Any, text: Any, now: datetime) -> Detection:
    """The team's one detection report on a deduction, inside the window."""
    row = claims.team_deduction(session, who, deduction_id)
    body = claims.text(text, claims.MAX_TEXT, N_("say what your team detected: when, on which host, and how"))
    deadline = claims.detection_deadline(session, row)
    if now > deadline:
        raise Refused(N_("detections of this attack could be reported until %(deadline)s UTC; that time is over"),
                      deadline=deadline.strftime("%Y-%m-%d %H:%M"))
    new_id = insert_ignore(session, Detection, deduction_id=row.id, text=body, user_id=who.user_id, at=now,
                           status="pending", comment="")
    if new_id is None:
        raise Refused(N_("your team has already reported a detection of this attack"))
    audit.record(session, who.label, "detection.file", {"deduction_id": row.id, "text": body}, ("detection", new_id))
    return session.get(Detection, new_id)


def _pending(session: Session, judge: Actor) -> Any:
    query = (select(Detection, Deduction, Objective).join(Deduction, Deduction.id == Detection.deduction_id)
             .outerjoin(Objective, Objective.id == Deduction.objective_id)
             .where(Detection.status == "pending", Deduction.voided_at.is_(None)))
    if judge.team_id is not None:
        query = query.where(Deduction.team_id != judge.team_id)
    return query


def queue(session: Session, judge: Actor, lang: str) -> list[dict[str, Any]]:
    """The detection reports waiting for a decision, oldest first: no team's name or id anywhere."""
    if not may_judge(judge):
        raise Forbidden(N_("only judges and organizers can decide on detection reports"))
    rows = session.execute(_pending(session, judge).order_by(Detection.at, Detection.id))
    return [{"id": detection.id, "text": detection.text, "filed_at": detection.at, "attack_at": deduction.at,
             "points": deduction.points, "reason": deduction.reason,
             "objective": shown(objective, lang) if objective else None}
            for detection, deduction, objective in rows]


def decide(session: Session, judge: Actor | None, detection_id: Any, accept: Any, comment: Any,
           now: datetime) -> Detection:
    """Accept (the team gets its refund) or reject a pending detection report, with a comment."""
    if judge is None or not may_judge(judge):
        raise Forbidden(N_("only judges and organizers can decide on detection reports"))
    detection = find(session, Detection, detection_id)
    deduction = session.get(Deduction, detection.deduction_id) if detection else None
    if detection is None or deduction is None:
        raise NotFound(N_("no such detection report"))
    if judge.team_id is not None and judge.team_id == deduction.team_id:
        raise Forbidden(N_("this detection report is from your own team; another judge must decide it"))
    if detection.status != "pending" or deduction.voided_at is not None:
        raise Refused(N_("this detection report has already been decided"))
    if not isinstance(accept, bool):
        raise Refused(N_("decision must be true (accept) or false (reject)"))
    detection.comment = claims.text(comment, claims.MAX_COMMENT, N_("a comment is required: tell the team why"))
    detection.status = "accepted" if accept else "rejected"
    detection.judge_id, detection.judged_at = judge.user_id, now
    refund = 0
    if accept:
        refund = deduction.points * events.drill(session).detection_refund_percent // 100
        deduction.refunded_points = refund
        session.flush()
        deductions.cover(session, judge, "deduction.refund", deduction)
        _publish(session, deduction, refund, now)
    audit.record(session, judge.label, f"detection.{detection.status}",
                 {"deduction_id": deduction.id, "comment": detection.comment, "refunded_points": refund},
                 ("detection", detection.id))
    events.notify_team(session, deduction.team_id, "notice", {
        "kind": "detection", "status": detection.status, "points": refund, "reason": deduction.reason,
        "comment": detection.comment, "at": now.isoformat()})
    return detection


def _publish(session: Session, deduction: Deduction, refund: int, now: datetime) -> None:
    """The public ``detection`` event: the board's feed says the team detected the attack."""
    team = session.get(Team, deduction.team_id)
    objective = session.get(Objective, deduction.objective_id) if deduction.objective_id else None
    events.record(session, "detection", {
        "team": team.name, "team_id": team.id, "points": refund, "reason": deduction.reason,
        "objective": objective.title if objective else None, "objective_id": objective.key if objective else None,
        "at": now.isoformat()},
        now, held=events.clock_of(events.drill(session)).frozen(now))
