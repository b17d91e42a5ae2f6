"""``python app.py``'s connection handler: a client that sends nothing useful is let go.

gevent's WSGI server waits for a request line and headers as long as a client cares to trickle
them, and keeps an idle keep-alive connection open for ever: a hundred such clients cost the
attacker nothing and hold a hundred connections. Here the request line (which includes the idle
wait between keep-alive requests) and the headers each have a deadline, and every read or write
on the socket gives up after ``io_seconds`` without progress (a body sent a byte a minute, a
reader that stopped reading). Live websockets are answered every ping interval (25 s), well
inside that. gunicorn bounds the same with its ``keepalive`` (docker/gunicorn.conf.py).

Each connection also gets TCP_NODELAY: gevent writes a response's headers and its body in two
sends, and with Nagle's algorithm on the body then waits for the client's delayed ACK (about
40 ms on Linux) on every keep-alive request. gunicorn sets the option itself.

No access log is kept (app.py runs the server with ``log_output=False``); the handler does not
even format the line gevent would have thrown away.

And request headers are read by ``RequestHeaders`` rather than by the e-mail parser gevent uses
(``http.client.parse_headers``), which was a fifth of a scoreboard poll's time. The same bounds
(a line of at most 64 KiB, at most 100 headers); stricter where HTTP/1.1 lets a server be (a
line that is not ``name: value`` and a folded line are refused with 400, RFC 9112 §5).
"""
from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import IO, Any

from gevent import Timeout
from gevent.pywsgi import WSGIHandler

MAX_LINE = 65536  # as http.client
MAX_HEADERS = 100
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110's token


class RequestHeaders:
    """A request's headers, with the methods gevent's handler calls on its header object."""

    def __init__(self) -> None:
        self.fields: list[tuple[str, str]] = []  # (name as sent, value) in order
        self.status = ""  # why the headers are refused; gevent answers 400 when set

    @classmethod
    def read(cls, source: IO[bytes]) -> RequestHeaders:
        """Read header lines up to the blank line that ends them."""
        headers = cls()
        while True:
            line = source.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE:
                headers.status = "Line too long"
                return headers
            if line in (b"\r\n", b"\n", b""):
                return headers
            if len(headers.fields) >= MAX_HEADERS:
                headers.status = "Too many headers"
                return headers
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon or not _NAME.fullmatch(name):
                headers.status = "Folded header line" if name.startswith((" ", "\t")) else "Invalid header line"
                return headers
            headers.fields.append((name, value.strip(" \t\r\n")))

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value sent under ``name`` (any case)."""
        wanted = name.lower()
        return next((value for key, value in self.fields if key.lower() == wanted), default)

    getheader = get

    def __delitem__(self, name: str) -> None:
        wanted = name.lower()
        self.fields = [(key, value) for key, value in self.fields if key.lower() != wanted]

    @property
    def headers(self) -> Iterator[str]:
        return (f"{key}: {value}\r\n" for key, value in self.fields)

    @property
    def typeheader(self) -> str | None:
        return self.get("content-type")


class SlowRequest(ValueError):
    """The headers did not arrive in time; gevent answers a ValueError with 400 and closes."""


def handler_class(header_seconds: float, io_seconds: float = 60.0) -> type[WSGIHandler]:
    """A WSGIHandler with these deadlines (the server builds one handler per connection)."""

    class DeadlineHandler(WSGIHandler):
        def MessageClass(self, source: IO[bytes], *_: Any) -> RequestHeaders:  # noqa: N802 - gevent's name
            return RequestHeaders.read(source)

        def handle(self) -> Any:
            self.socket.settimeout(io_seconds)
            if self.socket.family in (socket.AF_INET, socket.AF_INET6):
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return super().handle()

        def read_requestline(self) -> str:
            # TimeoutError is an OSError: gevent closes the connection quietly.
            with Timeout(header_seconds, TimeoutError("no request line in time")):
                return super().read_requestline()

        def read_request(self, raw_requestline: str) -> Any:
            with Timeout(header_seconds, SlowRequest("the headers did not arrive in time")):
                return super().read_request(raw_requestline)

        def log_request(self) -> None:
            """No access log: ``python app.py`` serves with ``log_output=False``, and gevent would
            still format every request's line before throwing it away."""

    return DeadlineHandler
