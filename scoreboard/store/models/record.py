"""The record of changes: the event stream, the published board, the audit chain."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from scoreboard.store.models.base import Base, utcnow


class Event(Base):
    """Every change to the drill, in commit order: the public stream and the change log.

    ``id`` orders all rows (every worker tails the table by it). ``seq`` numbers the public
    events clients see, with no gaps; it is empty for rows that are not sent: solves held back
    during the freeze and internal changes (a hint bought, a schedule moved) that only tell
    other workers to refresh what they cache.
    """

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("seq", name="uq_event_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Held back from the live stream (a solve during the freeze); part of the record and the reveal.
    held: Mapped[bool] = mapped_column(Boolean, default=False)


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

    Chained with an HMAC (``audit.py``): ``hash`` covers ``prev_hash`` and the entry's content.
    ``subject``/``subject_id`` name the score-bearing row an entry covers (its content is in
    ``payload["row"]``).
    """

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_subject", "subject", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str | None] = mapped_column(String(30))
    subject_id: Mapped[int | None]


class AuditHead(Base):
    """The newest audit entry's id and MAC, MAC'd again: deleting the newest entry shows (one row)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))
