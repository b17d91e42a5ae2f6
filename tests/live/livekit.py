"""Helpers for the Live suite: Socket.IO observers, logged-in members, answers, flag checks."""
from __future__ import annotations

import itertools
import json
import socket
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import engineio
import requests
import socketio
import yaml
from helpers import PASSWORD, csrf_from, http_session, wait_until

from scoreboard.core.scoring import CHART_TEAMS

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "challenges" / "drill-demo"
NAMESPACE = "/live"

# Correct answers from challenges/drill-demo/SOLUTIONS.md (those open from the start).
ANSWERS = {
    "Web Server Intrusion": "203.0.113.77",
    "Ransom Note": "DRILL{p4y_n0th1ng_d3c0d3_3v3ryth1ng}",
    "Dead Drop Note": "DRILL{r0t_and_b4se32_are_n0t_crypt0}",
    "Beacon Home": "198.51.100.172",
    "Whispers over DNS": "DRILL{dn5_subd0ma1ns_c4rry_d4ta}",
    "Leaflet Trace": "night_tanner",
    "Seized Laptop: Disguised Archive": "3f0badee09f50ed8642352bf7a6452ab9d0e884e277d07b7d8e68387dae4c3bb",
    "Seized Laptop: Shell History": "contacts_cell4.ods,routes_q4.kml,funding_sept.xlsx",
    "Webshell Location": "DRILL{/uploads/2025/10/thumb_cache.php}",
    "Wallet Pivot": "ashen_lynx",
    "RDP Brute Force": "37",
}
SNAPSHOT_KEYS = {"seq", "standings", "recent_solves", "announcements", "frozen"}
SOLVE_KEYS = {"seq", "team", "team_id", "challenge", "points", "first_blood", "at"}


def _flag_strings() -> set[str]:
    """Every distinctive accepted answer in the demo pack (read from the pack, plus ANSWERS)."""
    found: set[str] = set()
    for path in DEMO.rglob("challenge.yml"):
        flags = yaml.safe_load(path.read_text()).get("flags") or []
        for flag in flags if isinstance(flags, list) else [flags]:
            if isinstance(flag, dict):
                if flag.get("type") == "regex":
                    continue  # a pattern, not a string; its literal answer is in ANSWERS
                content = flag.get("content")
            else:
                content = flag
            items = content if isinstance(content, list) else [content]
            found.update(str(item) for item in items)
    found.update(ANSWERS.values())
    found.update(answer.split(",")[0] for answer in ANSWERS.values())
    # Short answers ("37") would match ordinary numbers; they cannot be told apart from scores.
    return {f.lower() for f in found if len(f) >= 6}


FLAG_STRINGS = _flag_strings()


def leaked_flags(payload: Any) -> list[str]:
    text = json.dumps(payload, ensure_ascii=False).lower()
    return sorted(flag for flag in FLAG_STRINGS if flag in text)


class _EngineInOrder(engineio.Client):
    """python-engineio hands every message to a new thread, so two events can overtake each
    other in the client (the "seqs 60, 62, 61" of a busy machine). Observers must see what
    the server sent, in the order it sent it: handle each message in the read loop."""

    source: str | None = None  # connect from this local address (a client of its own to a proxy)

    def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)

    def _connect_websocket(self, url: str, headers: dict, engineio_path: str) -> Any:
        if self.source:  # websocket-client takes a connected socket: one from our address, each time
            target = urllib.parse.urlsplit(url)
            sock = socket.create_connection((target.hostname, target.port or 80), timeout=10,
                                            source_address=(self.source, 0))
            self.websocket_extra_options["socket"] = sock
        return super()._connect_websocket(url, headers, engineio_path)


class _InOrderClient(socketio.Client):
    def _engineio_client_class(self) -> type:
        return _EngineInOrder


class LiveClient:
    """A python-socketio client on /live that records every event it receives, in order."""

    def __init__(self, base_url: str, cookie: str | None = None, label: str = "observer", source: str | None = None,
                 reconnect: bool = False) -> None:
        """``source``: the local address to connect from; ``reconnect``: come back after the server
        goes away, as the board's page does (a new ``snapshot`` follows)."""
        self.label = label
        self.events: list[tuple[str, Any]] = []
        self.lines: dict[int, list[Any]] = {}  # each team's chart steps as this board holds them
        self.unjoined = 0  # rows whose new steps it could not join to a line it holds
        self._cond = threading.Condition()
        self.sio = _InOrderClient(reconnection=reconnect, reconnection_delay=0.2, reconnection_delay_max=1,
                                  randomization_factor=0)
        self.sio.eio.source = source
        self.sio.on("*", self._record, namespace=NAMESPACE)
        headers = {"Cookie": cookie} if cookie else {}
        self.sio.connect(base_url, namespaces=[NAMESPACE], transports=["websocket"], headers=headers,
                         wait_timeout=10)
        self.snapshot = self.wait("snapshot")

    def _record(self, event: str, data: Any = None) -> None:
        if event in ("snapshot", "standings") and isinstance(data, dict):
            if event == "snapshot":
                self.lines = {}
            steps = {}
            for row in data.get("standings", []):
                # The chart's steps ride on each row of its first ten teams, in a delta only those
                # after the first ``steps_from`` the board holds; their last point is the row's
                # score (no steps: a team with nothing yet).
                if "steps" not in row:
                    assert row["pos"] > CHART_TEAMS, row
                    self.lines.pop(row["team_id"], None)
                    continue
                line, start = row.pop("steps"), row.pop("steps_from", None)
                if start is not None:
                    held = self.lines.get(row["team_id"])
                    if held is None or len(held) < start:
                        # A snapshot newer than the board this delta was made from, with the team
                        # off the chart in between: the page asks for a snapshot again.
                        self.unjoined += 1
                        self.lines.pop(row["team_id"], None)
                        continue
                    line = held[:start] + line
                self.lines[row["team_id"]] = steps[row["team_id"]] = line
                assert line[-1][1] == row["score"] if line else (row["score"], row["solves"]) == (0, 0), (row, line)
            data["steps"] = steps
        with self._cond:
            self.events.append((event, data))
            self._cond.notify_all()

    def mark(self) -> int:
        """Position in the event list, to look only at what arrives afterwards."""
        with self._cond:
            return len(self.events)

    def wait(self, kind: str, where: Callable[[Any], bool] = lambda _: True, timeout: float = 5.0,
             after: int = 0) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for name, data in self.events[after:]:
                    if name == kind and where(data):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.label}: no {kind!r} event within {timeout} s; got "
                                         f"{[n for n, _ in self.events[after:]]}")
                self._cond.wait(left)

    def wait_any(self, kinds: tuple[str, ...], where: Callable[[Any], bool] = lambda _: True,
                 timeout: float = 5.0, after: int = 0) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for name, data in self.events[after:]:
                    if name in kinds and where(data):
                        return name, data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.label}: none of {kinds} within {timeout} s; got "
                                         f"{[n for n, _ in self.events[after:]]}")
                self._cond.wait(left)

    def since(self, mark: int, kind: str | None = None) -> list[Any]:
        with self._cond:
            return [d for n, d in self.events[mark:] if kind is None or n == kind]

    def kinds_since(self, mark: int) -> list[str]:
        with self._cond:
            return [n for n, _ in self.events[mark:]]

    def public(self) -> list[tuple[str, Any]]:
        """Events that carry a seq (everything but snapshots and private notices)."""
        with self._cond:
            return [(n, d) for n, d in self.events
                    if n != "snapshot" and isinstance(d, dict) and isinstance(d.get("seq"), int)]

    def last_seq(self) -> int:
        seqs = [d["seq"] for _, d in self.public()] + [d["seq"] for n, d in self.events if n == "snapshot"]
        return max(seqs)

    def resync(self) -> dict[str, Any]:
        mark = self.mark()
        self.sio.emit("resync", {}, namespace=NAMESPACE)
        return self.wait("snapshot", after=mark)

    def close(self) -> None:
        """Disconnect without waiting: websocket-client waits 3 s for a close frame the
        development server never sends, which would triple the suite's run time."""
        def disconnect() -> None:
            try:
                self.sio.disconnect()
            except Exception:  # noqa: BLE001 - already gone (server stopped)
                pass

        threading.Thread(target=disconnect, daemon=True).start()


def assert_seq_strictly_increasing(client: LiveClient, upto: int | None = None) -> None:
    """Public events arrive in strictly increasing seq order (those before ``upto``, a mark)."""
    with client._cond:
        received = client.events[:upto]
    seqs = [d["seq"] for n, d in received if n != "snapshot" and isinstance(d, dict) and isinstance(d.get("seq"), int)]
    assert seqs == sorted(set(seqs)), f"{client.label}: seqs not strictly increasing: {seqs}"


def assert_no_flags(*clients: LiveClient) -> None:
    for client in clients:
        for kind, data in client.events:
            leaked = leaked_flags(data)
            assert not leaked, f"{client.label} received {kind} containing {leaked}: {data}"


class Member:
    """A team member logged in through /join with requests: API calls carry cookie + CSRF."""

    def __init__(self, base_url: str, join_code: str, name: str) -> None:
        self.base_url = base_url
        self.http = http_session()
        page = self.http.get(f"{base_url}/join", timeout=10)
        response = self.http.post(f"{base_url}/join", data={
            "csrf_token": csrf_from(page.text), "join_code": join_code, "name": name,
            "password": PASSWORD, "confirm": PASSWORD}, allow_redirects=False, timeout=10)
        assert response.status_code == 302, f"join failed: {response.status_code} {response.text[:500]}"
        self.http.headers["X-CSRFToken"] = csrf_from(self.http.get(f"{base_url}/challenges", timeout=10).text)

    @property
    def cookie(self) -> str:
        return f"session={self.http.cookies['session']}"

    def challenge_ids(self) -> dict[str, int]:
        return challenge_ids(self.base_url, self.http)

    def attempt(self, challenge_id: int, answer: str) -> dict[str, Any]:
        return attempt(self.base_url, challenge_id, answer, self.http)

    def unlock(self, hint_id: int) -> dict[str, Any]:
        response = self.http.post(f"{self.base_url}/api/v1/hints/{hint_id}/unlock", json={}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


def challenge_ids(base_url: str, http: Any = requests, headers: dict[str, str] | None = None) -> dict[str, int]:
    response = http.get(f"{base_url}/api/v1/challenges", headers=headers or {}, timeout=10)
    assert response.status_code == 200, response.text
    return {c["name"]: c["id"] for c in response.json()["challenges"]}


def attempt(base_url: str, challenge_id: int, answer: str, http: Any = requests,
            headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = http.post(f"{base_url}/api/v1/challenges/{challenge_id}/attempts", json={"answer": answer},
                         headers=headers or {}, timeout=10)
    assert response.status_code == 200, f"{response.status_code} {response.text}"
    return response.json()


def max_seq(srv: Any) -> int:
    """The newest seq of the server's public event stream, read from its SQLite file."""
    connection = sqlite3.connect(f"file:{srv.instance / 'drillboard.db'}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT COALESCE(MAX(seq), 0) FROM event").fetchone()[0]
    finally:
        connection.close()


def heard_everything(client: LiveClient, srv: Any, timeout: float = 5.0) -> int:
    """Wait until ``client`` has every event the server stored (its last seq is the newest); that seq."""
    return wait_until(lambda: client.last_seq() >= max_seq(srv) and client.last_seq(), timeout,
                      f"{client.label} to hear every stored event")


def scoreboard(base_url: str) -> dict[str, Any]:
    response = requests.get(f"{base_url}/api/v1/scoreboard", timeout=10)
    assert response.status_code == 200
    return response.json()


def apply_delta(rows: list[dict[str, Any]], delta: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a board does with a standings event: replace the named rows, re-sort by pos."""
    by_team = {row["team_id"]: row for row in rows}
    by_team.update({row["team_id"]: row for row in delta})
    return sorted(by_team.values(), key=lambda row: row["pos"])


_names = itertools.count(1)


def member_context(browser: Any, member: Member, **options: Any) -> Any:
    """A playwright browser context already logged in as ``member`` (options: viewport, ...)."""
    context = browser.new_context(**options)
    context.add_cookies([{"name": "session", "value": member.http.cookies["session"], "url": member.base_url}])
    return context


def join(srv: Any, team: str, name: str | None = None) -> Member:
    """A new member of a seeded team, logged in through /join (user names are unique)."""
    codes = {row["name"]: row["join_code"] for row in srv.first_run["teams"]}
    return Member(srv.base_url, codes[team], name or f"member{next(_names)}-{team.split()[-1].lower()}")
