"""The range's services: small real servers that the checks of a defended-services drill probe.

Stdlib only, but for the DNS responder (dnslib, imported when a DNS service starts). Each server
listens on one team's loopback address and can be stopped and started again on it (the team lost
the service: connections are refused), told to *hang* (it accepts and never answers, so a check
must time out), to *mumble* (it answers, but wrongly) or, for the portal, to be *corrupt* (it
forgets what it stored) — the states a check tells apart (up, down, mumble, corrupt).
"""
from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

# "down" is no mode: it is a stopped server.
MODES = ("up", "hang", "mumble", "corrupt")
IDLE_SECONDS = 30  # a client that sends nothing for this long is dropped: no thread is held forever
MAX_NOTES = 10_000  # the portal keeps the newest notes only, so no client can fill the memory
MAX_LINE = 1024


class Service:
    """One team's copy of one service on ``host:port``; ``start``/``stop`` as often as needed."""

    kind: ClassVar[str] = ""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.mode = "up"
        self._server: socketserver.BaseServer | None = None
        self._thread: threading.Thread | None = None
        self._changed = threading.Condition()
        self._open: set[socket.socket] = set()
        self._reset: set[socket.socket] = set()  # closed with a reset, not an orderly end

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def state(self) -> str:
        """What a check should see: ``down`` when stopped, else the mode."""
        return self.mode if self.running else "down"

    def start(self) -> None:
        """Listen again, answering normally (raises OSError when the address is taken); a running
        service stays as it is. What the portal stored survives, as a real service's database would."""
        if self._server is not None:
            return
        server = self._bind()
        self.mode = "up"
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
                                        name=f"range-{self.kind}-{self.host}:{self.port}")
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and cut every open connection: the next check finds the port closed.

        The port closes first: a client accepted while the service is stopping would otherwise be
        let in and closed without a word, which a check rightly calls a mumble, not down."""
        server = self._server
        if server is None:
            return
        server.shutdown()  # accepts no one more
        server.server_close()  # and connecting is refused from here on
        with self._changed:
            self._server = None
            self._changed.notify_all()
            for sock in list(self._open):
                self._cut(sock)
        if self._thread is not None:
            self._thread.join(5)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        with self._changed:
            self.mode = mode
            self._changed.notify_all()

    @contextlib.contextmanager
    def connection(self, sock: socket.socket) -> Iterator[bool]:
        """Track a client's socket (``stop`` cuts it); yields whether to answer: a hang holds the
        client here until the mode changes, and a stop while held means no answer at all."""
        with self._changed:
            self._open.add(sock)
        try:
            with self._changed:
                self._changed.wait_for(lambda: self.mode != "hang" or not self.running)
                answering = self.running
            if not answering:  # let in as the service stopped: reset, as the kernel resets a closed port's queue
                self._cut(sock)
            yield answering
        finally:
            with self._changed:
                self._open.discard(sock)

    def _cut(self, sock: socket.socket) -> None:
        """End a client's connection with a reset, never an orderly close: its handler's read ends
        (``SHUT_RD`` sends nothing) and the server closes it with SO_LINGER 0. A client cut before
        its answer thus sees the service down, as a real server's clients do when it is killed."""
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self._reset.add(sock)
            sock.shutdown(socket.SHUT_RD)

    def was_cut(self, sock: socket.socket) -> bool:
        """Whether ``sock`` was cut (and is to be closed with a reset); asked once, as it closes."""
        if sock in self._reset:
            self._reset.discard(sock)
            return True
        return False

    def _bind(self) -> socketserver.BaseServer:
        server = _TCPServer((self.host, self.port), self.handler())
        server.service = self
        return server

    def handler(self) -> type[socketserver.BaseRequestHandler]:
        raise NotImplementedError


class _TCPServer(socketserver.ThreadingTCPServer):
    """A thread per client; the port is bound again at once after a stop (SO_REUSEADDR)."""

    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    service: Service

    def shutdown_request(self, request: Any) -> None:
        """A client the service would not answer gets a reset (no orderly end first): a check then
        says the service is down, not that it answered with nothing."""
        if self.service.was_cut(request):
            self.close_request(request)
        else:
            super().shutdown_request(request)


class _LineHandler(socketserver.StreamRequestHandler):
    """A line-based TCP service: ``greet`` once, then ``answer`` each line until it returns None."""

    timeout = IDLE_SECONDS
    server: _TCPServer

    def handle(self) -> None:
        service = self.server.service
        with service.connection(self.connection) as answering, contextlib.suppress(OSError):
            if not answering:
                return
            self._send(self.greet(service))
            while service.running:
                line = self.rfile.readline(MAX_LINE)
                if not line:
                    return
                reply = self.answer(service, line.rstrip(b"\r\n"))
                if reply is None:
                    return
                self._send(reply)

    def _send(self, data: bytes) -> None:
        if data:
            self.wfile.write(data)

    def greet(self, service: Service) -> bytes:
        return b""

    def answer(self, service: Service, line: bytes) -> bytes | None:
        raise NotImplementedError


class _EchoHandler(_LineHandler):
    def answer(self, service: Service, line: bytes) -> bytes | None:
        return (b"ERR" if service.mode != "up" else line) + b"\n"


class EchoService(Service):
    """A TCP echo: each line comes back as it was sent (``mumble``: ``ERR``)."""

    kind = "echo"

    def handler(self) -> type[socketserver.BaseRequestHandler]:
        return _EchoHandler


class _SmtpHandler(_LineHandler):
    def greet(self, service: Service) -> bytes:
        if service.mode != "up":
            return b"554 5.3.2 Service unavailable\r\n"
        return f"220 {SmtpService.NAME} ESMTP NWA mail relay\r\n".encode()

    def answer(self, service: Service, line: bytes) -> bytes | None:
        verb = line[:4].upper()
        if verb == b"QUIT":
            self._send(b"221 2.0.0 Bye\r\n")
            return None
        if verb in (b"HELO", b"EHLO"):
            return f"250 {SmtpService.NAME}\r\n".encode()
        if verb in (b"NOOP", b"RSET"):
            return b"250 2.0.0 OK\r\n"
        return b"502 5.5.2 Command not recognized\r\n"


class SmtpService(Service):
    """An SMTP banner: ``220 mail.nwa.example ESMTP …`` on connect, HELO/EHLO/NOOP/QUIT understood
    (``mumble``: a 554 greeting, as a mail server out of service sends)."""

    kind = "smtp"
    NAME = "mail.nwa.example"

    def handler(self) -> type[socketserver.BaseRequestHandler]:
        return _SmtpHandler


class _NotesHandler(BaseHTTPRequestHandler):
    """The NWA customer portal: a front page and a notes API the checker stores flags in."""

    timeout = IDLE_SECONDS
    server_version = "NWA-portal/1.0"
    server: _TCPServer

    def handle(self) -> None:
        with self.server.service.connection(self.connection) as answering, contextlib.suppress(OSError):
            if answering:
                super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a range serving hundreds of checks a round would flood the terminal."""

    def _reply(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = (json.dumps(body) if content_type == "application/json" else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's dispatch name
        service: NotesService = self.server.service  # type: ignore[assignment]
        if service.mode == "mumble":
            return self._reply(502, {"error": "bad gateway"})
        if self.path == "/":
            return self._reply(200, NotesService.FRONT_PAGE, "text/html")
        if self.path.startswith("/api/notes/"):
            note = None if service.mode == "corrupt" else service.notes.get(self.path.removeprefix("/api/notes/"))
            if note is None:
                return self._reply(404, {"error": "no such note"})
            return self._reply(200, {"id": self.path.removeprefix("/api/notes/"), "note": note})
        return self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802 - http.server's dispatch name
        service: NotesService = self.server.service  # type: ignore[assignment]
        if service.mode == "mumble":
            return self._reply(502, {"error": "bad gateway"})
        if self.path != "/api/notes":
            return self._reply(404, {"error": "not found"})
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= NotesService.MAX_BODY:
            return self._reply(413, {"error": "a note is at most 4 KiB"})
        try:
            body = json.loads(self.rfile.read(length))
            key, note = str(body["id"]), str(body["note"])
        except (ValueError, KeyError, TypeError):
            return self._reply(400, {"error": "send JSON with 'id' and 'note'"})
        if not key or len(key) > 128 or "/" in key:
            return self._reply(400, {"error": "an id is 1 to 128 characters without '/'"})
        service.keep(key, note)
        return self._reply(201, {"id": key})


class NotesService(Service):
    """An HTTP portal: ``GET /`` (its front page), ``POST /api/notes`` ``{"id", "note"}`` and
    ``GET /api/notes/<id>`` — what the checker puts a flag into and gets it back from
    (``mumble``: 502 everywhere; ``corrupt``: every note is forgotten)."""

    kind = "http"
    MAX_BODY = 4096
    FRONT_PAGE = ("<!doctype html><title>NWA customer portal</title>"
                  "<h1>NWA customer portal</h1><p>Norvanian Water Authority: billing and service notices.</p>")

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.notes: OrderedDict[str, str] = OrderedDict()
        self._notes_lock = threading.Lock()

    def keep(self, key: str, note: str) -> None:
        with self._notes_lock:
            self.notes[key] = note
            self.notes.move_to_end(key)
            while len(self.notes) > MAX_NOTES:
                self.notes.popitem(last=False)

    def handler(self) -> type[socketserver.BaseRequestHandler]:
        return _NotesHandler


class _UDPServer(socketserver.ThreadingUDPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    service: DnsService


class _DnsHandler(socketserver.BaseRequestHandler):
    server: _UDPServer

    def handle(self) -> None:
        service = self.server.service
        if service.mode == "hang":
            return  # a lost datagram: the query times out
        data, sock = self.request
        reply = service.answer(data)
        if reply is not None:
            with contextlib.suppress(OSError):
                sock.sendto(reply, self.client_address)


class DnsService(Service):
    """A DNS responder (UDP) for the NWA zone: A records of ``RECORDS``, NXDOMAIN for the rest
    (``mumble``: every name points to ``WRONG``)."""

    kind = "dns"
    RECORDS = {"portal.nwa.example.": "192.0.2.10", "mail.nwa.example.": "192.0.2.25"}
    WRONG = "192.0.2.66"

    def _bind(self) -> socketserver.BaseServer:
        import dnslib  # noqa: F401 - fail at start, not at the first query, when it is missing

        server = _UDPServer((self.host, self.port), _DnsHandler)
        server.service = self
        return server

    def answer(self, data: bytes) -> bytes | None:
        """The reply to one query datagram, or None for a datagram that is no DNS query."""
        import dnslib

        try:
            query = dnslib.DNSRecord.parse(data)
        except dnslib.DNSError:
            return None
        reply = query.reply()
        for question in query.questions:
            name = str(question.qname).lower()
            address = self.WRONG if self.mode in ("mumble", "corrupt") else self.RECORDS.get(name)
            if address is None:
                reply.header.rcode = dnslib.RCODE.NXDOMAIN
            elif question.qtype == dnslib.QTYPE.A:
                reply.add_answer(dnslib.RR(question.qname, dnslib.QTYPE.A, rdata=dnslib.A(address), ttl=60))
        return reply.pack()


KINDS: dict[str, type[Service]] = {cls.kind: cls for cls in (NotesService, EchoService, SmtpService, DnsService)}


class Range:
    """Every team's copy of every service: ``hosts`` maps a team to its address, ``layout`` a
    service's name to its kind (a key of ``KINDS``) and port, the same for every team."""

    def __init__(self, hosts: dict[str, str], layout: dict[str, tuple[str, int]]) -> None:
        unknown = sorted({kind for kind, _ in layout.values()} - set(KINDS))
        if unknown:
            raise ValueError(f"unknown kind {unknown[0]!r}: one of {', '.join(KINDS)}")
        self.hosts, self.layout = dict(hosts), dict(layout)
        self.services = {(team, name): KINDS[kind](host, port)
                         for team, host in self.hosts.items() for name, (kind, port) in self.layout.items()}

    def select(self, team: str | None = None, service: str | None = None) -> list[tuple[str, str]]:
        """The (team, service) pairs named: one, a team's, a service's for every team, or all."""
        if team is not None and team not in self.hosts:
            raise KeyError(f"no team {team!r} in the range")
        if service is not None and service not in self.layout:
            raise KeyError(f"no service {service!r} in the range")
        return [key for key in self.services if team in (None, key[0]) and service in (None, key[1])]

    def start(self, team: str | None = None, service: str | None = None) -> dict[tuple[str, str], OSError]:
        """Start the services named (see ``select``); those that cannot bind are returned, not raised,
        so a range whose address another drill already serves still starts the rest."""
        failed = {}
        for key in self.select(team, service):
            try:
                self.services[key].start()
            except OSError as err:
                failed[key] = err
        return failed

    def stop(self, team: str | None = None, service: str | None = None) -> None:
        """Stop the services named, side by side: each takes a poll interval to wind down."""
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(Service.stop, [self.services[key] for key in self.select(team, service)]))

    def set_mode(self, team: str, service: str, mode: str) -> None:
        for key in self.select(team, service):
            self.services[key].set_mode(mode)

    def hang(self, team: str, service: str) -> None:
        self.set_mode(team, service, "hang")

    def state(self, team: str, service: str) -> str:
        return self.services[(team, service)].state

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> Range:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
