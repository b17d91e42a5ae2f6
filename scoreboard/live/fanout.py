"""A public event to every observer of this process: framed once, written straight to each
connection that is keeping up.

Socket.IO's own broadcast puts the event in each connection's queue and wakes that connection's
writer task, which frames and writes it: a queue, two task switches and a framing per observer
and message, about 40 µs, so with 2,000 observers each solve cost the process 80 ms before the
last of them had it (docs/benchmarks.md). Here the event is encoded and framed once, and each
connection whose queue is empty and that is not writing takes it at once, in one non-blocking
write. A connection that is behind (something queued, a frame half written, or a socket too full
to take the whole frame) gets it, or its rest, through its queue, after what is already there:
the order every observer sees is the order of the stream. Connections on long-polling, those
that agreed on compression (each of their frames is their own), and all of them outside gevent
go through the queue as before (outside gevent, by Socket.IO's own broadcast).
"""
from __future__ import annotations

import logging
from typing import Any

from engineio import packet as eio_packet
from socketio import packet as sio_packet
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import TextMessage

from scoreboard.live.whole_frames import Connections, Framed

log = logging.getLogger(__name__)
# A server's frames carry no mask and, without extensions, no state: one framer serves all.
_FRAMER = Connection(ConnectionType.SERVER)


class Rest:
    """What a connection could not take at once of a frame written to it: queued as a packet
    (engine.io's writer sends ``encode()``), it goes out before anything queued after it."""

    def __init__(self, rest: bytes) -> None:
        self.rest = Framed(rest)

    def encode(self) -> Framed:
        return self.rest


class Fanout:
    """Sends public events to one room of this process's Socket.IO server, where it can write
    without waiting (``active``); elsewhere the caller sends them Socket.IO's way."""

    def __init__(self, server: Any, connections: Connections | None) -> None:
        self.server, self.connections = server, connections
        self.active = connections is not None and connections.direct

    def emit(self, namespace: str, room: str, kind: str, payload: Any) -> bool:
        """Send the event; False, sending nothing, for one Socket.IO would split into several
        packets (binary data: no event of the stream has any)."""
        text = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=[kind, payload]).encode()
        if not isinstance(text, str):
            return False
        queued = eio_packet.Packet(eio_packet.MESSAGE, text)
        frame = _FRAMER.send(TextMessage(data=queued.encode()))
        sockets = self.server.eio.sockets
        for _sid, eio_sid in list(self.server.manager.get_participants(namespace, room)):
            socket = sockets.get(eio_sid)
            if socket is None or socket.closed:
                continue
            try:
                if not self._write(socket, eio_sid, frame):
                    socket.send(queued)
            except Exception:  # noqa: BLE001 - one broken connection must not stop the others
                log.debug("sending %s to %s failed", kind, eio_sid, exc_info=True)
        return True

    def _write(self, socket: Any, eio_sid: str, frame: bytes) -> bool:
        """Write ``frame`` to a connection that is keeping up (its rest queued if the socket
        took only part); False for one that must get the event through its queue."""
        connection = self.connections.get(eio_sid) if self.connections is not None else None
        if connection is None or not connection.plain or connection.sending or not socket.upgraded \
                or socket.upgrading or not socket.queue.empty():
            return False
        taken = connection.send_now(frame)
        if taken < len(frame):
            socket.queue.put(Rest(frame[taken:]))
        return True
