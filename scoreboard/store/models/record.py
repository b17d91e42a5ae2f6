"""The record of changes: the event stream, the published board, the audit chain."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    Boolean,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, mapped_column

from scoreboard.store.models.base import Base, utcnow


class Event(Base):
    """Every change to the drill, in commit order: the public stream and the change log.

    ``pos`` orders all rows as they were committed (every worker tails the table by it); it is
    given at commit by the sequencer (``store/sequencer.py``), so a row is read by nobody until
    it has one. ``seq`` numbers the ``public`` events clients see, with no gaps; it stays empty
    for rows that are not sent: solves held back during the freeze and internal changes (a hint
    bought, a schedule moved) that only tell other workers to refresh what they cache.
    """

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("seq", name="uq_event_seq"), UniqueConstraint("pos", name="uq_event_pos"))
    id: Mapped[int] = mapped_column(primary_key=True)
    pos: Mapped[int | None]
    seq: Mapped[int | None]
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Held back from the live stream (a solve during the freeze); part of the record and the reveal.
    held: Mapped[bool] = mapped_column(Boolean, default=False)


# The advisory lock (class, key) = (5, 0) that numbering the stream takes (``db.STREAM``).
STREAM_LOCK = 5
# PostgreSQL places the committed rows in one statement, run alone (autocommit) right after each
# commit that wrote events (``db.Database.sequence``): its lock is held inside the server only,
# never across a worker's round trips. Each statement of a plpgsql function takes a fresh snapshot,
# so after the lock it sees every row committed before, and the places the previous call gave.
# The rows of one call are placed by id: a row written after seeing another's commit has the
# higher id. Public rows get the next seqs, in the payload too (the feed serves stored payloads).
SEQUENCE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION drillboard_sequence() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    numbered integer;
BEGIN
    PERFORM pg_advisory_xact_lock({STREAM_LOCK}, 0);
    WITH last AS (SELECT coalesce(max(pos), 0) AS pos, coalesce(max(seq), 0) AS seq FROM event),
    pending AS (
        SELECT id, public, row_number() OVER (ORDER BY id) AS n,
               count(*) FILTER (WHERE public) OVER (ORDER BY id) AS s
        FROM event WHERE pos IS NULL)
    UPDATE event AS e
    SET pos = last.pos + p.n,
        seq = CASE WHEN p.public THEN last.seq + p.s END,
        payload = CASE WHEN p.public THEN (jsonb_build_object('seq', last.seq + p.s) || e.payload::jsonb)::json
                       ELSE e.payload END
    FROM pending AS p, last
    WHERE e.id = p.id;
    GET DIAGNOSTICS numbered = ROW_COUNT;
    RETURN numbered;
END $$;
"""
sa_event.listen(Event.__table__, "after_create", DDL(SEQUENCE_FUNCTION).execute_if(dialect="postgresql"))


class BoardState(Base):
    """The public standings as last published in a ``standings`` event (one row, id 1).

    Whichever worker re-scores compares its board with this row, so deltas are right however
    many workers publish them; ``as_of`` (an event id) keeps an older board from overwriting a
    newer one.
    """

    __tablename__ = "board_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[int] = mapped_column(default=0)
    standings: Mapped[list[Any]] = mapped_column(default=list)


class AuditEntry(Base):
    """Append-only record of organizer actions and of every row that carries points.

    Chained with an HMAC (``audit.py``): ``hash`` covers ``prev_hash`` and the entry's content;
    ``pos`` is the entry's place in the chain. On PostgreSQL an entry is written unchained (the
    three empty) and chained moments after its commit, so that writers never wait for each other
    on the chain's head. ``subject``/``subject_id`` name the score-bearing row an entry covers
    (its content is in ``payload["row"]``).
    """

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_subject", "subject", "subject_id"), UniqueConstraint("pos", name="uq_audit_pos"))
    id: Mapped[int] = mapped_column(primary_key=True)
    pos: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    subject: Mapped[str | None] = mapped_column(String(30))
    subject_id: Mapped[int | None]


class AuditHead(Base):
    """The newest audit entry's id and MAC, MAC'd again: deleting the newest entry shows (one row)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))
