"""Every live message leaves whole, however slowly its observer reads; and a frame made once can
be written to many observers.

The WebSocket layer under Socket.IO (simple-websocket 1.1.0, engine.io's choice under gevent and
threads) writes each frame with one ``socket.send``, and a send takes only what the kernel's
send buffer has room for. To an observer that reads more slowly than the board changes (a
projector on a venue's Wi-Fi, a laptop waking from sleep) a snapshot or standings message
larger than that room left cut: the rest was dropped, the next frame began in the middle of the
missing bytes, and the browser closed the connection as corrupt, to reconnect and be sent the
same large snapshot again. (Upstream: miguelgrinberg/simple-websocket issue 45, fixed after
1.1.0 in no release yet.) Here each frame is written whole (``sendall``). One writer task per
connection sends every queued message (engine.io's), so a frame waiting for room is never
interleaved with another.

Each connection is also listed by its engine.io session (``Connections``), with whether it is
writing right now: what ``fanout`` needs to hand an observer a public event already framed,
without a trip through that connection's queue and writer task.
"""
from __future__ import annotations

from typing import Any

from simple_websocket import ConnectionClosed
from wsproto.events import BytesMessage, TextMessage


class Framed(bytes):
    """A message already framed for the wire (the rest of one that did not fit at once): the
    writer sends it as it is."""


class Connections:
    """This process's WebSocket connections by engine.io session id."""

    def __init__(self, direct: bool) -> None:
        self.direct = direct  # whether a frame may be written without waiting (gevent's sockets)
        self.by_sid: dict[str, Any] = {}

    def get(self, eio_sid: str) -> Any:
        return self.by_sid.get(eio_sid)


def whole(base: type, connections: Connections) -> type:
    """``base`` (engine.io's WebSocket class for its async mode) with whole frames, listed in
    ``connections`` while they are open."""

    class WholeFrames(base):  # type: ignore[misc, valid-type]
        sending = False  # inside a write: nothing else may be written to the socket now
        plain = True  # no compression agreed: a frame made once fits this connection too

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            # simple-websocket agrees to compression whenever it is offered (and the offer reaches
            # it only with DRILLBOARD_LIVE_COMPRESSION=1): then every frame is this connection's own.
            self.plain = "permessage-deflate" not in environ.get("HTTP_SEC_WEBSOCKET_EXTENSIONS", "")
            sid = getattr(getattr(self.app, "__self__", None), "sid", None)  # the engine.io socket served
            if sid is not None:
                connections.by_sid[sid] = self
            try:
                return super().__call__(environ, start_response)
            finally:
                if sid is not None and connections.by_sid.get(sid) is self:
                    del connections.by_sid[sid]

        def send(self, message: Any) -> None:
            connection = self.ws
            if not connection.connected:
                raise OSError("the live connection is closed")
            if isinstance(message, Framed):
                frame = bytes(message)
            else:
                event = BytesMessage(data=message) if isinstance(message, bytes) else TextMessage(data=str(message))
                try:
                    frame = connection.ws.send(event)
                except ConnectionClosed:
                    raise OSError("the live connection is closed") from None
            self.sending = True
            try:
                connection.sock.sendall(frame)
            finally:
                self.sending = False

        def send_now(self, frame: bytes) -> int:
            """Write what the socket takes of ``frame`` without waiting; how many bytes it took.
            Only between whole frames: the caller checks ``sending`` and the queue first."""
            connection = self.ws
            if not connection.connected:
                raise OSError("the live connection is closed")
            try:
                return connection.sock.send(frame, 0, 0.0)  # gevent's socket: a timeout of 0, no wait
            except (BlockingIOError, TimeoutError):  # no room at all just now
                return 0

    WholeFrames.__name__ = WholeFrames.__qualname__ = f"WholeFrames{base.__name__}"
    return WholeFrames


def install(engineio_server: Any) -> Connections | None:
    """Give this engine.io server whole frames; None if its WebSocket layer is not the one this
    mends (then it is left as it is). Frames are written directly only under gevent, whose
    sockets can be asked not to wait."""
    drivers = getattr(engineio_server, "_async", None) or {}  # engine.io's classes for its async mode
    base = drivers.get("websocket")
    if base is None or not any(cls.__name__ == "SimpleWebSocketWSGI" for cls in base.__mro__):
        return None
    connections = Connections(direct=getattr(engineio_server, "async_mode", None) == "gevent")
    engineio_server._async = {**drivers, "websocket": whole(base, connections)}
    return connections
