"""One cheap client must not stall everyone (issue #22): resync floods, connection caps, slow clients.

The attacker speaks raw engine.io long-polling over HTTP (what a script would do, no login);
the victims are ordinary observers. Assertions are on counts and sizes, never on time.
"""
from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from livekit import ANSWERS, LiveClient, join

from scoreboard.live.guard import Bounds

Live = Callable[..., LiveClient]
SEPARATOR = "\x1e"  # engine.io 4 joins the packets of one polling payload with it
RESYNC = '42/live,["resync"]'


class Poller:
    """A raw engine.io polling session on /live: POSTs packets, GETs what the server queued."""

    def __init__(self, base_url: str) -> None:
        self.url = f"{base_url}/socket.io/"
        self.http = requests.Session()
        opened = self.http.get(self.url, params={"EIO": "4", "transport": "polling"}, timeout=10)
        assert opened.status_code == 200 and opened.text.startswith("0"), opened.text[:200]
        self.sid = json.loads(opened.text[1:])["sid"]
        self.received: list[str] = []
        self.bytes = 0

    def post(self, *packets: str) -> int:
        return self.http.post(self.url, params={"EIO": "4", "transport": "polling", "sid": self.sid},
                              data=SEPARATOR.join(packets).encode(), timeout=10).status_code

    def poll(self) -> requests.Response:
        """One long-poll: returns once the server has something for this session."""
        response = self.http.get(self.url, params={"EIO": "4", "transport": "polling", "sid": self.sid}, timeout=40)
        if response.status_code == 200:
            self.bytes += len(response.content)
            self.received += response.text.split(SEPARATOR)
        return response

    def events(self, name: str) -> list[Any]:
        prefix = f'42/live,["{name}"'
        return [json.loads(p[len("42/live,"):])[1] for p in self.received if p.startswith(prefix)]

    def connect(self) -> None:
        assert self.post("40/live,") == 200
        while not any(p.startswith("40/live,") or p.startswith("41/live") for p in self.received):
            assert self.poll().status_code == 200


def test_a_resync_flood_gets_a_bounded_reply_and_other_observers_still_hear_events(shared_server: Any,
                                                                                   live: Live) -> None:
    bystander = live(shared_server.base_url, label="bystander")
    attacker = Poller(shared_server.base_url)
    attacker.connect()
    while not attacker.events("snapshot"):
        attacker.poll()
    snapshot_bytes = len(json.dumps(attacker.events("snapshot")[0]))

    # The report's attack: 100 POSTs of 16 resync frames each, without reading in between.
    for _ in range(100):
        assert attacker.post(*[RESYNC] * 16) == 200
    mark = bystander.mark()
    member = join(shared_server, "Team Kazakhstan")
    member.attempt(member.challenge_ids()["Ransom Note"], ANSWERS["Ransom Note"])
    solve = bystander.wait("solve", lambda d: d["team"] == "Team Kazakhstan", timeout=15, after=mark)

    while not any(event.get("seq") == solve["seq"] for event in attacker.events("solve")):
        assert attacker.poll().status_code == 200
    snapshots = len(attacker.events("snapshot"))
    # 1,600 resyncs earned at most one window's worth of snapshots (plus the one on connect).
    assert 1 <= snapshots <= 1 + Bounds().resyncs_per_connection, snapshots
    assert attacker.bytes <= (2 + Bounds().resyncs_per_connection) * (snapshot_bytes + 1024), attacker.bytes


def test_a_resync_after_the_snapshot_was_read_still_gets_one(shared_server: Any) -> None:
    """The bound does not break the protocol: a client that saw a gap and read everything gets a snapshot."""
    client = Poller(shared_server.base_url)
    client.connect()
    while not client.events("snapshot"):
        client.poll()
    assert client.post(RESYNC) == 200
    while len(client.events("snapshot")) < 2:
        assert client.poll().status_code == 200


@pytest.fixture
def capped(server_factory: Callable[..., Any]) -> Any:
    """A server that allows three /live connections per address and four packets queued for one;
    the demo drill started (STARTEX)."""
    return server_factory({"DRILLBOARD_LIVE_PER_ADDRESS": "3", "DRILLBOARD_LIVE_MAX_QUEUED": "4"},
                          "capped").start().startex()


@pytest.fixture
def impatient(server_factory: Callable[..., Any]) -> Any:
    """A server that gives a connection one second for its request line and headers. Only the
    tests of that deadline use it: on a busy machine an ordinary client (or this server) may be
    late by that much through no fault of its own, and its request would be dropped."""
    return server_factory({"DRILLBOARD_HEADER_TIMEOUT": "1", "DRILLBOARD_DEMO": "0"}, "impatient").start()


def test_the_connection_after_the_cap_from_one_address_is_refused_and_closed(capped: Any, live: Live) -> None:
    admitted = [live(capped.base_url, label=f"observer {i}") for i in range(3)]
    assert all(client.snapshot for client in admitted)

    extra = Poller(capped.base_url)
    assert extra.post("40/live,") == 200
    # Refused, and the transport closed: polling ends (400 for a closed session, or a close packet).
    while extra.poll().status_code == 200 and "1" not in extra.received:
        pass
    assert not extra.events("snapshot")
    # The server accepts every connect at once (always_connect: the snapshot goes out from the
    # handler), so a refusal is either the closed transport alone or "40" followed by "41": the
    # client may read the two packets if it polls before the transport is closed.
    opened = [p for p in extra.received if p.startswith("40/live,")]
    assert not opened or any(p.startswith("41/live,") for p in extra.received), extra.received

    # A closed observer frees its place (its disconnect reaches the server in its own time).
    admitted[0].sio.disconnect()
    while True:
        again = Poller(capped.base_url)
        assert again.post("40/live,") == 200
        while not again.events("snapshot") and again.poll().status_code == 200 and "1" not in again.received:
            pass
        if again.events("snapshot"):
            break


def test_a_connection_that_stops_reading_is_closed_and_others_still_hear_events(capped: Any, live: Live) -> None:
    reader = live(capped.base_url, label="reading observer")
    stalled = Poller(capped.base_url)
    stalled.connect()
    while not stalled.events("snapshot"):
        stalled.poll()
    # It stops polling; each solve queues a few events for it (solve, standings, ...).
    member = join(capped, "Team India")
    ids = member.challenge_ids()
    for name in ("Ransom Note", "Beacon Home", "Dead Drop Note"):
        member.attempt(ids[name], ANSWERS[name])
        reader.wait("solve", lambda d, n=name: d["challenge"] == n, timeout=15)
    # Closed on a tick: the session is gone. A pong ("3") asks without reading the queue.
    deadline = time.monotonic() + 30
    while stalled.post("3") == 200 and time.monotonic() < deadline:
        pass
    assert stalled.post("3") == 400, "the connection that stopped reading is still open"
    assert stalled.poll().status_code == 400


def _closed_by_server(sock: socket.socket, trickle: bytes | None) -> tuple[bool, bytes, int]:
    """Send ``trickle`` every 0.2 s until the server closes the connection (or 100 pieces)."""
    sock.settimeout(0.2)
    answer, sent = b"", 0
    while sent < 100:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            if trickle:
                sock.sendall(trickle)
            sent += 1
            continue
        except ConnectionResetError:
            return True, answer, sent
        if not chunk:
            return True, answer, sent
        answer += chunk
    return False, answer, sent


def test_a_client_trickling_headers_is_dropped(impatient: Any) -> None:
    with socket.create_connection(("127.0.0.1", impatient.port)) as sock:
        sock.sendall(b"GET /api/v1/scoreboard HTTP/1.1\r\nHost: x\r\n")
        closed, answer, sent = _closed_by_server(sock, b"X-Slow: 1\r\n")
    assert closed, f"still open after {sent} header lines"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:100]


def test_an_idle_connection_is_dropped(impatient: Any) -> None:
    with socket.create_connection(("127.0.0.1", impatient.port)) as sock:
        closed, _answer, waited = _closed_by_server(sock, None)
    assert closed, f"an idle connection was still open after {waited} waits"
