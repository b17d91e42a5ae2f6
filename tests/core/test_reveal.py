"""The closing reveal: a held board stays frozen past the end while organizers see the live one;
each step shows one held change of the team lowest on the public board; refusals write nothing.
And the replay: standings at a chosen minute from the stored rows, never ahead of the public board."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from corekit import team_with_token
from helpers import eventually, load_pack
from sqlalchemy import func, select
from test_concurrency import pg_app  # noqa: F401 - the PostgreSQL drill fixture

from scoreboard.board import results
from scoreboard.core.errors import Refused
from scoreboard.drill import attempts, audit, organizer, reveal
from scoreboard.drill.attempts import Attempt
from scoreboard.store import events
from scoreboard.store.models import AuditEntry, Challenge, Deduction, Event, Grade, Report, Team, utcnow

NOW = utcnow().replace(microsecond=0)
START, FREEZE = NOW - timedelta(hours=3), NOW - timedelta(hours=1)


def minutes(n: int) -> Any:
    return START + timedelta(minutes=n)


def solve(services: Any, team: str, challenge: str, at: Any) -> None:
    """A right answer at a fixed time, through the attempt path (held during the freeze)."""
    with services.database.session() as session:
        team_id = session.scalar(select(Team.id).where(Team.name == team))
        row = session.scalars(select(Challenge).where(Challenge.name == challenge)).one()
        attempt = Attempt(team_id, team, None, row.id, f"DRILL{{{challenge.lower()}}}", "test", at)
        verdict = attempts.submit(session, services.caches.catalog.get(), {}, attempt, services.limiter)
    assert verdict.result == "correct"


@pytest.fixture
def drill(services: Any, make_pack: Any) -> dict[str, Any]:
    return seed(services, make_pack)


def seed(services: Any, make_pack: Any) -> dict[str, int]:
    """Teams Alpha, Bravo, Charlie; X (100) and Y (50). Before the freeze Alpha solved X and Bravo Y;
    during it Charlie and Bravo solved X, then Alpha Y."""
    folder = make_pack({"x": {"name": "X", "value": 100, "flags": ["DRILL{x}"]},
                        "y": {"name": "Y", "value": 50, "flags": ["DRILL{y}"]}})
    load_pack(services, folder)
    with services.database.session() as session:
        organizer.set_clock(session, NOW, "test", starts_at=START, freeze_at=FREEZE)
    teams = {name: team_with_token(services, name)[0] for name in ("Alpha", "Bravo", "Charlie")}
    solve(services, "Alpha", "X", minutes(10))
    solve(services, "Bravo", "Y", minutes(20))
    solve(services, "Charlie", "X", FREEZE + timedelta(minutes=5))
    solve(services, "Bravo", "X", FREEZE + timedelta(minutes=10))
    solve(services, "Alpha", "Y", FREEZE + timedelta(minutes=20))
    return teams


def act(services: Any, function: Any, **kwargs: Any) -> Any:
    with services.database.session() as session:
        return function(session, utcnow(), "Olga", **kwargs)


def end(services: Any) -> None:
    with services.database.session() as session:
        organizer.clock_action(session, "end", utcnow(), "test")


def public(client: Any, services: Any, want: dict[str, int] | None = None) -> dict[str, Any]:
    """/api/v1/scoreboard as observers read it (the background builder may lag a moment)."""
    read = lambda: client.get("/api/v1/scoreboard").get_json()  # noqa: E731
    body = eventually(read, lambda body: want is None or scores(body) == want)
    assert want is None or scores(body) == want
    return body


def scores(body: dict[str, Any]) -> dict[str, int]:
    return {row["team"]: row["score"] for row in body["standings"]}


def written(services: Any) -> tuple[int, int]:
    with services.database.session() as session:
        return (session.scalar(select(func.count()).select_from(Event)),
                session.scalar(select(func.count()).select_from(AuditEntry)))


def test_without_hold_the_end_lifts_the_freeze(services: Any, client: Any, drill: dict[str, int]) -> None:
    assert public(client, services)["frozen"] is True
    end(services)
    body = public(client, services, {"Alpha": 150, "Bravo": 150, "Charlie": 100})
    assert body["frozen"] is False


def test_the_ceremony_reveals_bottom_to_top_one_change_a_step(services: Any, client: Any, app: Any,
                                                              drill: dict[str, int]) -> None:
    act(services, reveal.hold)
    end(services)
    body = public(client, services)
    assert body["frozen"] is True and scores(body) == {"Alpha": 100, "Bravo": 50, "Charlie": 0}
    with services.database.session() as session:
        assert {r["team"]: r["score"] for r in results.final_standings(session)} == {"Alpha": 150, "Bravo": 150,
                                                                             "Charlie": 100}
    assert act(services, reveal.start)["remaining"] == 3

    steps = [act(services, reveal.step) for _ in range(3)]
    assert [s["team"] for s in steps] == ["Charlie", "Bravo", "Alpha"]
    assert [s["remaining"] for s in steps] == [2, 1, 0]
    assert [s["change"] for s in steps] == [{"kind": "solve", "challenge": "X", "points": 100},
                                            {"kind": "solve", "challenge": "X", "points": 100},
                                            {"kind": "solve", "challenge": "Y", "points": 50}]
    assert steps[0]["seq"] < steps[1]["seq"] < steps[2]["seq"]
    with services.database.session() as session:
        kinds = [k for (k,) in session.execute(select(Event.kind).where(Event.kind == "reveal"))]
        actions = [a for (a,) in session.execute(select(AuditEntry.action).where(AuditEntry.actor == "Olga"))]
        assert events.drill(session).reveal == "revealed"
    assert kinds == ["reveal"] * 3
    assert actions == ["reveal.hold", "reveal.start", "reveal.step", "reveal.step", "reveal.step", "reveal.finish"]
    body = public(client, services, {"Alpha": 150, "Bravo": 150, "Charlie": 100})
    assert body["frozen"] is False
    assert app.test_cli_runner().invoke(args=["drill", "audit-verify"]).exit_code == 0


def test_after_one_step_only_that_change_is_public(services: Any, client: Any, drill: dict[str, int]) -> None:
    act(services, reveal.hold)
    end(services)
    act(services, reveal.start)
    act(services, reveal.step)
    body = public(client, services, {"Alpha": 100, "Bravo": 50, "Charlie": 100})
    assert body["frozen"] is True
    assert [row["team"] for row in body["standings"]] == ["Alpha", "Charlie", "Bravo"]
    feed = eventually(lambda: services.cache.snapshot().as_dict()["recent_solves"], lambda rows: len(rows) == 3)
    assert [(row["team"], row["challenge"]) for row in feed] == [("Charlie", "X"), ("Bravo", "Y"), ("Alpha", "X")]


def test_reveal_all_at_once(services: Any, client: Any, drill: dict[str, int]) -> None:
    act(services, reveal.hold)
    end(services)
    act(services, reveal.start)
    act(services, reveal.step)
    assert act(services, reveal.finish)["reveal"] == "revealed"
    assert public(client, services, {"Alpha": 150, "Bravo": 150, "Charlie": 100})["frozen"] is False


@pytest.mark.parametrize("attempt, message", [
    ("start before the end", "after the drill has ended"),
    ("step before the start", "start it first"),
    ("hold after the end", "before the end"),
    ("step without hold", "no reveal under way"),
    ("all without hold", "not held for a reveal"),
])
def test_steps_in_the_wrong_state_are_refused_and_write_nothing(services: Any, drill: dict[str, int],
                                                                attempt: str, message: str) -> None:
    if attempt in ("start before the end", "step before the start"):
        act(services, reveal.hold)
    if attempt != "start before the end":
        end(services)
    before = written(services)
    function = {"start before the end": reveal.start, "step before the start": reveal.step,
                "hold after the end": reveal.hold, "step without hold": reveal.step,
                "all without hold": reveal.finish}[attempt]
    with pytest.raises(Refused, match=message):
        act(services, function)
    assert written(services) == before


def test_cli_runs_the_ceremony(app: Any, services: Any, drill: dict[str, int]) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["drill", "reveal", "hold"]).exit_code == 0
    end(services)
    refused = runner.invoke(args=["drill", "reveal", "step"])
    assert refused.exit_code != 0 and "start it first" in refused.output
    assert runner.invoke(args=["drill", "reveal", "start"]).exit_code == 0
    assert '"team": "Charlie"' in runner.invoke(args=["drill", "reveal", "step"]).output
    assert '"reveal": "revealed"' in runner.invoke(args=["drill", "reveal", "all"]).output


def test_grades_deductions_and_voids_are_held_and_revealed(services: Any, client: Any,
                                                            drill: dict[str, int]) -> None:
    """Rows as the report and red-team paths write them: a grade released during the freeze, a
    deduction made before it and voided during it, and one made during it."""
    with services.database.session() as session:
        x = session.scalar(select(Challenge.id).where(Challenge.name == "X"))
        report = Report(team_id=drill["Charlie"], challenge_id=x, version=1, text="r", at=minutes(30))
        session.add(report)
        session.flush()
        rows = [("grade", Grade(team_id=drill["Charlie"], challenge_id=x, report_id=report.id, points=40,
                                at=minutes(40), released_at=FREEZE + timedelta(minutes=40))),
                ("deduction", Deduction(team_id=drill["Alpha"], points=30, reason="r", at=minutes(50),
                                        voided_at=FREEZE + timedelta(minutes=45), void_reason="v")),
                ("deduction", Deduction(team_id=drill["Bravo"], points=20, reason="r", at=FREEZE + timedelta(minutes=50)))]
        for table, row in rows:
            session.add(row)
            session.flush()
            audit.cover(session, "test", table, table, row.id, {c: getattr(row, c) for c in audit.SCORE_ROWS[table][1]})
    act(services, reveal.hold)
    end(services)
    # Public: the freeze shows Alpha's deduction (not yet voided), nothing of the rest.
    public(client, services, {"Alpha": 70, "Bravo": 50, "Charlie": 0})
    act(services, reveal.start)
    kinds = []
    while True:
        step = act(services, reveal.step)
        if "team" not in step:
            break
        kinds.append((step["team"], step["change"]["kind"], step["change"]["points"]))
        if step["remaining"] == 0:
            break
    assert ("Charlie", "graded", 40) in kinds and ("Alpha", "void", 30) in kinds and ("Bravo", "deduction", -20) in kinds
    assert len(kinds) == 6
    public(client, services, {"Alpha": 150, "Bravo": 130, "Charlie": 140})
    assert app_verifies(services)


def app_verifies(services: Any) -> bool:
    with services.database.session() as session:
        return audit.verify(session) == []


@pytest.mark.postgres
def test_the_ceremony_and_replay_on_postgres(request: Any, make_pack: Any) -> None:
    app = request.getfixturevalue("pg_app")  # skips without DRILLBOARD_TEST_POSTGRES_URL
    services, client = app.extensions["drillboard"], app.test_client()
    seed(services, make_pack)
    act(services, reveal.hold)
    end(services)
    act(services, reveal.start)
    assert act(services, reveal.step)["team"] == "Charlie"
    public(client, services, {"Alpha": 100, "Bravo": 50, "Charlie": 100})
    assert replayed(client, 170)["scores"] == {"Alpha": 100, "Bravo": 50, "Charlie": 100}
    assert [act(services, reveal.step)["team"] for _ in range(2)] == ["Bravo", "Alpha"]
    assert public(client, services, {"Alpha": 150, "Bravo": 150, "Charlie": 100})["frozen"] is False
    assert replayed(client, 135)["order"] == ["Bravo", "Alpha", "Charlie"]


# --- the replay ----------------------------------------------------------------------------------


def replayed(client: Any, minute: int) -> dict[str, Any]:
    body = client.get(f"/api/v1/replay?minute={minute}").get_json()
    return {"scores": scores(body), "order": [row["team"] for row in body["standings"]],
            "feed": [(e["kind"], e.get("team"), e.get("challenge")) for e in body["feed"]], "at": body["at"]}


def test_replay_shows_the_board_at_chosen_minutes(services: Any, client: Any, drill: dict[str, int]) -> None:
    assert replayed(client, 5)["scores"] == {"Alpha": 0, "Bravo": 0, "Charlie": 0}
    at_15 = replayed(client, 15)
    assert at_15["scores"] == {"Alpha": 100, "Bravo": 0, "Charlie": 0}
    assert at_15["feed"] == [("solve", "Alpha", "X")] and at_15["at"] == minutes(15).isoformat()
    at_25 = replayed(client, 25)
    assert at_25["scores"] == {"Alpha": 100, "Bravo": 50, "Charlie": 0}
    assert at_25["feed"] == [("solve", "Bravo", "Y"), ("solve", "Alpha", "X")]
    # During the freeze the replay shows nothing the public board holds back.
    assert replayed(client, 150)["scores"] == at_25["scores"]
    assert replayed(client, 150)["feed"] == at_25["feed"]


def test_replay_after_the_end_shows_the_frozen_minutes(services: Any, client: Any, drill: dict[str, int]) -> None:
    end(services)
    at_135 = replayed(client, 135)
    assert at_135["scores"] == {"Alpha": 100, "Bravo": 150, "Charlie": 100}
    assert at_135["order"] == ["Bravo", "Alpha", "Charlie"]
    assert at_135["feed"][0] == ("solve", "Bravo", "X")


def test_replay_during_the_reveal_never_leaks_what_is_still_held(services: Any, client: Any,
                                                                 drill: dict[str, int]) -> None:
    act(services, reveal.hold)
    end(services)
    act(services, reveal.start)
    act(services, reveal.step)  # Charlie's X is public now; Bravo's and Alpha's solves are not
    assert replayed(client, 170)["scores"] == {"Alpha": 100, "Bravo": 50, "Charlie": 100}


def test_replay_refuses_a_bad_minute_and_the_page_works_without_js(services: Any, client: Any,
                                                                     drill: dict[str, int]) -> None:
    for bad in ("-1", "x", "1.5"):
        reply = client.get(f"/api/v1/replay?minute={bad}")
        assert reply.status_code == 400 and "whole number from 0 to" in reply.get_json()["error"]
    last = client.get("/api/v1/replay?minute=99999").get_json()
    assert last["minute"] == last["minutes"] >= 180  # later than the drill: its last minute
    page = client.get("/replay?minute=25").get_data(as_text=True)
    assert page.index("Alpha") < page.index("Bravo") < page.index("Charlie")
    assert 'value="25"' in page and "Bravo solved Y" in page


def test_replay_before_the_start_says_there_is_nothing_yet(client: Any) -> None:
    reply = client.get("/api/v1/replay")
    assert reply.status_code == 404 and "not started" in reply.get_json()["error"]
    assert "not started" in client.get("/replay").get_data(as_text=True)
