"""``python app.py``: its connection handler answers without waiting for the client's delayed ACK,
and Ctrl-C stops it quietly."""
from __future__ import annotations

import re
import signal
import socket
import threading
from typing import Any

from gevent.pywsgi import WSGIHandler, WSGIServer

from scoreboard.live.serving import handler_class


def _hello(_environ: dict, start_response: object) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])  # type: ignore[operator]
    return [b"ok"]


def test_each_connection_is_served_with_nagle_off() -> None:
    """gevent writes headers and body in two sends: with Nagle's algorithm on, the body of every
    keep-alive response would wait for the client's delayed ACK (~40 ms)."""
    seen: list[int] = []

    class Recording(handler_class(5.0)):  # type: ignore[misc, valid-type]
        def read_requestline(self) -> str:
            seen.append(self.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            return super().read_requestline()

    listener = socket.create_server(("127.0.0.1", 0))
    server = WSGIServer(listener, _hello, handler_class=Recording, log=None)
    client = socket.create_connection(listener.getsockname(), timeout=10)
    accepted, address = listener.accept()
    thread = threading.Thread(target=Recording(accepted, address, server).handle)
    thread.start()
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    reply = b""
    while not reply.endswith(b"ok"):
        reply += client.recv(4096)
    thread.join(10)
    accepted.close()
    client.close()
    listener.close()
    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"ok")
    assert seen and seen[0] != 0


def _exchange(raw: bytes, handler: type[WSGIHandler]) -> tuple[bytes, dict[str, str]]:
    """Send ``raw`` to one connection served by ``handler``; the reply and the request's
    HTTP_* / CONTENT_* environ with the body it read (empty when the app was never called)."""
    seen: dict[str, str] = {}

    def app(environ: dict, start_response: object) -> list[bytes]:
        seen.update({k: v for k, v in environ.items() if k.startswith(("HTTP_", "CONTENT_"))})
        seen["body"] = environ["wsgi.input"].read().decode()
        return _hello(environ, start_response)

    listener = socket.create_server(("127.0.0.1", 0))
    server = WSGIServer(listener, app, handler_class=handler, log=None, error_log=None)
    client = socket.create_connection(listener.getsockname(), timeout=10)
    accepted, address = listener.accept()
    thread = threading.Thread(target=handler(accepted, address, server).handle)
    thread.start()
    client.sendall(raw)
    client.shutdown(socket.SHUT_WR)
    reply = b""
    while chunk := client.recv(65536):
        reply += chunk
    thread.join(10)
    for sock in (accepted, client, listener):
        sock.close()
    # The Date header is the clock's, not the request's: two exchanges may straddle a second.
    return re.sub(rb"\r\nDate: [^\r]*", b"", reply), seen


VALID = [
    b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /a?b=1 HTTP/1.1\r\nhost: x\r\nX-Twice: 1\r\nx-twice:  2 \r\nCookie: a=1\r\nCOOKIE: b=2\r\n"
    b"Accept-Language: ru, zh;q=0.8\r\nConnection: close\r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
    b"Connection: close\r\n\r\n{\"a\":1}",
    b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n"
    b"Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"GET / HTTP/1.0\r\nHost: x\r\nX_Under: dropped\r\n\n",
]


def test_requests_are_read_as_gevent_reads_them() -> None:
    """The project's header reader gives the app the same request as gevent's own."""
    ours = handler_class(5.0)
    for raw in VALID:
        assert _exchange(raw, ours) == _exchange(raw, WSGIHandler), raw
    reply, seen = _exchange(VALID[1], ours)
    assert seen["HTTP_X_TWICE"] == "1,2" and seen["HTTP_COOKIE"] == "a=1; b=2" and reply.startswith(b"HTTP/1.1 200")
    assert _exchange(VALID[3], ours)[1]["body"] == "abc"


def test_malformed_or_oversized_headers_are_refused_with_400() -> None:
    ours = handler_class(5.0)
    start = b"GET / HTTP/1.1\r\nHost: x\r\n"
    for bad in (b"X-Long: " + b"a" * 65536 + b"\r\n",  # a line over 64 KiB
                b"".join(b"X-%d: 1\r\n" % n for n in range(100)),  # 101 headers with Host
                b"X-Folded: a\r\n  b\r\n",  # obsolete line folding
                b"No colon here\r\n",
                b"Bad Name: x\r\n",
                b": no name\r\n"):
        reply, seen = _exchange(start + bad + b"\r\n", ours)
        assert reply.startswith(b"HTTP/1.1 400") and not seen, bad[:40]
    assert _exchange(start + b"".join(b"X-%d: 1\r\n" % n for n in range(99)) + b"\r\n", ours)[0].startswith(
        b"HTTP/1.1 200")


def test_ctrl_c_stops_the_server_saying_so_and_no_error(server_factory: Any) -> None:
    """Ctrl-C is how an organizer stops ``python app.py``: it stops, says so, and prints nothing
    that looks like a crash (gevent's loop printed "KeyboardInterrupt" and a time before)."""
    srv = server_factory().start()
    srv.process.send_signal(signal.SIGINT)
    assert srv.process.wait(30) == 0
    said = srv.log.read_text()
    assert said.rstrip().endswith("Drillboard stopped."), said[-500:]
    assert "KeyboardInterrupt" not in said and "Traceback" not in said, said[-500:]

