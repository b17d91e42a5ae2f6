"""The event stream and the drill row: what changed, in order, published after commit.

Every change is a row of ``Event``, placed in commit order (``pos``): on SQLite as it is written
(the database's one write lock orders writers anyway), on PostgreSQL by the sequencer right after
the commit (``db.Database.sequence``), so no writer holds a lock for the stream while it works.
Each worker tails the table by ``pos`` (``stream.Pump``) and sends the public rows — those with a
``seq`` — to its own clients, so the stream is the same for every worker and survives restarts. Rows without a seq are held solves (kept for the reveal) and internal changes that
tell other workers to refresh their caches. Private notices for one team are not stored: they
wait in ``session.info["outbox"]`` until commit (see ``db.Database``). No Flask here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from scoreboard.core.clock import RUNNING, Clock, public_name, waiting
from scoreboard.store.db import STREAM, Lock, insert_ignore, serialise
from scoreboard.store.models import Challenge, Drill, Event, utcnow

# Kinds after which the public board may read differently: the snapshot is rebuilt and the
# standings re-scored only for these, never for a wrong answer. "hint" (a hint bought), "board"
# (a re-grade, a restore) and "round" (a round of service checks finished or was excluded) are
# internal and never sent to clients.
BOARD_KINDS = {"solve", "award", "team", "clock", "pack", "release", "announcement", "board", "hint", "graded",
               "deduction", "reveal", "phase", "detection", "appeal", "service", "round"}
# Kinds after which cached challenge definitions, the clock or accounts may be stale.
CATALOG_KINDS = {"pack", "clock", "catalog", "board", "phase"}
ACCOUNT_KINDS = {"team", "accounts", "board"}
# Public kinds whose payload names a challenge, by the name observers may see (``public_name``).
NAMING_KINDS = ("release", "solve", "graded")


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


# Built once: appending to the stream is on the path of every solve. Each max() is a subquery of
# its own: SQLite reads a max() from its index only when it is the SELECT's one aggregate, and
# with two it scanned the whole stream on every append (7 ms at 60,000 rows, under the write lock).
_LAST_POS = select(func.coalesce(func.max(Event.pos), 0)).scalar_subquery()
_LAST_SEQ = select(func.coalesce(func.max(Event.seq), 0)).scalar_subquery()
_LAST = select(_LAST_POS, _LAST_SEQ)
_NEXT = select(_LAST_POS + 1, _LAST_SEQ + 1)
_INSERT = Event.__table__.insert()


def last_places(session: Session) -> tuple[int, int]:
    """The last ``pos`` and ``seq`` given (0 and 0 for an empty stream): what a board reflects."""
    pos, seq = session.execute(_LAST).one()
    return pos, seq


def _append(session: Session, kind: str, payload: dict[str, Any], at: datetime | None, held: bool,
            public: bool) -> dict[str, Any]:
    """Store the row; on SQLite with its place and seq, on PostgreSQL for the sequencer to place."""
    connection = session.connection()
    pos = seq = None
    if connection.dialect.name == "sqlite":
        serialise(session, Lock(STREAM))  # the write lock: no other writer until commit, so max + 1 is ours
        pos, seq = connection.execute(_NEXT).one()
        seq = seq if public else None
        payload = {"seq": seq, **payload} if public else payload
    else:
        session.info["unsequenced"] = True
    connection.execute(_INSERT, {"kind": kind, "pos": pos, "seq": seq, "public": public, "payload": payload,
                                 "at": at or utcnow(), "held": held})
    _outbox(session).append({"kind": kind, "payload": payload, "room": None})
    return payload


def record(session: Session, kind: str, payload: dict[str, Any], at: datetime | None = None,
           held: bool = False) -> dict[str, Any]:
    """Append a public event; returns the payload as stored (with its ``seq`` on SQLite; on
    PostgreSQL the seq is given at commit, in commit order, and reaches clients with the row).

    A ``held`` event (a solve during the freeze) is stored without a seq and not sent:
    observers learn of it from the snapshot after the reveal.
    """
    return _append(session, kind, payload, at, held, public=not held)


def mark(session: Session, kind: str, payload: dict[str, Any] | None = None) -> None:
    """Append an internal change (no seq, never sent) that other workers must hear of."""
    _append(session, kind, payload or {}, None, False, public=False)


def notify_team(session: Session, team_id: int, kind: str, payload: dict[str, Any]) -> None:
    """Queue a private notice for one team's members (no seq, not stored)."""
    _outbox(session).append({"kind": kind, "payload": payload, "room": f"team:{team_id}"})


# Every team member's connection is in this room too: notices for all teams and no observer.
TEAMS_ROOM = "teams"


def notify_teams(session: Session, kind: str, payload: dict[str, Any]) -> None:
    """Queue a notice for the members of every team, never for observers (no seq, not stored)."""
    _outbox(session).append({"kind": kind, "payload": payload, "room": TEAMS_ROOM})


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


def rename_challenges(session: Session, renamed: dict[int, tuple[str, str]]) -> int:
    """Rewrite the challenge's name in every stored public event after its public name changed
    (``challenge id -> (old, new)``): a pack update that anonymises a challenge must take its real
    name out of the feed and the replay too, which serve the stored payloads. Events that carry
    no ``challenge_id`` (graded ones from before it was added) are matched by the old name.
    Returns how many events were rewritten."""
    if not renamed:
        return 0
    old_names = {old: cid for cid, (old, _new) in renamed.items()}
    changed = 0
    rows = session.execute(select(Event.id, Event.payload).where(Event.kind.in_(NAMING_KINDS))).all()
    for event_id, payload in rows:
        cid = payload.get("challenge_id", old_names.get(payload.get("challenge")))
        if cid in renamed and payload.get("challenge") != renamed[cid][1]:
            session.execute(update(Event).where(Event.id == event_id)
                            .values(payload={**payload, "challenge": renamed[cid][1]}))
            changed += 1
    return changed
