"""Red-team deductions: an attack that succeeded against a team costs it points; organizers may void one.

A deduction carries a reason (shown on the board's feed and the team's page) and evidence (text
and optionally a file, seen by organizers only). Recording one audits the row, publishes the
public ``deduction`` event (held while the board is frozen) and tells the team. A void keeps the
row, marks it and audits it again; the board is re-scored through an internal ``board`` change
(the contract has no public void event, and the feed item stays, struck through in the snapshot).
No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoreboard.core.errors import N_, Forbidden, NotFound, Refused
from scoreboard.core.scoring import MAX_DEDUCTION
from scoreboard.drill import audit
from scoreboard.drill.accounts import Actor
from scoreboard.drill.hosts import service_named
from scoreboard.packs.redteam import OTHER
from scoreboard.store import events
from scoreboard.store.db import find
from scoreboard.store.models import Appeal, Deduction, Detection, Objective, Team, User, counting_points
from scoreboard.store.uploads import Upload, display_name, keep

MAX_POINTS = MAX_DEDUCTION
MAX_REASON = 1000
MAX_EVIDENCE = 20_000
EVIDENCE_DIR = "evidence"


@dataclass(frozen=True)
class Store:
    """Where evidence files go (the instance files dir) and how large one may be."""

    folder: Path
    max_bytes: int


def _reason(value: Any, missing: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Refused(missing)
    if len(value) > MAX_REASON:
        raise Refused(N_("the reason is too long (at most %(max)s characters)"), max=MAX_REASON)
    return value.strip()


def ensure_recorder(actor: Actor | None) -> Actor:
    """The caller, if it may record deductions: a red-team member or an organizer."""
    if actor is None or not (actor.is_red_team or actor.is_organizer):
        raise Forbidden(N_("only the red team and organizers can record deductions"))
    return actor


def _checked(session: Session, team_id: Any, points: Any, reason: Any, evidence: Any, actor: Actor | None) -> Team:
    ensure_recorder(actor)
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise Refused(N_("points must be a whole number from 1 to %(max)s (the points the team loses)"),
                      max=MAX_POINTS)
    if isinstance(team_id, bool) or not isinstance(team_id, int):
        raise Refused(N_("team_id must be a team's id (a whole number)"))
    team = find(session, Team, team_id)
    if team is None:
        raise NotFound(N_("no such team"))
    if evidence is not None and not isinstance(evidence, str):
        raise Refused(N_("the evidence must be text"))
    if evidence and len(evidence) > MAX_EVIDENCE:
        raise Refused(N_("the evidence is too long (at most %(max)s characters); attach a file instead"),
                      max=MAX_EVIDENCE)
    return team


def _save(session: Session, upload: Upload, store: Store) -> tuple[str, str]:
    """Check and keep an evidence file under a generated name; returns (original name, stored path)."""
    if len(upload.data) > store.max_bytes:
        raise Refused(N_("the evidence file is too large (at most %(max)s MiB)"),
                      max=round(store.max_bytes / 1024 / 1024, 1))
    if not upload.data:
        raise Refused(N_("the evidence file is empty"))
    stored, _ = keep(session, store.folder, EVIDENCE_DIR, upload.data)
    return display_name(upload.name, "evidence"), stored


def cover(session: Session, actor: Actor, action: str, row: Deduction) -> None:
    """Audit the row as it is now: after it is written, voided, or refunded."""
    audit.cover(session, actor.label, action, "deduction", row.id,
                {c: getattr(row, c) for c in audit.SCORE_ROWS["deduction"][1]})


def objective_named(session: Session, key: Any) -> Objective | None:
    """The live objective a deduction names by its redteam.yml id; None for "other" or nothing."""
    if key is None or key == "" or key == OTHER:
        return None
    if not isinstance(key, str) or len(key) > 100:
        raise Refused(N_("objective must be an objective's id from the red team's list, or \"other\""))
    row = session.scalars(select(Objective).where(Objective.key == key, Objective.removed.is_(False))
                          .order_by(Objective.id)).first()
    if row is None:
        raise NotFound(N_("no such objective: %(objective)s"), objective=key)
    return row


def record(session: Session, team_id: Any, points: Any, reason: Any, evidence: Any, now: datetime,
           actor: Actor | None, upload: Upload | None = None, store: Store | None = None,
           objective: Any = None, service: Any = None) -> Deduction:
    """Take ``points`` from a team for a successful attack; everything is checked before anything is written.

    Naming an objective makes its points the default and its title the default reason; naming a
    service records which of the team's defended services the attack took down.
    """
    ensure_recorder(actor)
    target, hit = objective_named(session, objective), service_named(session, service)
    if target is not None:
        points = target.points if points is None or points == "" else points
        reason = target.title if reason is None or (isinstance(reason, str) and not reason.strip()) else reason
    team = _checked(session, team_id, points, reason, evidence, actor)
    text = _reason(reason, N_("a reason is required: say which attack succeeded against the team"))
    if upload is not None and store is None:
        raise Refused(N_("evidence files cannot be stored here"))
    name, stored = _save(session, upload, store) if upload is not None else (None, None)
    row = Deduction(team_id=team.id, points=points, reason=text, evidence=evidence or "", evidence_name=name,
                    evidence_path=stored, author_id=actor.user_id, at=now,
                    objective_id=target.id if target else None, service_id=hit.id if hit else None)
    session.add(row)
    session.flush()
    cover(session, actor, "deduction", row)
    payload = {"team": team.name, "team_id": team.id, "points": points, "reason": text, "at": now.isoformat(),
               **({"service": hit.key} if hit else {})}
    events.record(session, "deduction", payload, now, held=events.clock_of(events.drill(session)).frozen(now))
    events.notify_team(session, team.id, "notice", {"kind": "deduction", **payload})
    return row


def void(session: Session, deduction_id: int, reason: Any, now: datetime, actor: Actor | None) -> Deduction:
    """Cancel a deduction (a mistake, a disputed attack): the team gets back what it still took
    (its points less any detection refund); the row stays."""
    if actor is None or not actor.is_organizer:
        raise Forbidden(N_("only organizers can void a deduction"))
    row = session.get(Deduction, deduction_id)
    if row is None:
        raise NotFound(N_("no such deduction"))
    if row.voided_at is not None:
        raise Refused(N_("this deduction was already voided"))
    row.void_reason = _reason(reason, N_("a reason is required: say why the deduction is voided"))
    row.voided_at, row.voided_by_id = now, actor.user_id
    session.flush()
    cover(session, actor, "deduction.void", row)
    events.mark(session, "board", {"deduction_id": row.id})
    events.notify_team(session, row.team_id, "notice", {"kind": "deduction_void", "points": counting_points(row),
                                                        "reason": row.reason, "void_reason": row.void_reason,
                                                        "at": now.isoformat()})
    return row


def listing(session: Session, team_id: int | None = None, author_id: int | None = None) -> list[dict[str, Any]]:
    """Deductions newest first, with team and author names, the objective hit and the team's
    detection report and appeal, if any (for the console, the red team's and the team's pages)."""
    author = User.__table__.alias("author")
    voider = User.__table__.alias("voider")
    query = (select(Deduction, Team.name, author.c.name, voider.c.name, Objective, Detection, Appeal)
             .join(Team, Team.id == Deduction.team_id)
             .outerjoin(author, author.c.id == Deduction.author_id)
             .outerjoin(voider, voider.c.id == Deduction.voided_by_id)
             .outerjoin(Objective, Objective.id == Deduction.objective_id)
             .outerjoin(Detection, Detection.deduction_id == Deduction.id)
             .outerjoin(Appeal, Appeal.deduction_id == Deduction.id)
             .order_by(Deduction.id.desc()))
    if team_id is not None:
        query = query.where(Deduction.team_id == team_id)
    if author_id is not None:
        query = query.where(Deduction.author_id == author_id)
    return [{"row": row, "team": team, "author": by or "–", "voided_by": voided_by, "objective": objective,
             "detection": detection, "appeal": appeal}
            for row, team, by, voided_by, objective, detection, appeal in session.execute(query)]
