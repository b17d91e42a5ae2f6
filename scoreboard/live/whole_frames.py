"""Every live message leaves whole, however slowly its observer reads.

The WebSocket layer under Socket.IO (simple-websocket 1.1.0, engine.io's choice under gevent and
threads) writes each frame with one ``socket.send``, and a send takes only what the kernel's
send buffer has room for. To an observer that reads more slowly than the board changes (a
projector on a venue's Wi-Fi, a laptop waking from sleep) a snapshot or standings message
larger than that room left cut: the rest was dropped, the next frame began in the middle of the
missing bytes, and the browser closed the connection as corrupt, to reconnect and be sent the
same large snapshot again. (Upstream: miguelgrinberg/simple-websocket issue 45, fixed after
1.1.0 in no release yet.) Here each frame is written whole (``sendall``). One writer task per
connection sends every message (engine.io's), so a frame waiting for room is never interleaved
with another message.
"""
from __future__ import annotations

from typing import Any

from simple_websocket import ConnectionClosed
from wsproto.events import BytesMessage, TextMessage


def whole(base: type) -> type:
    """``base`` (engine.io's WebSocket class for its async mode) with whole frames."""

    class WholeFrames(base):  # type: ignore[misc, valid-type]
        def send(self, message: Any) -> None:
            connection = self.ws
            if not connection.connected:
                raise OSError("the live connection is closed")
            event = BytesMessage(data=message) if isinstance(message, bytes) else TextMessage(data=str(message))
            try:
                frame = connection.ws.send(event)
            except ConnectionClosed:
                raise OSError("the live connection is closed") from None
            connection.sock.sendall(frame)

    WholeFrames.__name__ = WholeFrames.__qualname__ = f"WholeFrames{base.__name__}"
    return WholeFrames


def install(engineio_server: Any) -> bool:
    """Give this engine.io server whole frames; False if its WebSocket layer is not the one
    this mends (then it is left as it is)."""
    drivers = getattr(engineio_server, "_async", None) or {}  # engine.io's classes for its async mode
    base = drivers.get("websocket")
    if base is None or not any(cls.__name__ == "SimpleWebSocketWSGI" for cls in base.__mro__):
        return False
    engineio_server._async = {**drivers, "websocket": whole(base)}
    return True
