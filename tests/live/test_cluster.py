"""The multi-worker topology (docker/cluster.py): two gunicorn workers on PostgreSQL and Redis
behind nginx. What one worker does, clients of the other see; limits hold across workers; a
worker that dies, a client that never reads and a flood of connections harm nobody else.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket
from helpers import wait_until
from livekit import LiveClient, assert_seq_strictly_increasing
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from docker.cluster import INSTALL_NGINX, Cluster, ClusterError, cluster, find_nginx

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
CHALLENGES = 40
LIMIT = 3  # wrong answers per team and challenge per minute (DRILLBOARD_ATTEMPT_LIMIT)


def flag(n: int) -> str:
    return f"DRILL{{cluster-{n:02d}}}"


def write_pack(folder: Path) -> Path:
    for n in range(CHALLENGES):
        (folder / f"c{n:02d}").mkdir(parents=True)
        (folder / f"c{n:02d}" / "challenge.yml").write_text(
            f"name: Cluster {n:02d}\ncategory: scale\nvalue: 100\nflags: ['{flag(n)}']\n")
    return folder


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str) -> Iterator[Cluster]:
    try:
        find_nginx()
    except ClusterError:
        pytest.skip(f"nginx is not installed ({INSTALL_NGINX})")
    database = make_url(postgres_url).set(drivername="postgresql+psycopg", database=f"drillboard_cluster_{uuid.uuid4().hex[:10]}")
    with cluster(2, database_url=database.render_as_string(hide_password=False), redis_url=redis_url,
                 instance=tmp_path_factory.mktemp("cluster") / "instance", fresh=True, drop=True,
                 env={"DRILLBOARD_ATTEMPT_LIMIT": str(LIMIT)}) as started:
        started.cli("load-pack", str(write_pack(tmp_path_factory.mktemp("pack") / "cluster-pack")))
        yield started


class Team:
    """A team made through the CLI, with its API token, playing against any worker."""

    _made = iter(range(1, 10_000))

    def __init__(self, running: Cluster) -> None:
        made = json.loads(running.cli("create-team", f"Cluster Team {next(self._made)}", "--country", "KZ"))
        self.id, self.name = made["id"], made["name"]
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {made['token']}"
        self.ids = {c["name"]: c["id"] for c in self.get(running.url, "/api/v1/challenges").json()["challenges"]}

    def get(self, base: str, path: str) -> requests.Response:
        return self.http.get(base + path, timeout=10)

    def attempt(self, base: str, n: int, answer: str | None = None) -> requests.Response:
        return self.http.post(f"{base}/api/v1/challenges/{self.ids[f'Cluster {n:02d}']}/attempts",
                              json={"answer": answer or flag(n)}, timeout=10)


def rows(running: Cluster, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(running.env["DRILLBOARD_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def wait_serving(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/v1/scoreboard", timeout=2).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come back within {timeout} s")


def test_solves_on_either_worker_reach_clients_of_both_in_seq_order(running: Cluster) -> None:
    one, two = running.workers
    on_one, on_two = LiveClient(one.url, label="observer on worker 1"), LiveClient(two.url, label="observer on worker 2")
    try:
        first = Team(running)
        assert first.attempt(one.url, 0).json()["result"] == "correct"
        solve = on_two.wait("solve", lambda s: s["team_id"] == first.id, timeout=5)
        assert solve["team"] == first.name and solve["points"] > 0
        on_two.wait("standings", lambda e: any(r["team_id"] == first.id for r in e["standings"]), timeout=5)

        # Solves committed at once on both workers: each client hears all of them, in one order.
        teams = [Team(running) for _ in range(4)]
        threads = [threading.Thread(target=lambda t=t, w=w: [t.attempt(w.url, n) for n in range(1, 6)])
                   for t, w in zip(teams, [one, two, one, two], strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for observer in (on_one, on_two):
            for team in teams:
                observer.wait("solve", lambda s, t=team: s["team_id"] == t.id and s["challenge"] == "Cluster 05",
                              timeout=10)
        assert_seq_strictly_increasing(on_one)
        assert_seq_strictly_increasing(on_two)
        # Each worker builds its own board from the same rows: both show every solve, and agree.
        # (Agreeing alone is not enough: two boards from before the burst agree too.)
        expected = {first.name: 100} | {team.name: 500 for team in teams}

        def shown(board: Any) -> dict[str, int]:
            return {row["team"]: row["score"] for row in board["standings"] if row["team"] in expected}

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(shown(scoreboard(w.url)) == expected for w in (one, two)):
            time.sleep(0.2)
        boards = [scoreboard(one.url), scoreboard(two.url), scoreboard(running.url)]
        assert [shown(board) for board in boards] == [expected] * 3, worker_logs(running)
        assert boards[0] == boards[1] == boards[2]
        # The standings events the builds publish may reach one observer a moment before the other.
        wait_until(lambda: on_one.last_seq() == on_two.last_seq(), timeout=5, what="both observers at one seq")
        assert [d["seq"] for _, d in on_one.public()] == [d["seq"] for _, d in on_two.public()]
    finally:
        on_one.close()
        on_two.close()


def worker_logs(running: Cluster) -> str:
    """The end of each worker's log: a failed or late board build says why there."""
    return "\n".join(f"--- {log.name}:\n{log.read_text(errors='replace')[-3000:]}"
                     for log in sorted(running.folder.glob("worker-*.log")))


def scoreboard(base: str) -> Any:
    response = requests.get(base + "/api/v1/scoreboard", timeout=10)
    assert response.status_code == 200
    return response.json()


def test_rate_limit_reached_on_one_worker_holds_on_the_other(running: Cluster) -> None:
    one, two = running.workers
    team = Team(running)
    for n in range(LIMIT):
        assert team.attempt(one.url, 7, f"wrong-{n}").json()["result"] == "incorrect"
    refused = team.attempt(two.url, 7, "wrong-on-two")
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert team.attempt(two.url, 8, "another challenge").status_code == 200  # per challenge, not per team


def test_nginx_serves_pages_api_and_websockets(running: Cluster) -> None:
    assert requests.get(running.url + "/board", timeout=10).status_code == 200
    board = scoreboard(running.url)
    observer = LiveClient(running.url, label="observer through nginx")
    try:
        assert observer.snapshot["standings"] == board["standings"]
        team = Team(running)
        assert team.attempt(running.url, 3).json()["result"] == "correct"
        observer.wait("solve", lambda s: s["team_id"] == team.id, timeout=5)
    finally:
        observer.close()


def handshake(base: str, **options: Any) -> websocket.WebSocket:
    """A raw Socket.IO websocket joined to /live (Engine.IO open packet read, namespace asked)."""
    ws = websocket.create_connection(base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket",
                                     timeout=5, **options)
    assert ws.recv().startswith("0")
    ws.send("40/live,")
    return ws


def test_a_client_that_never_reads_holds_up_nobody(running: Cluster) -> None:
    one, _ = running.workers
    observer = LiveClient(one.url, label="reading observer")
    stuck = handshake(one.url, sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    half_request = socket.create_connection(("127.0.0.1", one.port))
    try:
        half_request.sendall(b"GET /api/v1/scoreboard HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        # The stuck client asks for snapshot after snapshot and reads none of them.
        stuck.settimeout(0.5)
        sent = 0
        try:
            for _ in range(2000):
                stuck.send('42/live,["resync"]')
                sent += 1
        except (websocket.WebSocketTimeoutException, OSError):
            pass
        assert sent > 0
        team = Team(running)
        began = time.monotonic()
        assert team.attempt(one.url, 4).json()["result"] == "correct"
        observer.wait("solve", lambda s: s["team_id"] == team.id, timeout=5)
        assert time.monotonic() - began < 5
        assert scoreboard(one.url)["standings"]
    finally:
        stuck.abort()
        half_request.close()
        observer.close()


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_a_flood_of_connects_and_disconnects(running: Cluster) -> None:
    one, two = running.workers
    observer = LiveClient(two.url, label="observer during the flood")
    before = {w.port: open_fds(w.pid) for w in running.workers}
    failures: list[str] = []

    def flood(base: str, count: int) -> None:
        for n in range(count):
            try:
                ws = handshake(base)
                if n % 2:
                    ws.close()  # a polite goodbye
                else:
                    ws.abort()  # a dropped connection
            except Exception as err:  # noqa: BLE001 - counted, and the test fails on any
                failures.append(f"{type(err).__name__}: {err}")

    team = Team(running)
    threads = [threading.Thread(target=flood, args=(w.url, 60)) for w in (one, two, one, two)]
    for thread in threads:
        thread.start()
    for n in range(10, 16):
        assert team.attempt(one.url, n).json()["result"] == "correct"
    for thread in threads:
        thread.join()
    assert not failures, failures[:5]
    for n in range(10, 16):
        observer.wait("solve", lambda s, c=f"Cluster {n:02d}": s["team_id"] == team.id and s["challenge"] == c,
                      timeout=5)
    assert_seq_strictly_increasing(observer)
    observer.close()
    # Every dropped connection is let go: nothing piles up in the workers.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(open_fds(w.pid) > before[w.port] + 10 for w in running.workers):
        time.sleep(0.5)
    assert {w.port: open_fds(w.pid) <= before[w.port] + 10 for w in running.workers} == {w.port: True for w in running.workers}


def test_a_worker_killed_mid_burst_loses_nothing_acknowledged(running: Cluster) -> None:
    one, two = running.workers
    observer = LiveClient(two.url, label="observer on the surviving worker")
    teams = [Team(running) for _ in range(4)]
    acknowledged: list[tuple[int, int, str, str]] = []  # team, challenge number, answer, result
    failed_on = Counter()
    lock = threading.Lock()

    def play(team: Team, worker: Any) -> None:
        for n in range(20, CHALLENGES):
            for answer in (f"kill-{team.id}-{n}", flag(n)):
                try:
                    response = team.attempt(worker.url, n, answer)
                except requests.RequestException:
                    with lock:
                        failed_on[worker.port] += 1
                    continue
                with lock:
                    if response.status_code == 200:
                        acknowledged.append((team.id, n, answer, response.json()["result"]))
                    else:
                        failed_on[worker.port] += 1

    threads = [threading.Thread(target=play, args=(t, w)) for t, w in zip(teams, [one, two, one, two], strict=True)]
    victim = one.pid
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(victim, signal.SIGKILL)
    for thread in threads:
        thread.join()

    assert failed_on[two.port] == 0, "the surviving worker failed requests"
    assert failed_on[one.port] > 0, "the kill came too late to hit anything"
    stored = {(team, n, answer, verdict) for team, n, answer, verdict in rows(running, """
        SELECT s.team_id, CAST(substr(c.name, 9) AS INTEGER), s.answer, s.verdict
        FROM submission s JOIN challenge c ON c.id = s.challenge_id WHERE s.team_id = ANY(:teams)""",
        teams=[t.id for t in teams])}
    missing = [a for a in acknowledged if a not in stored]
    assert not missing, f"acknowledged but not stored: {missing[:5]}"
    solves = rows(running, "SELECT team_id, challenge_id, count(*) FROM solve WHERE team_id = ANY(:teams) "
                           "GROUP BY team_id, challenge_id", teams=[t.id for t in teams])
    assert all(count == 1 for _, _, count in solves)
    correct = {(team, n) for team, n, _, verdict in acknowledged if verdict == "correct"}
    assert len(solves) >= len(correct)

    # The survivor's clients heard of every acknowledged solve, in order; the dead one comes back.
    for team_id, n in correct:
        observer.wait("solve", lambda s, t=team_id, c=f"Cluster {n:02d}": s["team_id"] == t and s["challenge"] == c,
                      timeout=10)
    assert_seq_strictly_increasing(observer)
    observer.close()
    wait_serving(one.url)
    assert one.pid != victim
    assert teams[0].get(one.url, "/api/v1/challenges").status_code == 200
