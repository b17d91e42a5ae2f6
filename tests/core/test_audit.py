"""The audit log proves itself: `drill audit-verify` passes on an intact drill and names the first
row that an SQL edit, insert or delete touched — the newest included."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from helpers import load_pack
from sqlalchemy import event, text

from scoreboard import create_app
from scoreboard.board import ledger
from scoreboard.drill import announcements, audit, organizer
from scoreboard.store.config import Settings
from scoreboard.store.models import utcnow

PACK = {
    "a/one/challenge.yml": ("name: One\nvalue: 100\nflags: ['DRILL{one}']\n"
                            "hints: [{content: 'paid', cost: 10}]\n"),
    "a/two/challenge.yml": "name: Two\nvalue: 200\nflags: ['DRILL{two}']\n",
}


@pytest.fixture
def drill(app: Any, services: Any, make_pack: Any) -> Any:
    """A small drill with every kind of score-bearing row and a few organizer actions."""
    load_pack(services, make_pack({}, files=PACK))
    team_id, headers = team_with_token(services, "Audited")
    client = app.test_client()
    ids = {c["name"]: c["id"] for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}
    for name, flag in (("One", "DRILL{one}"), ("Two", "DRILL{two}")):
        client.post(f"/api/v1/challenges/{ids[name]}/attempts", json={"answer": flag}, headers=headers)
    hint = client.get(f"/api/v1/challenges/{ids['One']}", headers=headers).get_json()["hints"][0]["id"]
    assert client.post(f"/api/v1/hints/{hint}/unlock", headers=headers).status_code == 200
    with services.database.session() as session:
        organizer.award(session, team_id, 5, "a good report", utcnow(), None)
        announcements.announce(session, "Hello", "", utcnow(), None)
    return services


def verify(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["drill", "audit-verify"])


def sql(services: Any, statement: str) -> None:
    with services.database.engine.begin() as conn:
        conn.execute(text(statement))


def test_an_intact_log_verifies(app: Any, drill: Any) -> None:
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "audit log intact" in result.output


@pytest.mark.parametrize(("tamper", "named"), [
    ("UPDATE award SET value = 500", "award #1 was changed after it was recorded"),
    ("UPDATE solve SET at = '2020-01-01 00:00:00' WHERE id = 1", "solve #1 was changed"),
    ("INSERT INTO award (team_id, value, reason, at) VALUES (1, 1000, 'sneaky', '2026-01-01 00:00:00')",
     "award #2 has no audit entry"),
    ("DELETE FROM hint_unlock", "hint_unlock #1 was deleted"),
    ("DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)", "the newest audit entries were deleted"),
    ("DELETE FROM audit WHERE id = 2", "does not follow"),
    ("UPDATE audit SET actor = 'someone else' WHERE id = 3", "audit entry #3"),
    ("UPDATE audit_head SET last_id = last_id - 1", "head was edited"),
])
def test_a_tampered_log_names_the_first_bad_row(app: Any, drill: Any, tamper: str, named: str) -> None:
    sql(drill, tamper)
    result = verify(app)
    assert result.exit_code != 0
    assert named in result.output, result.output


def test_the_log_is_keyed_with_a_secret_the_database_does_not_hold(app: Any, drill: Any, tmp_path: Path) -> None:
    other = create_app(Settings(instance=drill.settings.instance, secret_key="another-secret",
                                database_url=drill.settings.database_url))
    result = verify(other)
    assert result.exit_code != 0 and "was edited" in result.output
    other.extensions["drillboard"].live.stop()


def test_the_audit_covers_every_table_the_ledger_counts_points_from(services: Any) -> None:
    """One place names the tables that carry points: a table the ledger's entries are read from
    that the audit log does not cover would let an SQL edit of points pass unseen."""
    read: list[str] = []
    engine = services.database.engine
    listen = lambda _c, _cur, statement, *_a: read.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with services.database.session() as session:
            ledger.entries(session)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    tables = set(re.findall(r"\b(?:FROM|JOIN) (\w+)", " ".join(read)))
    # who, which terms, which challenge, when a detection was accepted, which rounds of service checks
    # were excluded: no points of their own (a refund's points are the deduction row's
    # ``refunded_points``, which the audit covers; excluding a round is an organizer's audited action)
    lookups = {"drill", "team", "challenge", "hint", "detection", "service_round"}
    assert tables - lookups == set(audit.SCORE_ROWS) == {t.__tablename__ for t in ledger.TABLES}
