"""Pushing the stream to browsers over Socket.IO (namespace ``/live``), and serving's clock.

Each worker sends public events to its own clients, in seq order, as its pump reads them from
the event table (``stream.Pump``); the database is the bus, so order holds across workers and
threads. Redis only wakes the other workers' pumps early and carries private team notices
(Flask-SocketIO's message queue). A new client gets the pre-encoded snapshot, and only then
joins the room public events go to (``PUBLIC_ROOM``): an event sent while its snapshot was
being taken would otherwise reach it before the snapshot, and the page drops events it gets
before one (an observer reconnecting to another worker lost solves that way).
"""
from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import SocketIO, join_room
from sqlalchemy.orm import Session

from scoreboard.board import deltas
from scoreboard.board.snapshot import BoardCache, Built, Snapshot
from scoreboard.live import whole_frames
from scoreboard.live.fanout import Fanout
from scoreboard.live.guard import Bounds, Guard
from scoreboard.live.stream import Pump, Row
from scoreboard.store import events
from scoreboard.store.caches import Caches
from scoreboard.store.db import Database
from scoreboard.store.models import utcnow

NAMESPACE = "/live"
PUBLIC_ROOM = "public"
# Seconds a board may wait for its rebuild before the log says where the builder is: a busy worker
# builds within a second or two (BoardCache.MAX_GAP plus the build).
BUILDER_LATE = 5.0
log = logging.getLogger(__name__)


class Live:
    """One per process: hears every commit and every stream row, and runs the serving tasks."""

    def __init__(self, socketio: SocketIO, database: Database, caches: Caches, cache: BoardCache,
                 redis_client: Any, tick_seconds: float, on_tick: Callable[[Session, datetime], Any],
                 wake_channel: str = "drillboard:events", bounds: Bounds | None = None) -> None:
        self.socketio, self.database, self.caches, self.cache = socketio, database, caches, cache
        self.guard = Guard(bounds or Bounds())
        self.on_tick = on_tick  # time-driven changes (scheduled announcements): a use case, passed in
        self.redis, self.tick_seconds, self.wake_channel = redis_client, tick_seconds, wake_channel
        # Public events framed once, written straight to the observers keeping up (fanout.py).
        self.fanout = Fanout(socketio.server, whole_frames.install(socketio.server.eio))
        self.pump = Pump(database.sessions)
        self.pump.listeners.append(self._rows)
        self.pump.on_reset.append(self._reset)
        database.publishers.append(self.committed)
        cache.on_built.append(self._built)
        self.running = False
        self._start_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._packet: tuple[Snapshot, int, str] | None = None  # (the snapshot, its seq, encoded)
        # The last seq sent to this worker's clients: a client that connects must get a snapshot
        # at least this new, or it would miss what was sent before it joined.
        self._sent_seq = 0
        self._redis_down_since: float | None = None
        self._builder: Any = None  # the board builder's task, for the log when it is late
        self._builder_reported = False
        self._published = deltas.Published()  # the standings this process last published
        socketio.on_event("connect", self._on_connect, namespace=NAMESPACE)
        socketio.on_event("disconnect", self._on_disconnect, namespace=NAMESPACE)
        socketio.on_event("resync", self._on_resync, namespace=NAMESPACE)

    # --- what happened ------------------------------------------------------------------

    def committed(self, items: list[dict[str, Any]]) -> None:
        """After a commit in this process: private notices out, caches fresh, the pump woken."""
        recorded = [item for item in items if item["room"] is None]
        kinds = [item["kind"] for item in recorded]
        if any(kind in events.BOARD_KINDS for kind in kinds):
            self.cache.owe()  # first: sending a notice through Redis yields to the pump and the builder
        for item in items:
            if item["room"] is not None:
                self._send(item["kind"], item["payload"], to=item["room"])
        if not recorded:
            return
        # At once here, before this worker sends another private notice; other workers on reading the row.
        self._drop_ended((item["kind"], item["payload"]) for item in recorded)
        self.caches.apply((item["kind"], item["payload"]) for item in recorded)
        self.wake()
        if not self.running and self.cache.owed:
            # Inline (the CLI): the pump starts after this commit's rows, so tell the board here.
            self.cache.changed(kinds)
        self._wake_others()

    def _rows(self, rows: list[Row]) -> None:
        """Rows read from the stream, in id order: caches, clients, then the board."""
        self._drop_ended((row.kind, row.payload) for row in rows)
        self.caches.apply((row.kind, row.payload) for row in rows)
        for row in rows:
            if row.seq is not None:
                self._broadcast(row.kind, row.payload)
        seqs = [row.seq for row in rows if row.seq is not None]
        if seqs:
            self._sent_seq = seqs[-1]
        self.cache.changed([row.kind for row in rows], seqs, upto=rows[-1].pos)

    def _built(self, built: Built, owed: bool) -> None:
        if owed:
            with self.database.session() as session:
                deltas.publish(session, built, self._published)

    def _reset(self) -> None:
        """The stream went backwards (a restore): everyone starts again from a fresh snapshot."""
        self.caches.apply([("board", {})])
        self.cache.changed(["board"])
        self._send_snapshot(None, self.cache.snapshot())

    def _broadcast(self, kind: str, payload: Any) -> None:
        """A public event to this worker's observers (every worker reads every row)."""
        try:
            if self.fanout.active and self.fanout.emit(NAMESPACE, PUBLIC_ROOM, kind, payload):
                return
        except Exception:  # noqa: BLE001 - a failed send must not stop the pump
            log.exception("could not send %s", kind)
            return
        self._send(kind, payload, to=PUBLIC_ROOM, ignore_queue=True)

    def _send(self, kind: str, payload: Any, **kwargs: Any) -> None:
        try:
            self.socketio.emit(kind, payload, namespace=NAMESPACE, **kwargs)
        except Exception:  # noqa: BLE001 - a lost message queue must not fail the request
            log.exception("could not send %s", kind)

    # --- clients ------------------------------------------------------------------------

    def _drop_ended(self, changes: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """A private room's members lose their connection when their session ends: a logout, a
        password reset, a disabled account or team. A socket holds the session it was opened with,
        so without this it would keep receiving the team's private notices. The page's script
        reconnects as whoever it is now: an observer, who gets the public stream only."""
        rooms = []
        for kind, payload in changes:
            if kind == "session_end":
                rooms.append(f"user:{payload['user_id']}")
            elif kind == "team" and payload.get("disabled"):
                rooms.append(f"team:{payload['team_id']}")
        if not rooms:
            return
        server = self.socketio.server
        for sid, _eio_sid in list(server.manager.get_participants(NAMESPACE, rooms)):
            try:
                server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
            except Exception:  # noqa: BLE001 - a socket already gone is what we wanted
                log.debug("dropping %s failed", sid, exc_info=True)

    def _on_connect(self, _auth: Any = None) -> bool:
        if not self.guard.admit(request.sid, request.remote_addr or ""):
            # Refused: close the transport too, or the idle engine.io session would stay open.
            self.socketio.start_background_task(
                self._close, self.socketio.server.manager.eio_sid_from_sid(request.sid, NAMESPACE))
            return False
        if current_user.is_authenticated:
            join_room(f"user:{current_user.id}")
            if current_user.team_id is not None:
                join_room(f"team:{current_user.team_id}")
                join_room(events.TEAMS_ROOM)
        snapshot = self.cache.snapshot(min_seq=self._sent_seq)
        while snapshot.seq < self._sent_seq:  # the pump sent more while it was taken (a yield)
            snapshot = self.cache.snapshot(min_seq=self._sent_seq)
        # Nothing yields from here on: the snapshot is queued first, then every later event.
        self._send_snapshot(request.sid, snapshot)
        join_room(PUBLIC_ROOM)
        return True

    def _on_disconnect(self, *_reason: Any) -> None:
        self.guard.leave(request.sid)

    def _on_resync(self, _data: Any = None) -> None:
        eio_sid = self.socketio.server.manager.eio_sid_from_sid(request.sid, NAMESPACE)
        if self.guard.may_resync(request.sid, self._queued(eio_sid)):
            self._send_snapshot(request.sid, self.cache.snapshot(min_seq=self._sent_seq))

    def _queued(self, eio_sid: str | None) -> int:
        """Packets waiting for this connection: what it has not read yet."""
        socket = self.socketio.server.eio.sockets.get(eio_sid)
        return 0 if socket is None else socket.queue.qsize()

    def _close(self, eio_sid: str | None) -> None:
        """Close a transport without waiting for its queue to drain: the client may never read."""
        eio = self.socketio.server.eio
        socket = eio.sockets.pop(eio_sid, None)
        if socket is not None:
            socket.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)

    def drop_stalled(self) -> int:
        """Close every connection that stopped reading (too much queued); returns how many."""
        stalled = [eio_sid for eio_sid in list(self.socketio.server.eio.sockets)
                   if self.guard.overfull(self._queued(eio_sid))]
        for eio_sid in stalled:
            log.warning("closing a live connection with more than %s packets unread", self.guard.bounds.max_queued)
            self._close(eio_sid)
        return len(stalled)

    def _send_snapshot(self, sid: str | None, snapshot: Snapshot) -> None:
        """The pre-encoded snapshot as one Socket.IO packet, encoded once per board and seq."""
        packet = self._packet
        if packet is None or packet[0] is not snapshot or packet[1] != snapshot.seq:
            # Socket.IO's EVENT packet: type 2, the namespace, then the JSON array.
            text = f'2{NAMESPACE},["snapshot",{snapshot.encoded().decode()}]'
            packet = self._packet = (snapshot, snapshot.seq, text)
        server = self.socketio.server
        if sid is None:
            targets = [eio_sid for _, eio_sid in server.manager.get_participants(NAMESPACE, None)]
        else:
            targets = [server.manager.eio_sid_from_sid(sid, NAMESPACE)]
        for eio_sid in targets:
            if eio_sid is not None:
                server.eio.send(eio_sid, packet[2])

    # --- serving ------------------------------------------------------------------------

    def wake(self) -> None:
        """Have the pump read new rows: now, or at once in the background when serving."""
        if self.running:
            self._wake.set()
        else:
            self.pump.drain()

    def _wake_others(self) -> None:
        if self.redis is None:
            return
        try:
            self.redis.publish(self.wake_channel, b"1")
            self._redis_down_since = None
        except Exception:  # noqa: BLE001 - without Redis the others still catch up on their tick
            if self._redis_down_since is None:
                self._redis_down_since = time.monotonic()
                log.exception("Redis is unreachable: other workers will see changes within a tick")

    def start(self) -> None:
        """Serve: the pump, the board builder, the clock and (with Redis) the wake-up listener."""
        if self.running:
            return  # every request calls this: the common case takes no lock
        with self._start_lock:
            if self.running:
                return
            self.running = True
        self.pump.start()
        built = self.cache.rebuild()
        with self.database.session() as session:
            deltas.baseline(session, built)
        self._builder = self.socketio.start_background_task(self.cache.run, self.socketio.sleep)
        tasks = [self._pump_forever, self._tick_forever]
        if self.redis is not None:
            tasks.append(self._listen_forever)
        for task in tasks:
            self.socketio.start_background_task(task)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.cache.stop()

    def _pump_forever(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.tick_seconds)
            self._wake.clear()
            try:
                self.pump.drain()
            except Exception:  # noqa: BLE001 - the stream must keep flowing through a bad batch
                log.exception("reading the event stream failed")
                self.socketio.sleep(self.tick_seconds)

    def _tick_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the clock must keep running through a bad tick
                log.exception("clock tick failed")
            self.socketio.sleep(self.tick_seconds)

    def tick(self) -> None:
        """Time-driven changes: scheduled releases, the freeze and the end; and the CLI's rows (and
        any a process committed but did not live to place in the stream)."""
        self.database.sequence()
        with self.database.session() as session:
            self.on_tick(session, utcnow())
        self.cache.current()  # notices a start, freeze or end that time alone brought
        self._wake.set()
        self.drop_stalled()
        self.watch_builder()

    def watch_builder(self) -> bool:
        """Say in the log, once per wait, where the board builder is when the board has waited for
        it over ``BUILDER_LATE`` seconds: a builder stuck on a lock or a connection would otherwise
        leave every reader a board that silently stops changing. Returns whether it is late."""
        waited = self.cache.waiting() if self._builder is not None else 0.0  # inline (the CLI): no builder
        if waited <= BUILDER_LATE:
            self._builder_reported = False
            return False
        if not self._builder_reported:
            self._builder_reported = True
            frame = getattr(self._builder, "gr_frame", None)  # a greenlet's (gevent), else a thread's
            if frame is None and getattr(self._builder, "ident", None) is not None:
                frame = sys._current_frames().get(self._builder.ident)
            where = "".join(traceback.format_stack(frame)) if frame is not None else "(not running)\n"
            log.warning("the public board has waited %.0f s for a rebuild; the builder is at:\n%s", waited, where)
        return True

    def _listen_forever(self) -> None:
        while not self._stop.is_set():
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.wake_channel)
                for _message in pubsub.listen():
                    self._wake.set()
                    if self._stop.is_set():
                        return
            except Exception:  # noqa: BLE001 - Redis may come back: listen again
                log.warning("Redis wake-up channel lost; retrying in 1 s")
                self.socketio.sleep(1)
