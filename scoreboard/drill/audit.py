"""The audit log: every organizer action and every row that carries points, chained with an HMAC.

Each entry's MAC covers the previous entry's MAC and the entry's own content. The key comes
from the instance's secret key, which the database does not hold, so rows edited with SQL
cannot be signed again. Every score-bearing row (of each table the ledger reads points from:
solves, awards, hints bought, grades, deductions) gets an entry holding its content, so an award
edited from 5 to 500 shows. The head row holds the newest entry's id and MAC under a MAC of
its own: deleting the newest entry shows too. ``verify`` names the first thing that does not
hold. No Flask here.
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
from scoreboard.store.db import lock_stream
from scoreboard.store.models import AuditEntry, AuditHead, utcnow

GENESIS = "0" * 64
# Columns an audit entry leaves out: where a stored evidence file went is the server's business,
# not a fact about the points (and entries written before the ledger named the tables lack it).
UNRECORDED = {"evidence_path"}
# The tables whose rows carry points (the ledger names them: ``ledger.TABLES``), by table name,
# and the columns an audit entry records of each row: all but the id and UNRECORDED.
SCORE_ROWS: dict[str, tuple[type, tuple[str, ...]]] = {
    model.__tablename__: (model, tuple(c.name for c in model.__table__.columns
                                       if c.name != "id" and c.name not in UNRECORDED))
    for model in ledger.TABLES
}
# Columns added to a covered table later, with the value rows had before: an entry written before
# the column existed still vouches for a row that has kept that value.
ADDED_LATER: dict[tuple[str, str], Any] = {("deduction", "objective_id"): None, ("deduction", "refunded_points"): 0}


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
_INSERT = AuditEntry.__table__.insert().returning(AuditEntry.__table__.c.id)


def record(session: Session, actor: str, action: str, payload: dict[str, Any],
           subject: tuple[str, int] | None = None) -> int:
    """Append an entry to the chain in the caller's transaction; returns its id."""
    lock_stream(session)  # one chain: appends are serialised with the event stream
    key = _key(session)
    connection = session.connection()
    prev = connection.execute(_HEAD).scalar()
    if prev is None:
        prev = GENESIS
        connection.execute(insert(AuditHead).values(id=1, last_id=0, hash=GENESIS, mac=_head_mac(key, 0, GENESIS)))
    entry = {"at": utcnow(), "actor": actor[:100], "action": action[:50], "prev_hash": prev,
             "payload": json.loads(json.dumps(payload, default=_json)),
             "subject": subject[0] if subject else None, "subject_id": subject[1] if subject else None}
    entry["hash"] = _entry_mac(key, entry)
    entry_id = connection.execute(_INSERT, entry).scalar_one()
    connection.execute(update(AuditHead).where(AuditHead.id == 1).values(
        last_id=entry_id, hash=entry["hash"], mac=_head_mac(key, entry_id, entry["hash"])))
    return entry_id


def cover(session: Session, actor: str, action: str, table: str, row_id: int, values: dict[str, Any],
          **extra: Any) -> int:
    """Record a score-bearing row as it is now (again after each legitimate change of it)."""
    columns = SCORE_ROWS[table][1]
    row = {column: _plain(values.get(column)) for column in columns}
    return record(session, actor, action, {"row": row, **extra}, (table, row_id))


def withdraw(session: Session, actor: str, action: str, table: str, row_id: int, **extra: Any) -> int:
    """Record that a score-bearing row is deleted on purpose (an unreleased grade whose report
    went back for revision, or whose marks no longer agree): ``verify`` then expects it gone."""
    return record(session, actor, action, {"withdrawn": True, **extra}, (table, row_id))


def _entries(session: Session) -> Iterator[AuditEntry]:
    last = 0
    while True:
        batch = session.scalars(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(1000)).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id
        session.expunge_all()


def seal(session: Session) -> bool:
    """Start the keyed chain once: a new drill, or one upgraded from before the chain had a key.

    Entries made before are signed as they stand, and every score-bearing row without an
    entry gets one: from here on, any change shows. Returns whether anything was sealed.
    """
    if session.get(AuditHead, 1) is not None:
        return False
    lock_stream(session)
    if session.get(AuditHead, 1, populate_existing=True) is not None:
        return False  # another worker sealed it meanwhile
    key = _key(session)
    prev = GENESIS
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        entry.prev_hash = prev
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
    return True


def verify(session: Session) -> list[str]:
    """Every problem found, the first bad row first; an empty list means the log holds."""
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
