"""Reading the event table in order: every worker hears of every change exactly once.

Every event row gets its place in the stream, ``pos``, in commit order and only once committed
(``store/events.py``), so a worker that reads ``pos > last`` never skips a row placed later. One
``Pump`` per process reads new rows and hands them, in id order, to its listeners (the Socket.IO
emitter, the caches, the board). It is woken after a local commit, by another worker through
Redis, or by the clock tick (which also catches the CLI's commits). No Flask here.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoreboard.store.models import Event

BATCH = 500


@dataclass(frozen=True)
class Row:
    pos: int
    seq: int | None
    kind: str
    payload: dict[str, Any]
    held: bool
    at: datetime


Listener = Callable[[list[Row]], None]


class Pump:
    """Hands every event row committed after ``start`` to the listeners, once and in order."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions
        self.listeners: list[Listener] = []
        # Told when the stream went backwards (a backup was restored): everything is stale.
        self.on_reset: list[Callable[[], None]] = []
        self.last: int | None = None
        self._lock = threading.Lock()
        # A listener's own commit wakes the pump again from inside ``drain``: read on instead.
        self._draining = threading.local()
        self._again = False

    def start(self) -> None:
        """Begin after the newest row: what came before is in every snapshot already."""
        with self.sessions() as session:
            self.last = session.scalar(select(func.coalesce(func.max(Event.pos), 0)))

    def drain(self) -> int:
        """Read and dispatch every new row; returns how many there were."""
        if getattr(self._draining, "active", False):
            self._again = True  # the loop below reads the new rows before it returns
            return 0
        with self._lock:
            self._draining.active = True
            try:
                return self._drain()
            finally:
                self._draining.active = False

    def _drain(self) -> int:
        if self.last is None:
            self.start()
        total = 0
        while True:
            self._again = False
            with self.sessions() as session:
                rows = [Row(*r) for r in session.execute(
                    select(Event.pos, Event.seq, Event.kind, Event.payload, Event.held, Event.at)
                    .where(Event.pos > self.last).order_by(Event.pos).limit(BATCH))]
                if not rows and total == 0:
                    self._check_reset(session)
            if not rows:
                return total
            self.last = rows[-1].pos
            total += len(rows)
            for listener in self.listeners:
                listener(rows)
            if len(rows) < BATCH and not self._again:
                return total

    def _check_reset(self, session: Session) -> None:
        newest = session.scalar(select(func.coalesce(func.max(Event.pos), 0)))
        if newest < self.last:
            self.last = newest
            for listener in self.on_reset:
                listener()
