"""Pushing events to browsers over Socket.IO (namespace ``/live``).

Every committed event reaches ``Live.publish`` once. Board-changing events drop the cached
board; the board is then re-scored once and only the rows that changed go out as a
``standings`` event: observers get deltas, and the cost of a solve does not grow with the
number of people watching. With Redis configured, Flask-SocketIO's message queue carries
each emit to the clients of every worker.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import SocketIO, join_room
from sqlalchemy import func, select

from . import events, organizer
from .board import BoardCache
from .db import Database
from .models import Event, utcnow
from .scoring import Board

NAMESPACE = "/live"
log = logging.getLogger(__name__)


class Live:
    def __init__(self, socketio: SocketIO, database: Database, cache: BoardCache, relay: bool,
                 tick_seconds: float) -> None:
        self.socketio, self.database, self.cache = socketio, database, cache
        self.relay, self.tick_seconds = relay, tick_seconds
        self._rescore_lock = threading.Lock()
        self._last_board: Board | None = None
        # Seqs this process already emitted, so the relay does not send them twice.
        self._emitted: deque[int] = deque(maxlen=10_000)
        self._relayed_to = 0
        self._ticker_started = False
        self._stop = threading.Event()
        # Set when the board may have moved; the re-scorer thread folds a burst into one pass.
        self._dirty = threading.Event()
        database.publishers.append(self.publish)
        socketio.on_event("connect", self._on_connect, namespace=NAMESPACE)
        socketio.on_event("resync", self._on_resync, namespace=NAMESPACE)

    # --- publishing -------------------------------------------------------------------

    def publish(self, items: list[dict[str, Any]]) -> None:
        """Send one commit's events in seq order, then re-score once if the board may have moved."""
        for item in items:
            self._emit(item)
        if any(item["kind"] in events.BOARD_KINDS for item in items):
            if self._ticker_started:
                self._dirty.set()  # off the request path: the verdict does not wait for re-scoring
            else:
                self.rescore()

    def _emit(self, item: dict[str, Any]) -> None:
        kind, payload, room = item["kind"], item["payload"], item["room"]
        if kind != "board":
            self.socketio.emit(kind, payload, namespace=NAMESPACE, to=room)
        if "seq" in payload:
            self._emitted.append(payload["seq"])
        if "seq" in payload or kind in events.BOARD_KINDS:
            # The snapshot carries the last seq, so every public event makes it stale.
            self.cache.versions.bump()

    def rescore(self) -> None:
        """Re-rank once and emit the changed rows as one ``standings`` event."""
        with self._rescore_lock:
            before = self._last_board
            board = self.cache.board()
            self._last_board = board
            changed = board.changed_rows(before) if before is not None else []
            if not changed:
                return
            with self.database.session() as session:
                events.record(session, "standings", {
                    "standings": [row.as_dict() for row in changed],
                    "teams": len(board.standings),
                    "frozen": self.cache.snapshot()["frozen"],
                })

    # --- clients ----------------------------------------------------------------------

    def _on_connect(self, _auth: Any = None) -> None:
        if current_user.is_authenticated and current_user.team_id is not None:
            join_room(f"team:{current_user.team_id}")
        self.socketio.emit("snapshot", self.cache.snapshot(), namespace=NAMESPACE, to=request.sid)

    def _on_resync(self, data: Any = None) -> None:
        self.socketio.emit("snapshot", self.cache.snapshot(), namespace=NAMESPACE, to=request.sid)

    # --- time ---------------------------------------------------------------------------

    def start_ticker(self) -> None:
        """Run the clock in the background: scheduled releases, freeze, end, and the relay."""
        if self._ticker_started:
            return
        self._ticker_started = True
        with self.database.session() as session:
            self._relayed_to = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0
        self._last_board = self.cache.board()
        self.socketio.start_background_task(self._tick_forever)
        self.socketio.start_background_task(self._rescore_forever)

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()

    def _rescore_forever(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            self._dirty.clear()
            if self._stop.is_set():
                return
            try:
                self.rescore()
            except Exception:  # noqa: BLE001 - a failed pass must not stop the next one
                log.exception("re-scoring failed")

    def _tick_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the clock must keep running through a bad tick
                log.exception("clock tick failed")
            self.socketio.sleep(self.tick_seconds)

    def tick(self) -> None:
        with self.database.session() as session:
            organizer.announce_due(session, utcnow())
        if self.relay:
            self._relay()

    def _relay(self) -> None:
        """Emit events committed by other processes (the CLI) when no message queue links us."""
        with self.database.session() as session:
            rows = session.execute(
                select(Event.id, Event.kind, Event.payload, Event.held).where(Event.id > self._relayed_to)
                .order_by(Event.id)
            ).all()
            newest = session.scalar(select(func.max(Event.id))) or 0
        if newest < self._relayed_to:
            # The stream went backwards: a backup was restored. Everyone starts from a fresh snapshot.
            self._relayed_to = newest
            self.cache.versions.bump()
            self._last_board = self.cache.board()
            self.socketio.emit("snapshot", self.cache.snapshot(), namespace=NAMESPACE)
            return
        emitted = set(self._emitted)
        batch = []
        for seq, kind, payload, held in rows:
            self._relayed_to = seq
            if held:
                batch.append({"kind": "board", "payload": {}, "room": None})
            elif seq not in emitted:
                batch.append({"kind": kind, "payload": payload, "room": None})
        if batch:
            self.publish(batch)
