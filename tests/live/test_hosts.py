"""App hosts that share nothing but PostgreSQL and Redis (docker/hosts.py: Linux network
namespaces, root only). The drill is played through the edge: a file uploaded to one host
downloads from the other; a host killed with ``kill -9`` loses no acknowledged answer, counts
none twice, its observers come back on the other host with no seq gap, and it takes load again
when it returns; a rolling restart fails no request a user would see.
"""
from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers import wait_until
from livekit import LiveClient
from requests.adapters import HTTPAdapter
from sqlalchemy import create_engine, text
from urllib3.exceptions import ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from docker.hosts import CLIENTS, Bed, hosts, usable

pytestmark = pytest.mark.hosts
CHALLENGES = 24
ATTACHMENT = b"capture " * 40_000
SETUP = """
import json, sys
from pathlib import Path
from app import app
from scoreboard import packs
from scoreboard.drill import accounts, organizer
services = app.extensions["drillboard"]
with services.database.session() as session:
    packs.load(session, Path(sys.argv[1]), services.settings.files_dir)
    teams = []
    for n in range(len(sys.argv[2:])):
        team = organizer.create_team(session, f"Host Team {n}", "KZ", "test")
        teams.append({"id": team.id, "token": accounts.new_token(session, team=team), "source": sys.argv[2 + n]})
    judge = accounts.create_staff(session, "judy", "judge", None)[2]
print(json.dumps({"teams": teams, "judge": judge}))
"""


def flag(n: int) -> str:
    return f"DRILL{{host-{n:02d}}}"


def write_pack(folder: Path) -> Path:
    for n in range(CHALLENGES):
        (folder / f"c{n:02d}").mkdir(parents=True)
        (folder / f"c{n:02d}" / "challenge.yml").write_text(
            f"name: Host {n:02d}\ncategory: hosts\nvalue: 100\nflags: ['{flag(n)}']\n")
    (folder / "report").mkdir()
    (folder / "report" / "challenge.yml").write_text(
        "name: Report\ntype: report\ndescription: What happened?\nrubric:\n  - criterion: Timeline\n    points: 10\n")
    return folder


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bed]:
    problem = usable()
    if problem:
        pytest.skip(f"no namespace hosts here: {problem}")
    pack = write_pack(tmp_path_factory.mktemp("hosts") / "pack")
    pack.parent.chmod(0o755)
    with hosts(2, env={"DRILLBOARD_ATTEMPT_LIMIT": "100"}) as running:
        running.seeded = json.loads(running.run("-c", SETUP, str(pack), *CLIENTS))
        yield running


class AsBrowsersDo(Retry):
    """One more try, as a browser makes it, when a kept-alive connection was closed under a
    request before any reply: nginx closes its idle connections on every reload (a rolling restart
    reloads it four times), and a request sent at that moment never reached an app. Timeouts,
    refused connections and answers with a status are not tried again."""

    def increment(self, method: str | None = None, url: str | None = None, *args: Any, **kwargs: Any) -> Retry:
        error = kwargs.get("error")
        if not isinstance(error, ProtocolError) or isinstance(error, ReadTimeoutError):
            return Retry(0, read=False).increment(method, url, *args, **kwargs)
        return super().increment(method, url, *args, **kwargs)


class FromAddress(HTTPAdapter):
    """Connections from one local address: each player is a client of its own to the edge."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__(max_retries=AsBrowsersDo(total=1, connect=0, status=0, other=0, read=1,
                                                  allowed_methods=None, raise_on_status=False))

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Player:
    """A team's API client from its own address, answering through the edge."""

    def __init__(self, bed: Bed, team: dict[str, Any]) -> None:
        self.bed, self.id, self.source = bed, team["id"], team["source"]
        self.http = requests.Session()
        self.http.mount("http://", FromAddress(self.source))
        self.http.headers["Authorization"] = f"Bearer {team['token']}"
        self.acknowledged: list[tuple[int, str, str]] = []  # challenge number, answer, verdict
        self.failed: list[str] = []
        self.pace = threading.Event()  # never set: waits between reads
        self.ids = {c["name"]: c["id"] for c in self.get("/api/v1/challenges").json()["challenges"]}

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.bed.url + path, timeout=10)

    def upstream(self) -> str:
        """The app host the edge sends this player to now."""
        response = self.get("/api/v1/scoreboard")
        assert response.status_code == 200, response.text
        return response.headers["X-Drillboard-Upstream"].split(",")[-1].strip()

    def answer(self, n: int, answer: str) -> None:
        """One answer, sent again (as a person would) when the edge could not deliver it."""
        for _ in range(3):
            try:
                response = self.http.post(f"{self.bed.url}/api/v1/challenges/{self.ids[f'Host {n:02d}']}/attempts",
                                          json={"answer": answer}, timeout=10)
            except requests.RequestException as err:
                self.failed.append(f"{n}: {type(err).__name__}")
                continue
            if response.status_code == 200:
                self.acknowledged.append((n, answer, response.json()["result"]))
                return
            self.failed.append(f"{n}: {response.status_code} {response.text[:100]}")

    def keep_reading(self, running: threading.Event) -> None:
        """Reload the challenge list a few times a second (under the edge's rate limit) while ``running``."""
        while running.is_set():
            try:
                response = self.get("/api/v1/challenges")
                if response.status_code != 200:
                    self.failed.append(f"GET {response.status_code}")
            except requests.RequestException as err:
                self.failed.append(f"GET {type(err).__name__}")
            self.pace.wait(0.2)

    def play(self, numbers: range, while_running: Callable[[], bool] = lambda: True) -> None:
        for n in numbers:
            if not while_running():
                return
            self.answer(n, f"wrong-{self.id}-{n}")
            self.answer(n, flag(n))


def players(bed: Bed) -> list[Player]:
    return [Player(bed, team) for team in bed.seeded["teams"]]


def rows(bed: Bed, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(bed.env["DRILLBOARD_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def assert_no_seq_gap(observer: LiveClient) -> None:
    """After each snapshot (the first, and one per reconnection), public events count on from its seq."""
    expected = None
    with observer._cond:
        received = list(observer.events)
    for kind, data in received:
        if kind == "snapshot":
            assert expected is None or data["seq"] >= expected - 1, f"{observer.label}: the snapshot went back"
            expected = data["seq"] + 1
        elif isinstance(data, dict) and isinstance(data.get("seq"), int) and (expected is None or data["seq"] >= expected):
            # (One the snapshot already holds is dropped, as the page does.)
            assert data["seq"] == expected, (f"{observer.label}: seq {data['seq']} after {expected - 1}: "
                                             f"{[(k, d.get('seq')) for k, d in received if isinstance(d, dict)]}")
            expected += 1


def caught_up(bed: Bed, observers: list[LiveClient]) -> None:
    """Every observer reaches the newest public event, each one as an event or within a snapshot
    taken after it, and no event is missing between: nothing was lost in a reconnection."""
    newest = rows(bed, "SELECT max(seq) FROM event")[0][0]
    for observer in observers:
        wait_until(lambda o=observer: o.last_seq() >= newest, 20, f"{observer.label} to reach seq {newest}")
        assert_no_seq_gap(observer)


def run_all(team_players: list[Player], numbers: range) -> list[threading.Thread]:
    threads = [threading.Thread(target=p.play, args=(numbers,)) for p in team_players]
    for thread in threads:
        thread.start()
    return threads


def check_answers(bed: Bed, team_players: list[Player]) -> set[tuple[int, int]]:
    """Every acknowledged answer is stored, no solve counted twice; the acknowledged solves."""
    stored = {(team, n, answer, verdict) for team, n, answer, verdict in rows(bed, """
        SELECT s.team_id, CAST(substr(c.name, 6) AS INTEGER), s.answer, s.verdict
        FROM submission s JOIN challenge c ON c.id = s.challenge_id""")}
    missing = [(p.id, *a) for p in team_players for a in p.acknowledged if (p.id, *a) not in stored]
    assert not missing, f"acknowledged but not stored: {missing[:5]}"
    counts = rows(bed, "SELECT team_id, challenge_id, count(*) FROM solve GROUP BY team_id, challenge_id")
    assert all(count == 1 for _, _, count in counts)
    return {(p.id, n) for p in team_players for n, _, verdict in p.acknowledged if verdict == "correct"}


def test_a_file_uploaded_through_one_host_downloads_through_the_other(bed: Bed) -> None:
    team = bed.seeded["teams"][0]
    headers = {"Authorization": f"Bearer {team['token']}"}
    challenges = requests.get(bed.url + "/api/v1/challenges", headers=headers, timeout=10).json()["challenges"]
    report = next(c["id"] for c in challenges if c["name"] == "Report")
    filed = requests.post(f"{bed.app_url('app1')}/api/v1/challenges/{report}/reports", headers=headers, timeout=10,
                          data={"text": "See the capture."}, files={"files": ("capture.pcap", io.BytesIO(ATTACHMENT))})
    assert filed.status_code == 201, filed.text
    judge = {"Authorization": f"Bearer {bed.seeded['judge']}"}
    listed = requests.get(bed.url + "/api/v1/judging/reports", headers=judge, timeout=10).json()["reports"][0]
    path = f"/judge/reports/{listed['id']}/attachment-1.pcap"
    direct = requests.get(bed.app_url("app2") + path, headers=judge, timeout=10)
    assert direct.status_code == 200 and direct.content == ATTACHMENT
    # Through the edge, from a client it sends to app2.
    http = requests.Session()
    for source in CLIENTS:
        http.mount("http://", FromAddress(source))
        response = http.get(bed.url + path, headers=judge, timeout=10)
        if response.headers["X-Drillboard-Upstream"].startswith(bed.apps["app2"]):
            assert response.status_code == 200 and response.content == ATTACHMENT
            break
    else:
        pytest.fail("the edge sent no client address to app2")


def test_losing_a_host_loses_no_answer_and_no_event(bed: Bed) -> None:
    team_players = players(bed)
    app1 = f"{bed.apps['app1']}:5000"
    on_app1 = [p for p in team_players if p.upstream() == app1]
    assert on_app1, "the edge sends none of the client addresses to app1"
    watching = on_app1[:2] + [p for p in team_players if p not in on_app1][:2]
    observers = [LiveClient(bed.url, label=f"observer from {p.source}", source=p.source, reconnect=True)
                 for p in watching]
    try:
        threads = run_all(team_players, range(0, 12))
        wait_until(lambda: sum(len(p.acknowledged) for p in team_players) >= 40, 60, "answers before the kill")
        assert bed.kill("app1"), "no process of app1 was running"
        # The edge stops sending to app1 within seconds: app1's clients are served by app2.
        wait_until(lambda: all(p.upstream() != app1 for p in on_app1), 15, "the edge to leave app1")
        for thread in threads:
            thread.join()
        solved = check_answers(bed, team_players)
        assert solved, "no answer was acknowledged"
        caught_up(bed, observers)
        assert any(sum(1 for k, _ in o.events if k == "snapshot") > 1 for o in observers), \
            "no observer was on app1 (none reconnected)"
        # app1 comes back and takes its clients again.
        bed.start_apps("app1")
        wait_until(lambda: any(p.upstream() == app1 for p in on_app1), 20, "the edge to send to app1 again")
    finally:
        for observer in observers:
            observer.close()


def test_a_rolling_restart_fails_no_request(bed: Bed) -> None:
    team_players = players(bed)
    observers = [LiveClient(bed.url, label=f"observer from {p.source}", source=p.source, reconnect=True)
                 for p in team_players[4:]]
    try:
        restarting = threading.Event()
        restarting.set()
        threads = [threading.Thread(target=p.play, args=(range(12, CHALLENGES), restarting.is_set))
                   for p in team_players]
        threads += [threading.Thread(target=p.keep_reading, args=(restarting,)) for p in team_players]
        for thread in threads:
            thread.start()
        bed.rolling_restart()
        restarting.clear()
        for thread in threads:
            thread.join()
        failed = [f for p in team_players for f in p.failed]
        assert not failed, f"requests failed during the rolling restart: {failed[:5]}"
        solved = check_answers(bed, team_players)
        assert solved
        caught_up(bed, observers)
    finally:
        for observer in observers:
            observer.close()
