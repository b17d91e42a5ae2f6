"""The audit log: every organizer action and every row that carries points, chained with an HMAC.

Each entry's MAC covers the previous entry's MAC and the entry's own content. The key comes
from the instance's secret key, which the database does not hold, so rows edited with SQL
cannot be signed again. Every score-bearing row (of each table the ledger reads points from:
solves, awards, hints bought, grades, deductions) gets an entry holding its content, so an award
edited from 5 to 500 shows. The head row holds the newest entry's id and MAC under a MAC of
its own: deleting the newest entry shows too. ``verify`` names the first thing that does not
hold.

On SQLite an entry is chained as it is written (writers take the database's one write lock
anyway). On PostgreSQL a writer only inserts it, unchained, and ``chain`` links the committed
entries moments later (each worker's tick; ``verify`` and a backup first): a chain's head read and
written by every solve would make every writer wait for the one before it to commit. No Flask here.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from scoreboard.board import ledger
from scoreboard.store.db import AUDIT, Lock, serialise
from scoreboard.store.models import AuditEntry, AuditHead, utcnow

GENESIS = "0" * 64
# Columns an audit entry leaves out: where a stored evidence file went is the server's business,
# not a fact about the points (and entries written before the ledger named the tables lack it); nor
# are a service check's words, duration and put flag (its state and points are), and a checker's
# output would make every round's entries large.
UNRECORDED = {"evidence_path", "message", "detail", "duration_ms", "flag_id", "flag"}
# The tables whose rows carry points (the ledger names them: ``ledger.TABLES``), by table name,
# and the columns an audit entry records of each row: all but the id and UNRECORDED.
SCORE_ROWS: dict[str, tuple[type, tuple[str, ...]]] = {
    model.__tablename__: (model, tuple(c.name for c in model.__table__.columns
                                       if c.name != "id" and c.name not in UNRECORDED))
    for model in ledger.TABLES
}
# Columns added to a covered table later, with the value rows had before: an entry written before
# the column existed still vouches for a row that has kept that value.
ADDED_LATER: dict[tuple[str, str], Any] = {("deduction", "objective_id"): None, ("deduction", "refunded_points"): 0,
                                          ("deduction", "service_id"): None}


def key_from(secret: str) -> bytes:
    """The chain's key, derived from the instance secret (never stored in the database)."""
    return hmac.new(secret.encode(), b"drillboard audit chain", hashlib.sha256).digest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value


def _json(value: Any) -> Any:
    return _plain(value) if isinstance(value, datetime) else str(value)


def _mac(key: bytes, *parts: Any) -> str:
    body = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=_json, ensure_ascii=False)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


_FIELDS = ("prev_hash", "at", "actor", "action", "subject", "subject_id", "payload")


def _entry_mac(key: bytes, entry: Any) -> str:
    """The MAC of an entry (a row or a dict of its fields)."""
    get = entry.get if isinstance(entry, dict) else lambda name: getattr(entry, name)
    return _mac(key, *(_plain(get(name)) for name in _FIELDS))


def _head_mac(key: bytes, last_id: int, last_hash: str) -> str:
    return _mac(key, "head", last_id, last_hash)


def _key(session: Session) -> bytes:
    return session.info["audit_key"]


# Built once: every solve appends to the chain.
_HEAD = select(AuditHead.hash).where(AuditHead.id == 1)
_NEXT_POS = select(func.coalesce(func.max(AuditEntry.pos), 0) + 1).scalar_subquery()
_INSERT = AuditEntry.__table__.insert().returning(AuditEntry.__table__.c.id)
_INSERT_CHAINED = AuditEntry.__table__.insert().values(pos=_NEXT_POS).returning(AuditEntry.__table__.c.id)


def record(session: Session, actor: str, action: str, payload: dict[str, Any],
           subject: tuple[str, int] | None = None) -> int:
    """Append an entry in the caller's transaction (chained now on SQLite, by ``chain`` on
    PostgreSQL); returns its id."""
    return _append(session, actor, action, [(payload, subject)])


def _append(session: Session, actor: str, action: str,
            items: list[tuple[dict[str, Any], tuple[str, int] | None]]) -> int:
    """One entry per ``(payload, subject)``: on PostgreSQL written unchained (``chain`` links them
    after commit, so no lock is held across a worker's round trips); on SQLite chained in order
    now and the head moved once. Returns the last entry's id."""
    connection = session.connection()
    at = utcnow()
    entries = [{"at": at, "actor": actor[:100], "action": action[:50],
                "payload": json.loads(json.dumps(payload, default=_json)),
                "subject": subject[0] if subject else None, "subject_id": subject[1] if subject else None}
               for payload, subject in items]
    entry_id = 0
    if connection.dialect.name != "sqlite":
        for entry in entries:
            entry_id = connection.execute(_INSERT, {**entry, "prev_hash": None, "hash": None, "pos": None}).scalar_one()
        return entry_id
    serialise(session, Lock(AUDIT))  # the write lock: the head is ours until commit
    key = _key(session)
    prev = connection.execute(_HEAD).scalar()
    if prev is None:
        prev = GENESIS
        connection.execute(insert(AuditHead).values(id=1, last_id=0, hash=GENESIS, mac=_head_mac(key, 0, GENESIS)))
    for entry in entries:
        entry["prev_hash"] = prev
        entry["hash"] = prev = _entry_mac(key, entry)
        entry_id = connection.execute(_INSERT_CHAINED, entry).scalar_one()
    connection.execute(update(AuditHead).where(AuditHead.id == 1).values(
        last_id=entry_id, hash=prev, mac=_head_mac(key, entry_id, prev)))
    return entry_id


def chain(session: Session, wait: bool = False) -> int:
    """Link the committed entries written unchained (PostgreSQL), in id order, after the head;
    returns how many. Without ``wait``, leaves them to whoever is chaining already: the entries
    that one does not see are chained on the next call (every worker calls this each tick)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" or session.get(AuditHead, 1) is None:
        return 0  # SQLite chains as it writes; an unsealed log is chained whole by ``seal``
    if wait:
        serialise(session, Lock(AUDIT))
    elif not connection.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({AUDIT}, 0)").scalar():
        return 0
    pending = session.scalars(select(AuditEntry).where(AuditEntry.pos.is_(None)).order_by(AuditEntry.id)).all()
    if not pending:
        return 0
    key = _key(session)
    head = session.get(AuditHead, 1, populate_existing=True)
    pos = session.scalar(select(func.coalesce(func.max(AuditEntry.pos), 0)))
    prev = head.hash
    for entry in pending:
        pos += 1
        entry.pos, entry.prev_hash = pos, prev
        entry.hash = prev = _entry_mac(key, entry)
    head.last_id, head.hash, head.mac = pending[-1].id, prev, _head_mac(key, pending[-1].id, prev)
    session.flush()
    return len(pending)


def cover(session: Session, actor: str, action: str, table: str, row_id: int, values: dict[str, Any],
          **extra: Any) -> int:
    """Record a score-bearing row as it is now (again after each legitimate change of it)."""
    columns = SCORE_ROWS[table][1]
    row = {column: _plain(values.get(column)) for column in columns}
    return record(session, actor, action, {"row": row, **extra}, (table, row_id))


def cover_many(session: Session, actor: str, action: str, table: str, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """``cover`` for many rows of one table at once (a round of service checks): one entry per
    row, the head moved once."""
    if not rows:
        return
    columns = SCORE_ROWS[table][1]
    _append(session, actor, action, [({"row": {c: _plain(values.get(c)) for c in columns}}, (table, row_id))
                                     for row_id, values in rows])


def withdraw(session: Session, actor: str, action: str, table: str, row_id: int, **extra: Any) -> int:
    """Record that a score-bearing row is deleted on purpose (an unreleased grade whose report
    went back for revision, or whose marks no longer agree): ``verify`` then expects it gone."""
    return record(session, actor, action, {"withdrawn": True, **extra}, (table, row_id))


def _entries(session: Session) -> Iterator[AuditEntry]:
    """Every entry in the chain's order; the unchained ones (none once ``chain`` ran) last."""
    last = 0
    while True:
        batch = session.scalars(select(AuditEntry).where(AuditEntry.pos > last).order_by(AuditEntry.pos)
                                .limit(1000)).all()
        if not batch:
            break
        yield from batch
        last = batch[-1].pos
        session.expunge_all()
    yield from session.scalars(select(AuditEntry).where(AuditEntry.pos.is_(None)).order_by(AuditEntry.id))


def seal(session: Session) -> bool:
    """Start the keyed chain once: a new drill, or one upgraded from before the chain had a key.

    Entries made before are signed as they stand, and every score-bearing row without an
    entry gets one: from here on, any change shows. Returns whether anything was sealed.
    """
    if session.get(AuditHead, 1) is not None:
        return False
    serialise(session, Lock(AUDIT))
    if session.get(AuditHead, 1, populate_existing=True) is not None:
        return False  # another worker sealed it meanwhile
    key = _key(session)
    prev = GENESIS
    for pos, entry in enumerate(session.scalars(select(AuditEntry).order_by(AuditEntry.id)), start=1):
        entry.pos, entry.prev_hash = pos, prev
        entry.hash = prev = _entry_mac(key, entry)
    last_id = session.scalar(select(func.max(AuditEntry.id))) or 0
    session.add(AuditHead(id=1, last_id=last_id, hash=prev, mac=_head_mac(key, last_id, prev)))
    session.flush()
    covered = set(session.execute(select(AuditEntry.subject, AuditEntry.subject_id)
                                  .where(AuditEntry.subject.is_not(None))).all())
    for table, (model, columns) in SCORE_ROWS.items():
        for row in session.scalars(select(model).order_by(model.id)):
            if (table, row.id) not in covered:
                cover(session, "audit", "audit.baseline", table, row.id, {c: getattr(row, c) for c in columns})
    chain(session, wait=True)
    return True


def verify(session: Session) -> list[str]:
    """Every problem found, the first bad row first; an empty list means the log holds."""
    chain(session, wait=True)
    key = _key(session)
    problems: list[str] = []
    prev, prev_id, count = GENESIS, 0, 0
    rows: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}
    for entry in _entries(session):
        count += 1
        if entry.prev_hash != prev:
            problems.append(f"audit entry #{entry.id} does not follow entry #{prev_id}: an entry between them "
                            "was deleted or one was inserted")
        if entry.hash != _entry_mac(key, entry):
            problems.append(f"audit entry #{entry.id} ({entry.action}) was edited")
        if entry.subject and entry.payload.get("withdrawn"):
            rows.pop((entry.subject, entry.subject_id), None)
        elif entry.subject:
            rows[(entry.subject, entry.subject_id)] = (entry.id, entry.payload.get("row", {}))
        prev, prev_id = entry.hash, entry.id
    head = session.get(AuditHead, 1)
    if head is None:
        problems.append("the audit log's head is missing: the chain was never sealed or it was deleted")
    elif head.mac != _head_mac(key, head.last_id, head.hash):
        problems.append("the audit log's head was edited")
    elif (head.last_id, head.hash) != (prev_id, prev):
        problems.append(f"the newest audit entries were deleted: the log ends at #{prev_id}, "
                        f"its head says #{head.last_id}")
    for table, (model, columns) in SCORE_ROWS.items():
        for row in session.scalars(select(model).order_by(model.id)):
            found = rows.pop((table, row.id), None)
            now = {column: _plain(getattr(row, column)) for column in columns}
            if found is None:
                problems.append(f"{table} #{row.id} has no audit entry: it was added outside Drillboard")
            elif {c: found[1][c] if c in found[1] else ADDED_LATER.get((table, c)) for c in columns} != now:
                problems.append(f"{table} #{row.id} was changed after it was recorded (audit entry #{found[0]})")
    for (table, row_id), (entry_id, _) in sorted(rows.items(), key=lambda item: item[1][0]):
        if table in SCORE_ROWS:
            problems.append(f"{table} #{row_id} was deleted (audit entry #{entry_id} records it)")
    return problems
