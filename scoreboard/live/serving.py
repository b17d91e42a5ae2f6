"""``python app.py``'s connection handler: a client that sends nothing useful is let go.

gevent's WSGI server waits for a request line and headers as long as a client cares to trickle
them, and keeps an idle keep-alive connection open for ever: a hundred such clients cost the
attacker nothing and hold a hundred connections. Here the request line (which includes the idle
wait between keep-alive requests) and the headers each have a deadline, and every read or write
on the socket gives up after ``io_seconds`` without progress (a body sent a byte a minute, a
reader that stopped reading). Live websockets are answered every ping interval (25 s), well
inside that. gunicorn bounds the same with its ``keepalive`` (docker/gunicorn.conf.py).
"""
from __future__ import annotations

from typing import Any

from gevent import Timeout
from gevent.pywsgi import WSGIHandler


class SlowRequest(ValueError):
    """The headers did not arrive in time; gevent answers a ValueError with 400 and closes."""


def handler_class(header_seconds: float, io_seconds: float = 60.0) -> type[WSGIHandler]:
    """A WSGIHandler with these deadlines (the server builds one handler per connection)."""

    class DeadlineHandler(WSGIHandler):
        def handle(self) -> Any:
            self.socket.settimeout(io_seconds)
            return super().handle()

        def read_requestline(self) -> str:
            # TimeoutError is an OSError: gevent closes the connection quietly.
            with Timeout(header_seconds, TimeoutError("no request line in time")):
                return super().read_requestline()

        def read_request(self, raw_requestline: str) -> Any:
            with Timeout(header_seconds, SlowRequest("the headers did not arrive in time")):
                return super().read_request(raw_requestline)

    return DeadlineHandler
