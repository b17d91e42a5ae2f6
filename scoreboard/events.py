"""The event stream and the drill row: what changed, in order, published after commit.

Public events are rows of ``Event``; the row id is the ``seq`` observers order by, so the
stream is the same for every worker process and survives restarts. Private notices for one
team carry no ``seq`` and are not stored. Either kind waits in ``session.info["outbox"]``
until the transaction commits (see ``db.Database``). No Flask here.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .clock import RUNNING, Clock
from .models import AuditEntry, Challenge, Drill, Event, utcnow

# Event kinds after which the public board may differ: the board cache is dropped and
# re-scored only for these, never for a wrong answer. "board" is internal (a hint bought, a
# solve during the freeze) and is never sent to clients.
BOARD_KINDS = {"solve", "award", "team", "clock", "pack", "release", "announcement", "board"}


def drill(session: Session) -> Drill:
    """The one drill row, created on first use."""
    row = session.get(Drill, 1)
    if row is None:
        row = Drill(id=1)
        session.add(row)
        session.flush()
    return row


def clock_of(row: Drill) -> Clock:
    return Clock(row.starts_at, row.ends_at, row.freeze_at, row.paused_at)


def record(session: Session, kind: str, payload: dict[str, Any], at: datetime | None = None,
           held: bool = False) -> dict[str, Any]:
    """Store a public event and queue it for publishing; returns the payload with its ``seq``.

    A ``held`` event (a solve during the freeze) is stored but not sent: observers learn of it
    from the snapshot after the reveal.
    """
    row = Event(kind=kind, payload={}, at=at or utcnow(), held=held)
    session.add(row)
    session.flush()
    full = {"seq": row.id, **payload}
    row.payload = full
    if held:
        notify_board(session)
    else:
        session.info.setdefault("outbox", []).append({"kind": kind, "payload": full, "room": None})
    return full


def notify_team(session: Session, team_id: int, kind: str, payload: dict[str, Any]) -> None:
    """Queue a private notice for one team's members (no seq, not stored)."""
    session.info.setdefault("outbox", []).append({"kind": kind, "payload": payload, "room": f"team:{team_id}"})


def notify_board(session: Session) -> None:
    """Mark that the standings may have changed without a public event of their own."""
    outbox = session.info.setdefault("outbox", [])
    if not any(item["kind"] == "board" for item in outbox):
        outbox.append({"kind": "board", "payload": {}, "room": None})


def announce_releases(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Emit ``release`` once for each challenge that has opened since the last call.

    The claim is an UPDATE guarded by ``release_announced_at IS NULL``, so when several
    workers run this at once exactly one of them emits each release.
    """
    row = drill(session)
    clock = clock_of(row)
    emitted = []
    pending = session.scalars(
        select(Challenge).where(Challenge.release_announced_at.is_(None), Challenge.removed.is_(False),
                                Challenge.state == "visible")
    ).all()
    for challenge in pending:
        if clock.phase(now) != RUNNING or not clock.released(challenge.release_at, challenge.release_after, now):
            continue  # before the start nothing opens; the start itself releases them
        claimed = session.execute(
            update(Challenge)
            .where(Challenge.id == challenge.id, Challenge.release_announced_at.is_(None))
            .values(release_announced_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            emitted.append(record(session, "release", {
                "challenge_id": challenge.id, "challenge": challenge.name,
                "category": challenge.category, "at": now.isoformat(),
            }, now))
    return emitted


def audit(session: Session, actor: str, action: str, payload: dict[str, Any]) -> AuditEntry:
    """Append an organizer action to the hash-chained audit trail."""
    last = session.scalars(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev = last or "0" * 64
    at = utcnow()
    body = json.dumps([prev, at.isoformat(), actor, action, payload], sort_keys=True, default=str)
    entry = AuditEntry(at=at, actor=actor, action=action, payload=json.loads(json.dumps(payload, default=str)),
                       prev_hash=prev, hash=hashlib.sha256(body.encode()).hexdigest())
    session.add(entry)
    return entry
