"""One ledger of points: whatever the drill held (solves at decaying values, first bloods, hints,
awards, grades, deductions, detection refunds and voids, a freeze, weights, disabled teams), the replay's last frame,
the standings, every chart's last point and the results export agree; and every change of a ledger
row reaches the public board without waiting for a solve."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from corekit import team_with_token
from helpers import eventually
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from scoreboard import packs
from scoreboard.board import ledger, replay, results, standings
from scoreboard.drill import challenges, deductions, organizer
from scoreboard.drill.accounts import Actor
from scoreboard.store import events
from scoreboard.store.models import (
    Award,
    Challenge,
    Deduction,
    Detection,
    Event,
    Grade,
    Hint,
    HintUnlock,
    Report,
    Solve,
    Team,
    utcnow,
)

NOW = utcnow().replace(microsecond=0)
START = NOW - timedelta(hours=2)
PACK = {
    "web/static": {"name": "Static", "value": 100, "flags": ["DRILL{s}"], "hints": [{"content": "look", "cost": 20}]},
    "web/dynamic": {"name": "Dynamic", "type": "dynamic", "value": 500, "flags": ["DRILL{d}"],
                    "extra": {"initial": 500, "decay": 3, "minimum": 100}},
    "ops/report": {"name": "Report", "type": "report", "value": 60,
                   "rubric": [{"criterion": "Timeline", "points": 60}]},
}


def _load(services: Any, make_pack: Any) -> None:
    with services.database.session() as session:
        packs.load(session, make_pack(PACK, name="drill"), services.settings.files_dir)


def _moment(minute: int) -> Any:
    return START + timedelta(minutes=minute)


# One drill: (kind, team index, minute, number) rows, a freeze minute, weights, disabled teams.
ROW = st.tuples(st.sampled_from(["solve_s", "solve_d", "hint", "award", "grade", "deduction", "void", "detected",
                                 "detected_void"]),
                st.integers(0, 3), st.integers(0, 119), st.integers(1, 80))
DRILLS = st.fixed_dictionaries({
    "rows": st.lists(ROW, max_size=25),
    "freeze": st.one_of(st.none(), st.integers(30, 110)),
    "weights": st.one_of(st.none(), st.fixed_dictionaries(
        {"flags": st.integers(0, 100), "reports": st.integers(0, 100), "deductions": st.integers(0, 100)})),
    "disabled": st.sets(st.integers(0, 3), max_size=2),
    "bonus": st.integers(0, 30),
    "ended": st.booleans(),
    "late": st.booleans(),
})


def _write(session: Any, drill: dict[str, Any], teams: list[int]) -> None:
    """Store the drill's rows directly: the ledger reads rows, whatever path wrote them."""
    for table in (Solve, HintUnlock, Award, Grade, Report, Detection, Deduction):
        session.execute(delete(table))
    ids = {c.name: c.id for c in session.scalars(select(Challenge))}
    hint = session.scalar(select(Hint.id))
    row = events.drill(session)
    row.starts_at, row.first_blood_bonus, row.weights = START, drill["bonus"], drill["weights"]
    row.freeze_at = _moment(drill["freeze"]) if drill["freeze"] is not None else None
    # Ended: the end lifted the freeze; running: now is two hours in, inside any freeze.
    row.ends_at = NOW - timedelta(minutes=1) if drill["ended"] else None
    for team_id in teams:
        session.get(Team, team_id).disabled = teams.index(team_id) in drill["disabled"]
    seen: set[tuple[Any, ...]] = set()
    for kind, index, minute, number in drill["rows"]:
        team, at = teams[index], _moment(minute)
        key = (kind, team) if kind in ("solve_s", "solve_d", "hint", "grade") else (kind, team, minute, number)
        if key in seen:
            continue
        seen.add(key)
        if kind.startswith("solve"):
            session.add(Solve(team_id=team, challenge_id=ids["Static" if kind == "solve_s" else "Dynamic"], at=at))
        elif kind == "hint":
            session.add(HintUnlock(team_id=team, hint_id=hint, at=at))
        elif kind == "award":
            session.add(Award(team_id=team, value=number - 40, reason="r", at=at))
        elif kind == "grade":
            report = Report(team_id=team, challenge_id=ids["Report"], version=1, text="t", at=at)
            session.add(report)
            session.flush()
            session.add(Grade(team_id=team, challenge_id=ids["Report"], report_id=report.id, points=min(number, 60),
                              at=at, released_at=at + timedelta(minutes=1)))
        else:
            _deduction(session, kind, team, at, number)
    if drill["late"] and drill["ended"] and ("solve_d", teams[0]) not in seen:
        # A solve stored after the end never counts.
        session.add(Solve(team_id=teams[0], challenge_id=ids["Dynamic"], at=NOW))
    session.flush()


def _deduction(session: Any, kind: str, team: int, at: Any, number: int) -> None:
    """A deduction; ``detected``: a detection accepted some minutes later gave half back;
    ``*void``: voided later still (after any detection, as the use cases allow)."""
    judged = min(at + timedelta(minutes=number % 7), NOW) if kind.startswith("detected") else None
    voided = min((judged or at) + timedelta(minutes=number % 30), NOW) if kind.endswith("void") else None
    row = Deduction(team_id=team, points=number, reason="r", at=at, voided_at=voided,
                    refunded_points=number // 2 if judged else 0)
    session.add(row)
    if judged:
        session.flush()
        session.add(Detection(deduction_id=row.id, text="seen", at=at, status="accepted", judged_at=judged))


def _counting(session: Any, team_id: int) -> int:
    """What a team's deductions take in the end: each one not voided, less its refund."""
    return sum(row.points - row.refunded_points for row in session.scalars(
        select(Deduction).where(Deduction.team_id == team_id, Deduction.voided_at.is_(None))))


def test_every_view_of_the_points_agrees(services: Any, make_pack: Any) -> None:
    _load(services, make_pack)
    teams = [team_with_token(services, name)[0] for name in ("Alpha", "Bravo", "Charlie", "Delta")]

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(DRILLS)
    def check(drill: dict[str, Any]) -> None:
        with services.database.session() as session:
            _write(session, drill, teams)
            now = utcnow()
            view = ledger.public_view(session, events.clock_of(events.drill(session)), now)
            public = standings.compute(session, view)
            board = [row.as_dict() for row in public.standings]
            for seen in (view, ledger.Visibility(everyone=True)):  # the database's sums = the entries' sums
                summed, read = standings.compute(session, seen), standings.compute(session, seen, ledger.entries(session, seen))
                assert [row.as_dict() for row in summed.standings] == [row.as_dict() for row in read.standings]
                assert summed.counts == read.counts == ledger.solve_counts(session, seen)
            frames = replay.replay(session, now, replay.moment(session, now))
            assert frames["standings"] == board  # the replay's last frame is the public board
            assert {row["team_id"] for row in board} == {t for i, t in enumerate(teams) if i not in drill["disabled"]}
            for row in standings.compute(session, view, ledger.entries(session, view)).standings:
                if row.steps:
                    assert row.steps[-1][1] == row.score  # every chart ends at the score
            for series in frames["series"]:
                assert series["points"][-1][1] == next(r["score"] for r in board if r["team_id"] == series["team_id"])
            exported = json.loads(results.export(session, "json"))["standings"]
            if drill["ended"]:
                assert exported == board  # after the end the freeze is lifted: one truth
                for row in exported:  # a refund and a void each give back only what still counted
                    assert row["breakdown"]["deductions"] == _counting(session, row["team_id"])
            for row in exported:
                report = results.team_report(session, row["team_id"])
                assert report["score"] == row["score"] and report["breakdown"] == {
                    c: row["breakdown"][c] for c in report["breakdown"]}
                itemised = (sum(s["points"] for s in report["solves"]) - sum(h["cost"] for h in report["hints"])
                            + sum(a["value"] for a in report["awards"]))
                assert itemised == row["breakdown"]["flags"]  # the team page's table adds up
            session.rollback()

    check()


def test_the_replay_of_a_drill_shorter_than_a_minute_has_a_final_frame(services: Any, client: Any,
                                                                        make_pack: Any) -> None:
    _load(services, make_pack)
    team, headers = team_with_token(services, "Alpha")
    with services.database.session() as session:
        organizer.set_clock(session, NOW, "test", starts_at=NOW - timedelta(seconds=50), ends_at=NOW - timedelta(seconds=5))
        static = session.scalar(select(Challenge.id).where(Challenge.name == "Static"))
        session.add(Solve(team_id=team, challenge_id=static, at=NOW - timedelta(seconds=20)))
    body = client.get("/api/v1/replay").get_json()
    assert body["minutes"] == 1 and body["standings"][0]["score"] == 100
    assert client.get("/api/v1/replay?minute=1").get_json()["standings"][0]["score"] == 100
    assert client.get("/api/v1/replay?minute=0").get_json()["standings"][0]["score"] == 0


def _scores(services: Any, client: Any) -> tuple[dict[int, int], dict[int, int]]:
    api = {r["team_id"]: r["score"] for r in client.get("/api/v1/scoreboard").get_json()["standings"]}
    snap = {r["team_id"]: r["score"] for r in services.cache.snapshot().as_dict()["standings"]}
    return api, snap


def test_every_ledger_change_reaches_the_public_board_without_a_solve(services: Any, client: Any,
                                                                      make_pack: Any) -> None:
    _load(services, make_pack)
    with services.database.session() as session:
        organizer.set_clock(session, NOW, "test", starts_at=START)
    alpha, headers = team_with_token(services, "Alpha")
    bravo, _ = team_with_token(services, "Bravo")
    static = client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]
    ids = {c["name"]: c["id"] for c in static}
    client.post(f"/api/v1/challenges/{ids['Static']}/attempts", json={"answer": "DRILL{s}"}, headers=headers)
    client.post(f"/api/v1/challenges/{ids['Dynamic']}/attempts", json={"answer": "DRILL{d}"}, headers=headers)

    def expect(want: dict[int, int]) -> None:
        got = eventually(lambda: _scores(services, client), lambda pair: pair[0] == want and pair[1] == want)
        assert got == (want, want)
        # The rebuilt board redraws only the teams whose sums moved: every row's steps are still
        # the ledger's (what the standings deltas send to the charts).
        built = services.cache.current()
        with services.database.session() as session:
            view = ledger.public_view(session, events.clock_of(events.drill(session)), utcnow())
            fresh = standings.compute(session, view, ledger.entries(session, view)).standings
        assert {row.team_id: row.steps for row in built.board.standings} == {row.team_id: row.steps for row in fresh}

    expect({alpha: 600, bravo: 0})
    admin = Actor(user_id=None, user_name="olga", role="admin", team_id=None, team_name=None)
    with services.database.session() as session:  # a hint bought
        hint = session.scalar(select(Hint.id))
        challenges.unlock_hint(session, services.caches.catalog.get(), {ids["Static"]: NOW}, hint, alpha, None, utcnow())
    expect({alpha: 580, bravo: 0})
    with services.database.session() as session:  # an award
        organizer.award(session, bravo, 30, "good catch", utcnow(), None)
    expect({alpha: 580, bravo: 30})
    with services.database.session() as session:  # a deduction, then its void
        row = deductions.record(session, alpha, 50, "phished", "", utcnow(), admin)
        deduction = row.id
    expect({alpha: 530, bravo: 30})
    with services.database.session() as session:
        deductions.void(session, deduction, "disputed", utcnow(), admin)
    expect({alpha: 580, bravo: 30})
    with services.database.session() as session:  # a grade released (stored as the judging path stores it)
        report = Report(team_id=bravo, challenge_id=ids.get("Report") or session.scalar(
            select(Challenge.id).where(Challenge.name == "Report")), version=1, text="t", at=utcnow())
        session.add(report)
        session.flush()
        session.add(Grade(team_id=bravo, challenge_id=report.challenge_id, report_id=report.id, points=40,
                          at=utcnow(), released_at=utcnow()))
        events.record(session, "graded", {"team": "Bravo", "team_id": bravo, "challenge": "Report", "points": 40,
                                          "at": utcnow().isoformat()})
    expect({alpha: 580, bravo: 70})
    changed = {**PACK, "web/static": {**PACK["web/static"], "value": 150}}
    with services.database.session() as session:  # a value change: the pack reloaded
        packs.load(session, make_pack(changed, name="drill"), services.settings.files_dir)
    expect({alpha: 630, bravo: 70})
    with services.database.session() as session:  # a team disabled, then enabled
        organizer.set_team_disabled(session, bravo, True, "olga")
    expect({alpha: 630})
    with services.database.session() as session:
        organizer.set_team_disabled(session, bravo, False, "olga")
    expect({alpha: 630, bravo: 70})


def test_the_verdict_and_the_solve_event_count_as_the_ledger_does(services: Any, client: Any, make_pack: Any) -> None:
    """A disabled team's solve counts nowhere: not in the next solver's value, nor against its
    first blood; the verdict, the live ``solve`` event and the board say the same points."""
    with services.database.session() as session:
        packs.load(session, make_pack(PACK, pack={"id": "drill", "first_blood_bonus": 10}, name="drill"),
                   services.settings.files_dir)
        organizer.set_clock(session, NOW, "test", starts_at=START)
    gone, gone_headers = team_with_token(services, "Gone")
    alpha, alpha_headers = team_with_token(services, "Alpha")
    ids = {c["name"]: c["id"] for c in client.get("/api/v1/challenges", headers=alpha_headers).get_json()["challenges"]}

    def answer(headers: dict[str, str], name: str, flag: str) -> dict[str, Any]:
        response = client.post(f"/api/v1/challenges/{ids[name]}/attempts", json={"answer": flag}, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    for name, flag in (("Static", "DRILL{s}"), ("Dynamic", "DRILL{d}")):
        assert answer(gone_headers, name, flag)["first_blood"] is True
    with services.database.session() as session:
        organizer.set_team_disabled(session, gone, True, "olga")
    verdicts = [answer(alpha_headers, name, flag) for name, flag in (("Static", "DRILL{s}"), ("Dynamic", "DRILL{d}"))]
    # The first counting solves: each at the first solver's value, with the bonus.
    assert verdicts == [{"result": "correct", "points": 110, "first_blood": True},
                        {"result": "correct", "points": 510, "first_blood": True}]
    with services.database.session() as session:
        sent = [e.payload for e in session.scalars(select(Event).where(Event.kind == "solve").order_by(Event.id))]
        assert [(e["team_id"], e["points"], e["first_blood"]) for e in sent[2:]] == [(alpha, 110, True), (alpha, 510, True)]
        row = next(r for r in standings.compute(session).standings if r.team_id == alpha)
        assert row.score == 620
    assert answer(alpha_headers, "Static", "DRILL{s}") == {"result": "already_solved", "points": 110}
