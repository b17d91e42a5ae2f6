"""Service checks against real services on loopback addresses: an HTTP server, a TCP echo, an SMTP
banner, a DNS responder and a checker in Hackerdom's protocol, per team on its own 127.0.N.x (N: the pytest-xdist worker, plus one).
A stopped service is DOWN in the next round (on /api/v1/services, with a ``service`` event), back
up it is UP; a hung checker is killed at its timeout and the round completes.

(Minimal servers of this module's own, until the range helper's tests/range.py lands.)
"""
from __future__ import annotations

import http.server
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dnslib
import dnslib.server
import pytest
import yaml
from corekit import team_with_token
from helpers import eventually, worker_number
from sqlalchemy import select

from scoreboard import packs
from scoreboard.runner.loop import Runner
from scoreboard.store.models import Event, Service, ServiceCheck, ServiceRound

CHECKER = """#!/usr/bin/env python3
import sys, urllib.request
action, host = sys.argv[1], sys.argv[2]
base = f"http://{host}:18080"
def quit(code, public, private=""):
    print(public); print(private, file=sys.stderr); sys.exit(code)
try:
    if action == "check":
        urllib.request.urlopen(base + "/health", timeout=2).read()
        quit(101, "ok")
    flag_id, flag = sys.argv[3], sys.argv[4]
    if action == "put":
        urllib.request.urlopen(urllib.request.Request(base + "/notes/" + flag_id, data=flag.encode(),
                                                      method="PUT"), timeout=2).read()
        quit(101, "stored")
    got = urllib.request.urlopen(base + "/notes/" + flag_id, timeout=2).read().decode()
    quit(101 if got == flag else 102, "flag kept" if got == flag else "flag lost", f"got {got!r}")
except OSError as err:
    quit(104, "portal unreachable", repr(err))
"""
HANG = "#!/bin/sh\nsleep 60\n"


class _Web(http.server.BaseHTTPRequestHandler):
    notes: dict[str, bytes] = {}

    def log_message(self, *_args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = b"ok portal" if self.path == "/health" else self.notes.get(self.path, b"")
        self.send_response(200 if self.path == "/health" or self.path in self.notes else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self) -> None:  # noqa: N802
        self.notes[self.path] = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Banner(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"220 mail.lab ESMTP ready\r\n")


class _Resolver:
    def resolve(self, request: Any, _handler: Any) -> Any:
        reply = request.reply()
        reply.add_answer(*dnslib.RR.fromZone(f"{request.q.qname} 60 A 10.0.0.5"))
        return reply


class Range:
    """One team's services on ``host``: each can be stopped and started again."""

    def __init__(self, host: str) -> None:
        self.host, self.servers = host, {}
        for name in ("web", "mail", "echo", "dns"):
            self.start(name)

    def start(self, name: str) -> None:
        socketserver.TCPServer.allow_reuse_address = True
        if name == "dns":
            server: Any = dnslib.server.DNSServer(_Resolver(), address=self.host, port=15353,
                                                  logger=dnslib.server.DNSLogger("-request,-reply,-truncated"))
            server.start_thread()
        else:
            handler, port = {"web": (_Web, 18080), "mail": (_Banner, 12525), "echo": (_Banner, 17007)}[name]
            server = socketserver.ThreadingTCPServer((self.host, port), handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers[name] = server

    def stop(self, name: str) -> None:
        server = self.servers.pop(name)
        server.stop() if name == "dns" else (server.shutdown(), server.server_close())

    def close(self) -> None:
        for name in list(self.servers):
            self.stop(name)


# Each team's services listen on the same ports on an address of its own; each pytest-xdist worker
# has its own pair of addresses, so two workers' ranges never meet.
HOSTS = {"Blue": f"127.0.{worker_number() + 1}.31", "Red": f"127.0.{worker_number() + 1}.32"}
SERVICES = {
    "round_seconds": 12,
    "services": [
        {"id": "web", "title": "Portal", "port": 18080, "points": 10,
         "check": {"kind": "http", "path": "/health", "status": 200, "body_regex": "^ok", "timeout": 2}},
        {"id": "mail", "title": "Mail", "port": 12525, "points": 5, "check": {"kind": "smtp", "timeout": 2}},
        {"id": "echo", "title": "Echo", "port": 17007, "points": 5, "check": {"kind": "tcp", "timeout": 2}},
        {"id": "dns", "title": "DNS", "port": 15353, "points": 5,
         "check": {"kind": "dns", "query": "www.lab", "type": "A", "answer": "10.0.0.5", "timeout": 2}},
        {"id": "notes", "title": "Notes", "points": 10,
         "check": {"kind": "checker", "path": "checkers/notes/checker.py", "put": True, "timeout": 6}},
    ],
    "teams": HOSTS,
}


@pytest.fixture
def ranges() -> Iterator[dict[str, Range]]:
    made = {team: Range(host) for team, host in HOSTS.items()}
    yield made
    for item in made.values():
        item.close()


def _pack(make_pack: Any, services: dict[str, Any]) -> Path:
    root = make_pack({"f/flag": {"name": "Flag", "value": 100, "flags": ["DRILL{x}"]}}, {"id": "range"},
                     files={"checkers/notes/checker.py": CHECKER, "checkers/hang/checker.sh": HANG})
    (root / "services.yml").write_text(yaml.safe_dump(services, sort_keys=False))
    return root


@pytest.fixture
def drill(services: Any, make_pack: Any, ranges: dict[str, Range]) -> Runner:
    with services.database.session() as session:
        packs.load(session, _pack(make_pack, SERVICES), services.settings.files_dir)
    for name in ranges:
        team_with_token(services, name)
    return Runner(services.database, services.settings.files_dir, services.settings.instance / "checker.lock")


def _states(client: Any) -> dict[str, dict[str, str]]:
    grid = client.get("/api/v1/services").get_json()
    return {row["team"]: {key: value["state"] for key, value in row["states"].items()} for row in grid["teams"]}


def test_every_kind_of_check_finds_a_running_service_up(drill: Runner, client: Any) -> None:
    assert drill.run_due(force=True) == 1
    assert _states(client) == {team: {"web": "up", "mail": "up", "echo": "up", "dns": "up", "notes": "up"}
                               for team in ("Blue", "Red")}
    assert drill.run_due(force=True) == 2  # the notes checker gets back the flag it put a round ago
    assert _states(client)["Blue"]["notes"] == "up"
    board = {row["team"]: row for row in client.get("/api/v1/scoreboard").get_json()["standings"]}
    assert board["Blue"]["breakdown"]["availability"] == 2 * 35 and board["Blue"]["sla"] == 1.0


def test_a_stopped_service_is_down_in_the_next_round_and_up_again_after(drill: Runner, client: Any,
                                                                        services: Any,
                                                                        ranges: dict[str, Range]) -> None:
    drill.run_due(force=True)
    ranges["Blue"].stop("web")
    ranges["Red"].stop("dns")
    drill.run_due(force=True)
    states = _states(client)
    assert states["Blue"]["web"] == "down" and states["Blue"]["notes"] == "down"  # its checker cannot reach it
    assert states["Red"]["dns"] == "down" and states["Red"]["web"] == "up"
    ranges["Blue"].start("web")
    drill.run_due(force=True)
    assert _states(client)["Blue"]["web"] == "up"
    with services.database.session() as session:
        changes = [(e.payload["team"], e.payload["service"], e.payload["state"])
                   for e in session.scalars(select(Event).where(Event.kind == "service").order_by(Event.id))]
    assert changes.index(("Blue", "web", "down")) < changes.index(("Blue", "web", "up"))
    assert ("Red", "dns", "down") in changes and ("Red", "web", "down") not in changes
    grid = client.get("/api/v1/services").get_json()
    blue = next(row for row in grid["teams"] if row["team"] == "Blue")
    assert blue["states"]["web"]["sla"] == round(2 / 3, 4)


def _hanging(services: Any, make_pack: Any, timeout: int) -> Runner:
    """Blue's web service, and a checker that never answers (killed at ``timeout`` seconds)."""
    hanging = {**SERVICES, "services": [
        SERVICES["services"][0],
        {"id": "hang", "title": "Hangs", "points": 1,
         "check": {"kind": "checker", "path": "checkers/hang/checker.sh", "timeout": timeout}}]}
    with services.database.session() as session:
        packs.load(session, _pack(make_pack, hanging), services.settings.files_dir)
    team_with_token(services, "Blue")
    return Runner(services.database, services.settings.files_dir, services.settings.instance / "checker.lock")


def test_a_hung_checker_is_killed_at_its_timeout_and_the_round_completes(services: Any, make_pack: Any,
                                                                          ranges: dict[str, Range],
                                                                          client: Any) -> None:
    runner = _hanging(services, make_pack, timeout=1)
    assert runner.run_due(force=True) == 1
    assert _states(client)["Blue"] == {"web": "up", "hang": "down"}
    with services.database.session() as session:
        hung = session.scalar(select(ServiceCheck).join(Service).where(Service.key == "hang"))
        assert hung.message == "the service did not answer in time" and "killed" in hung.detail
    # Killed, not left behind: SIGKILL reaches the checker's whole group, which dies a moment later.
    left = eventually(lambda: [p for p in Path("/proc").glob("[0-9]*") if _cmdline(p) == "sleep60"], lambda x: not x)
    assert not left


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b"").decode()
    except OSError:
        return ""


def test_a_checker_stopped_mid_round_records_nothing_and_the_round_runs_again(services: Any, make_pack: Any,
                                                                               ranges: dict[str, Range],
                                                                               client: Any) -> None:
    """Ctrl-C on ``python app.py`` stops its checker and the demo's range together: a round
    recorded then would find every service down, and cost every team a round's points."""
    runner = _hanging(services, make_pack, timeout=2)
    stopping = threading.Event()
    threading.Timer(0.5, stopping.set).start()  # while the hung check still runs
    assert runner.run_due(force=True, keep_going=lambda: not stopping.is_set()) is None
    with services.database.session() as session:
        assert session.scalars(select(ServiceCheck)).all() == []
        assert [(r.number, r.finished_at) for r in session.scalars(select(ServiceRound))] == [(1, None)]
    # Its hung check did not outlive the stop.
    assert not eventually(lambda: [p for p in Path("/proc").glob("[0-9]*") if _cmdline(p) == "sleep60"],
                          lambda x: not x)
    assert runner.run_due(force=True) == 1  # the next runner runs that round, once
    assert _states(client)["Blue"] == {"web": "up", "hang": "down"}
    with services.database.session() as session:
        assert [r.number for r in session.scalars(select(ServiceRound))] == [1]
