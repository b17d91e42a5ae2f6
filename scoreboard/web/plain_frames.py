"""Live messages leave uncompressed, encoded once for every observer.

Every browser offers permessage-deflate when it opens /live, and the WebSocket layer accepts it
whenever it is offered; each message is then compressed again for each observer, with that
connection's own compression state. On a board watched by a hall of observers that is about a
third more CPU per message and observer (docs/benchmarks.md, "Live compression") to save a few
kilobytes a message on a network that carries them easily. So the offer is not passed on: the
handshake then agrees on plain frames. ``DRILLBOARD_LIVE_COMPRESSION=1`` passes it on.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PlainFrames:
    """WSGI middleware: drops a client's ``Sec-WebSocket-Extensions`` offer before the upgrade."""

    def __init__(self, wsgi_app: WSGIApp) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)
