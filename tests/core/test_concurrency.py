"""Simultaneous correct answers from one team count once: over HTTP (SQLite) and on PostgreSQL."""
from __future__ import annotations

import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from corekit import team_with_token
from helpers import eventually, load_pack
from sqlalchemy import create_engine, func, select, text

from scoreboard import create_app
from scoreboard.drill import accounts, audit, organizer
from scoreboard.store.config import Settings
from scoreboard.store.models import Base, Event, Solve, Submission, utcnow

ANSWERS = {"Web Server Intrusion": "203.0.113.77", "Beacon Home": "198.51.100.172"}


@pytest.fixture(scope="module")
def server_services(shared_server: Any) -> Any:
    """An in-process app on the server's own database: to create teams without a CLI process each."""
    application = create_app(Settings(instance=shared_server.instance, secret_key="server-test"))
    services = application.extensions["drillboard"]
    yield services
    services.live.stop()
    services.database.engine.dispose()


def fire(n: int, call: Callable[[int], Any]) -> list[Any]:
    """Run ``call`` in n threads released at the same instant."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.mark.parametrize("threads, challenge", [(2, "Web Server Intrusion"), (8, "Beacon Home")])
def test_same_correct_answer_at_once_over_http(shared_server: Any, server_services: Any, threads: int,
                                              challenge: str) -> None:
    team_id, headers = team_with_token(server_services, f"Racers {threads}")
    listing = requests.get(shared_server.base_url + "/api/v1/challenges", headers=headers, timeout=10).json()
    cid = next(c["id"] for c in listing["challenges"] if c["name"] == challenge)
    url = f"{shared_server.base_url}/api/v1/challenges/{cid}/attempts"

    def submit(i: int) -> requests.Response:
        return requests.post(url, json={"answer": ANSWERS[challenge]}, headers=headers, timeout=30)

    responses = fire(threads, submit)
    assert [r.status_code for r in responses] == [200] * threads, [r.text for r in responses]
    verdicts = Counter(r.json()["result"] for r in responses)
    assert verdicts == Counter({"correct": 1, "already_solved": threads - 1})
    points = {r.json()["points"] for r in responses}
    assert len(points) == 1 and points.pop() > 0

    with sqlite3.connect(shared_server.instance / "drillboard.db") as conn:
        solves = conn.execute("select count(*) from solve where team_id = ? and challenge_id = ?",
                              (team_id, cid)).fetchone()[0]
        stored = Counter(v for (v,) in conn.execute(
            "select verdict from submission where team_id = ? and challenge_id = ?", (team_id, cid)))
    assert solves == 1
    assert stored == Counter({"correct": 1, "already_solved": threads - 1})

    board = eventually(lambda: requests.get(shared_server.base_url + "/api/v1/scoreboard", timeout=10).json(),
                       lambda b: any(r["team_id"] == team_id and r["solves"] for r in b["standings"]))["standings"]
    mine = next(r for r in board if r["team_id"] == team_id)
    assert mine["solves"] == 1


# --- PostgreSQL ---------------------------------------------------------------------------

PACK = {"a/challenge.yml": "name: Race\nvalue: 100\nflags: ['DRILL{race}']\n"}


@pytest.fixture
def pg_app(postgres_url: str, tmp_path: Path) -> Any:
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = f"drillboard_test_{uuid.uuid4().hex[:12]}"
    created = False
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created = True
        url = postgres_url.rsplit("/", 1)[0] + "/" + name
    except Exception:  # noqa: BLE001 - no CREATEDB privilege: use a clean schema in the given database
        url = postgres_url
        Base.metadata.drop_all(admin)
    application = create_app(Settings(instance=tmp_path / "pg-instance", secret_key="pg-test", database_url=url,
                                      tick_seconds=0.2))
    application.config["TESTING"] = True
    try:
        yield application
    finally:
        services = application.extensions["drillboard"]
        services.live.stop()
        if not created:
            Base.metadata.drop_all(services.database.engine)
        services.database.engine.dispose()
        if created:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("threads", [2, 8])
def test_same_correct_answer_at_once_on_postgres(pg_app: Any, make_pack: Any, threads: int) -> None:
    services = pg_app.extensions["drillboard"]
    load_pack(services, make_pack({}, files=PACK))
    with services.database.session() as session:
        team = organizer.create_team(session, "Postgres Racers", "KZ", "test")
        token = accounts.new_token(session, team=team)
        team_id = team.id
    headers = {"Authorization": f"Bearer {token}"}
    clients = [pg_app.test_client() for _ in range(threads)]
    cid = clients[0].get("/api/v1/challenges", headers=headers).get_json()["challenges"][0]["id"]

    def submit(i: int) -> Any:
        return clients[i].post(f"/api/v1/challenges/{cid}/attempts", json={"answer": "DRILL{race}"}, headers=headers)

    responses = fire(threads, submit)
    assert [r.status_code for r in responses] == [200] * threads
    assert Counter(r.get_json()["result"] for r in responses) == Counter({"correct": 1, "already_solved": threads - 1})
    with services.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Solve).where(Solve.team_id == team_id)) == 1
        verdicts = Counter(session.scalars(select(Submission.verdict).where(Submission.team_id == team_id)))
    assert verdicts == Counter({"correct": 1, "already_solved": threads - 1})


MANY = {f"m{i}/challenge.yml": f"name: Many {i}\nvalue: 100\nflags: ['DRILL{{many{i}}}']\n" for i in range(4)}


@pytest.mark.postgres
def test_many_writers_at_once_give_a_gap_free_stream_on_postgres(pg_app: Any, make_pack: Any) -> None:
    """Answers committed at once by many threads (no lock is held across a writer's work): every
    solve has one event, observers read seq 1, 2, 3, … without a gap or a repeat, and the audit
    chain, linked after the commits, holds."""
    services = pg_app.extensions["drillboard"]
    load_pack(services, make_pack({}, files=MANY))
    with services.database.session() as session:
        teams = [organizer.create_team(session, f"Writers {i}", "KZ", "test") for i in range(12)]
        tokens = [accounts.new_token(session, team=team) for team in teams]
    services.live.pump.drain()
    seen: list[Any] = []
    services.live.pump.listeners.append(seen.extend)  # what this process's observers are sent, in order
    client = pg_app.test_client()
    headers = {"Authorization": f"Bearer {tokens[0]}"}
    ids = [c["id"] for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]]
    jobs = [(token, cid, i) for token in tokens for i, cid in enumerate(ids)]

    def answer(n: int) -> list[int]:
        """Team n answers every challenge, each team in another order: every challenge is answered
        by several teams at once (the pool holds 30 connections; each thread may use two)."""
        token, statuses = tokens[n], []
        client = pg_app.test_client()
        for i in (ids.index(cid) for cid in ids[n % len(ids):] + ids[:n % len(ids)]):
            for answer in ("nope", f"DRILL{{many{i}}}"):
                statuses.append(client.post(f"/api/v1/challenges/{ids[i]}/attempts", json={"answer": answer},
                                            headers={"Authorization": f"Bearer {token}"}).status_code)
        return statuses

    assert fire(len(tokens), answer) == [[200] * 2 * len(ids)] * len(tokens)
    services.live.pump.drain()
    solves = [row for row in seen if row.kind == "solve"]
    assert len(solves) == len(jobs)
    assert len({(row.payload["team_id"], row.payload["challenge_id"]) for row in solves}) == len(jobs)
    seqs = [row.seq for row in seen if row.seq is not None]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert all(row.payload["seq"] == row.seq for row in seen if row.seq is not None)
    assert [row.pos for row in seen] == sorted(row.pos for row in seen)
    with services.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.pos.is_(None))) == 0
        stored = session.scalars(select(Event.seq).where(Event.seq.is_not(None)).order_by(Event.seq)).all()
        assert stored == list(range(1, len(stored) + 1))
        assert audit.verify(session) == []
        firsts = Counter(row.payload["challenge_id"] for row in solves if row.payload["first_blood"])
    assert firsts == Counter(ids)  # exactly one first blood per challenge


@pytest.mark.postgres
def test_a_slow_writer_holds_up_no_answer_on_postgres(pg_app: Any, make_pack: Any) -> None:
    """An organizer's award written but not yet committed (a worker busy elsewhere between its
    statements) does not make a team's answer wait: nothing orders the two but their commits. Its
    event, once committed, follows the answer's in the stream."""
    services = pg_app.extensions["drillboard"]
    load_pack(services, make_pack({}, files=PACK))
    with services.database.session() as session:
        teams = [organizer.create_team(session, f"Patient {i}", "KZ", "test") for i in range(2)]
        token, other = accounts.new_token(session, team=teams[0]), teams[1].id
    headers = {"Authorization": f"Bearer {token}"}
    client = pg_app.test_client()
    cid = client.get("/api/v1/challenges", headers=headers).get_json()["challenges"][0]["id"]
    slow = services.database.sessions()
    try:
        organizer.award(slow, other, 5, "held open", utcnow(), None)
        answered: list[Any] = []
        thread = threading.Thread(target=lambda: answered.append(client.post(
            f"/api/v1/challenges/{cid}/attempts", json={"answer": "DRILL{race}"}, headers=headers)))
        thread.start()
        thread.join(30)
        assert answered and answered[0].get_json()["result"] == "correct"
        slow.commit()
    finally:
        slow.close()
        thread.join(30)
    with services.database.session() as session:
        kinds = session.scalars(select(Event.kind).where(Event.seq.is_not(None)).order_by(Event.seq)).all()
    assert kinds.index("solve") < kinds.index("award")
