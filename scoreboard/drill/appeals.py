"""Appeals: a team disputes a deduction once; an organizer upholds it or voids the deduction.

Voiding goes through ``deductions.void`` (the console's Void button), so the team gets its
points back exactly as there. Each filing and decision is in the audit log; a decision is a
public ``appeal`` event (held while the board is frozen) and a private notice to the team.
No Flask here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scoreboard.core.errors import N_, Forbidden, NotFound, Refused
from scoreboard.drill import audit, claims, deductions
from scoreboard.drill.accounts import Actor
from scoreboard.store import events
from scoreboard.store.db import find, insert_ignore
from scoreboard.store.models import Appeal, Deduction, Team, counting_points


def file(session: Session, who: Actor | None, deduction_id: Any, text: Any, now: datetime) -> Appeal:
    """The team's one appeal against a deduction of its own that still counts."""
    row = claims.team_deduction(session, who, deduction_id)
    body = claims.text(text, claims.MAX_TEXT, N_("say why the deduction is wrong"))
    new_id = insert_ignore(session, Appeal, deduction_id=row.id, text=body, user_id=who.user_id, at=now,
                           status="pending", reason="")
    if new_id is None:
        raise Refused(N_("your team has already appealed this deduction; a deduction can be appealed once"))
    audit.record(session, who.label, "appeal.file", {"deduction_id": row.id, "text": body}, ("appeal", new_id))
    return session.get(Appeal, new_id)


def decide(session: Session, organizer: Actor | None, appeal_id: Any, void: Any, reason: Any,
           now: datetime) -> Appeal:
    """Uphold the deduction, or void it (the team gets its points back), with a reason."""
    if organizer is None or not organizer.is_organizer:
        raise Forbidden(N_("only organizers can decide appeals"))
    appeal = find(session, Appeal, appeal_id)
    if appeal is None:
        raise NotFound(N_("no such appeal"))
    if appeal.status != "pending":
        raise Refused(N_("this appeal has already been decided"))
    if not isinstance(void, bool):
        raise Refused(N_("decision must be true (void the deduction) or false (uphold it)"))
    appeal.reason = claims.text(reason, claims.MAX_COMMENT, N_("a reason is required: tell the team why"))
    if void:
        deductions.void(session, appeal.deduction_id, appeal.reason, now, organizer)
    appeal.status = "voided" if void else "upheld"
    appeal.decided_by_id, appeal.decided_at = organizer.user_id, now
    session.flush()
    deduction = session.get(Deduction, appeal.deduction_id)
    audit.record(session, organizer.label, f"appeal.{appeal.status}",
                 {"deduction_id": deduction.id, "reason": appeal.reason}, ("appeal", appeal.id))
    team = session.get(Team, deduction.team_id)
    # ``points``: the deduction's; ``returned``: what the void gave back (less an earlier refund).
    payload = {"team": team.name, "team_id": team.id, "decision": appeal.status, "points": deduction.points,
               "returned": counting_points(deduction) if void else 0, "reason": deduction.reason,
               "at": now.isoformat()}
    events.record(session, "appeal", payload, now, held=events.clock_of(events.drill(session)).frozen(now))
    events.notify_team(session, team.id, "notice", {**payload, "kind": "appeal", "answer": appeal.reason})
    return appeal
