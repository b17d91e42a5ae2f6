"""The event stream and the drill row: what changed, in order, published after commit.

Every change is a row of ``Event``, appended under the stream lock so that commit order is id
order: each worker tails the table by id (``stream.Pump``) and sends the public rows — those
with a ``seq`` — to its own clients, so the stream is the same for every worker and survives
restarts. Rows without a seq are held solves (kept for the reveal) and internal changes that
tell other workers to refresh their caches. Private notices for one team are not stored: they
wait in ``session.info["outbox"]`` until commit (see ``db.Database``). No Flask here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from scoreboard.core.clock import RUNNING, Clock, public_name, waiting
from scoreboard.store.db import insert_ignore, lock_stream
from scoreboard.store.models import Challenge, Drill, Event, utcnow

# Kinds after which the public board may read differently: the snapshot is rebuilt and the
# standings re-scored only for these, never for a wrong answer. "hint" (a hint bought) and
# "board" (a re-grade, a restore) are internal and never sent to clients.
BOARD_KINDS = {"solve", "award", "team", "clock", "pack", "release", "announcement", "board", "hint", "graded",
               "deduction", "reveal", "phase"}
# Kinds after which cached challenge definitions, the clock or accounts may be stale.
CATALOG_KINDS = {"pack", "clock", "catalog", "board", "phase"}
ACCOUNT_KINDS = {"team", "accounts", "board"}


def drill(session: Session) -> Drill:
    """The one drill row, created on first use."""
    row = session.get(Drill, 1)
    if row is None:
        row = ensure_drill(session)
    return row


def ensure_drill(session: Session) -> Drill:
    """Create the drill row unless it exists; two workers starting at once both succeed."""
    insert_ignore(session, Drill, id=1)
    return session.get(Drill, 1)


def clock_of(row: Drill) -> Clock:
    return Clock(row.starts_at, row.ends_at, row.freeze_at, row.paused_at, row.reveal)


def _outbox(session: Session) -> list[dict[str, Any]]:
    return session.info.setdefault("outbox", [])


# Built once: appending to the stream is on the path of every solve.
_NEXT_SEQ = select(func.coalesce(func.max(Event.seq), 0) + 1)
_INSERT = Event.__table__.insert()


def _append(session: Session, kind: str, seq: int | None, payload: dict[str, Any], at: datetime | None,
            held: bool) -> None:
    session.connection().execute(_INSERT, {"kind": kind, "seq": seq, "payload": payload, "at": at or utcnow(),
                                           "held": held})
    _outbox(session).append({"kind": kind, "payload": payload, "room": None})


def record(session: Session, kind: str, payload: dict[str, Any], at: datetime | None = None,
           held: bool = False) -> dict[str, Any]:
    """Append a public event; returns the payload with its ``seq``.

    A ``held`` event (a solve during the freeze) is stored without a seq and not sent:
    observers learn of it from the snapshot after the reveal.
    """
    lock_stream(session)
    seq = None if held else session.connection().execute(_NEXT_SEQ).scalar()
    full = payload if held else {"seq": seq, **payload}
    _append(session, kind, seq, full, at, held)
    return full


def mark(session: Session, kind: str, payload: dict[str, Any] | None = None) -> None:
    """Append an internal change (no seq, never sent) that other workers must hear of."""
    lock_stream(session)
    _append(session, kind, None, payload or {}, None, False)


def notify_team(session: Session, team_id: int, kind: str, payload: dict[str, Any]) -> None:
    """Queue a private notice for one team's members (no seq, not stored)."""
    _outbox(session).append({"kind": kind, "payload": payload, "room": f"team:{team_id}"})


def announce_releases(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Emit ``release`` once for each challenge that has opened since the last call.

    The claim is an UPDATE guarded by ``release_announced_at IS NULL``, so when several
    workers run this at once exactly one of them emits each release.
    """
    row = drill(session)
    clock = clock_of(row)
    if clock.phase(now) != RUNNING:
        return []  # before the start nothing opens; the start itself releases them
    emitted = []
    pending = session.scalars(
        select(Challenge).where(Challenge.release_announced_at.is_(None), Challenge.removed.is_(False),
                                Challenge.state == "visible")
    ).all()
    for challenge in pending:
        if waiting(challenge) or not clock.released(challenge.release_at, challenge.release_after, now):
            continue  # a challenge of a phase still waiting is released when its phase opens
        claimed = session.execute(
            update(Challenge)
            .where(Challenge.id == challenge.id, Challenge.release_announced_at.is_(None))
            .values(release_announced_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            emitted.append(record(session, "release", {
                "challenge_id": challenge.id, "challenge": public_name(challenge),
                "category": challenge.category, "at": now.isoformat(),
            }, now))
    return emitted
