"""The attempt path stays lean: what a submit costs the database, counted statement by statement.

The team behind a token, the drill and the challenge definitions come from per-process caches;
a wrong answer is one INSERT, a correct one the submission, the solve, its audit entry and its
event, after reading the committed clock once under the clock's lock (no solve after the end). The app
runs as when serving (background work on other threads); only the request's own statements
count.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from helpers import load_pack
from sqlalchemy import event

from scoreboard import create_app
from scoreboard.store.config import Settings

PACK = {
    "a/challenge.yml": "name: Lean\nvalue: 100\nflags: ['DRILL{lean}']\n",
    "b/challenge.yml": "name: Other\nvalue: 50\nflags: ['DRILL{other}']\n",
}


@pytest.fixture
def serving_app(tmp_path: Path, make_pack: Any) -> Iterator[Any]:
    app = create_app(Settings(instance=tmp_path / "instance", secret_key="t", tick_seconds=0.2, background=True))
    services = app.extensions["drillboard"]
    load_pack(services, make_pack({}, files=PACK))
    yield app
    services.live.stop()


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    """SQL run by this thread (the request's) while the block runs."""
    seen: list[str] = []
    me = threading.get_ident()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == me:
            seen.append(" ".join(statement.split()))

    engine = app.extensions["drillboard"].database.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_wrong_and_right_answers_cost_what_they_must(serving_app: Any) -> None:
    services = serving_app.extensions["drillboard"]
    _, headers = team_with_token(services, "Lean Team")
    client = serving_app.test_client()
    ids = {c["name"]: c["id"] for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}

    def post(name: str, answer: str) -> dict[str, Any]:
        response = client.post(f"/api/v1/challenges/{ids[name]}/attempts", json={"answer": answer}, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    post("Other", "warm-up")  # the token's owner is read once, then cached
    with statements(serving_app) as wrong:
        assert post("Lean", "DRILL{nope}")["result"] == "incorrect"
    assert len(wrong) == 1 and wrong[0].startswith("INSERT INTO submission"), wrong

    with statements(serving_app) as right:
        assert post("Lean", "DRILL{lean}")["result"] == "correct"
    inserts = [s.split()[2] for s in right if s.startswith("INSERT")]
    assert inserts == ["submission", "solve", "audit", "event"], right  # the solve is signed into the audit log
    reads = [s for s in right if s.startswith("SELECT")]
    # the clock as committed (under the clock's lock: a solve must not slip past the end, whatever this
    # worker's cached clock says), the audit chain's head, the solve count (value and first blood by the
    # ledger's rule, inside the transaction: disabled teams' solves left out in the same statement) and
    # the next place and seq (SQLite places events as written); no read of the token, the answer or the
    # challenge of its own
    tables = [s.split(" FROM ")[1].split()[0].rstrip("),") for s in reads]  # the next place: two subqueries
    assert sorted(tables) == ["audit_head", "drill", "event", "solve"], right
    clock = [s for s in reads if "FROM drill" in s]
    assert clock[0].startswith("SELECT drill.starts_at, drill.ends_at"), right
    assert "team.disabled" in reads[tables.index("solve")], reads
    assert not any(t in s for s in reads for t in ("FROM api_token", "FROM challenge", "FROM answer")), right


def test_the_rate_limit_is_touched_only_outside_the_write_transaction(serving_app: Any) -> None:
    """With Redis the limiter is a round trip; under gevent on SQLite a write transaction waiting on
    it would stall every other writer of the process (SQLite's lock wait does not yield)."""
    services = serving_app.extensions["drillboard"]
    _, headers = team_with_token(services, "Lean Team")
    client = serving_app.test_client()
    ids = {c["name"]: c["id"] for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}
    limiter, calls = services.limiter, []
    engine = services.database.engine
    open_writes: set[Any] = set()
    me = threading.get_ident()  # the request's thread: the app's background work writes on its own

    def wrote(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == me and \
                statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")):
            open_writes.add(conn.connection.dbapi_connection)

    def in_write() -> bool:
        return any(connection.in_transaction for connection in open_writes)

    def watched(name: str) -> Any:
        original = getattr(limiter, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, in_write()))
            return original(*args, **kwargs)
        return call

    event.listen(engine, "after_cursor_execute", wrote)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(limiter, "acquire", watched("acquire"))
            patch.setattr(limiter, "release", watched("release"))
            for answer in ("DRILL{nope}", "DRILL{lean}"):
                response = client.post(f"/api/v1/challenges/{ids['Lean']}/attempts", json={"answer": answer},
                                       headers=headers)
                assert response.status_code == 200, response.get_json()
    finally:
        event.remove(engine, "after_cursor_execute", wrote)
    assert [name for name, _ in calls] == ["acquire", "acquire", "release"], calls  # the right answer's slot is handed back
    assert not any(inside for _, inside in calls), calls
