"""Standings deltas name exactly the teams whose rows moved, whichever process publishes each
board (each remembers what it last published and reads the stored rows when another published
since), and an older board is never published after a newer one."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from corekit import team_with_token
from sqlalchemy import select

from scoreboard.board import deltas, snapshot
from scoreboard.core.scoring import CHART_TEAMS
from scoreboard.drill import organizer
from scoreboard.store.models import BoardState, utcnow


def _award_and_build(services: Any, team_id: int, points: int) -> snapshot.Built:
    with services.database.session() as session:
        organizer.award(session, team_id, points, "for the test", utcnow(), None)
    with services.database.session() as session:
        return snapshot.build(session, utcnow())


def _publish(services: Any, built: snapshot.Built, published: deltas.Published) -> dict[str, int] | None:
    with services.database.session() as session:
        event = deltas.publish(session, built, published)
    return None if event is None else {row["team"]: row["score"] for row in event["standings"]}


def test_each_delta_names_the_teams_that_moved_whoever_publishes(services: Any) -> None:
    services.database.publishers.remove(services.live.committed)  # only the two below publish
    alpha, _ = team_with_token(services, "Alpha")
    bravo, _ = team_with_token(services, "Bravo")
    one, two = deltas.Published(), deltas.Published()  # two processes
    with services.database.session() as session:
        start = snapshot.build(session, utcnow())
    assert _publish(services, start, one) == {"Alpha": 0, "Bravo": 0}
    assert _publish(services, _award_and_build(services, alpha, 10), two) == {"Alpha": 10}
    older = _award_and_build(services, bravo, 5)
    newer = _award_and_build(services, bravo, 5)
    assert _publish(services, newer, one) == {"Bravo": 10}  # "one" last saw the start: it reads what "two" wrote
    assert _publish(services, older, two) is None  # never back in time
    assert _publish(services, _award_and_build(services, alpha, 1), one) == {"Alpha": 11}  # from its own memory
    assert _publish(services, _award_and_build(services, alpha, 5), two) == {"Alpha": 16}  # ranks unchanged
    with services.database.session() as session:
        stored = session.scalar(select(BoardState.standings).where(BoardState.id == 1))
    assert {row["team"]: row["score"] for row in stored} == {"Alpha": 16, "Bravo": 10}


def test_a_delta_carries_only_the_chart_steps_a_board_does_not_hold_yet(services: Any) -> None:
    """A defended service adds a step to every team each round: a delta that carried every team's
    whole line would grow all drill long. A row carries the steps after the ``steps_from`` its
    board holds; when history changed (here a late award dated before the others) it carries all."""
    services.database.publishers.remove(services.live.committed)
    alpha, _ = team_with_token(services, "Alpha")
    published = deltas.Published()
    start = utcnow()
    board: dict[int, list[Any]] = {}  # what an observer's page holds, applied as board.js does

    def award(points: int, minutes: int) -> dict[str, Any]:
        with services.database.session() as session:
            organizer.award(session, alpha, points, "for the test", start + timedelta(minutes=minutes), None)
        with services.database.session() as session:
            built = snapshot.build(session, start + timedelta(hours=1))
            event = deltas.publish(session, built, published)
        (row,) = event["standings"]
        kept = board.get(alpha, [])
        board[alpha] = kept[:row["steps_from"]] + row["steps"] if "steps_from" in row else row["steps"]
        assert board[alpha] == next(r.steps for r in built.board.standings if r.team_id == alpha)
        return row

    with services.database.session() as session:
        deltas.publish(session, snapshot.build(session, start), published)
    at = [(start + timedelta(minutes=m)).isoformat() for m in range(4)]
    first = award(10, 1)
    assert (first["steps_from"], first["steps"]) == (0, [[at[1], 10]])
    second = award(5, 2)
    assert (second["steps_from"], second["steps"]) == (1, [[at[2], 15]]), "only the new step"
    earlier = award(1, 0)
    assert "steps_from" not in earlier and earlier["steps"] == [[at[0], 1], [at[1], 11], [at[2], 16]]
    later = award(2, 3)
    assert (later["steps_from"], later["steps"]) == (3, [[at[3], 18]])


def test_only_the_charts_teams_carry_steps_to_observers(services: Any) -> None:
    """The chart draws the first ten teams: a snapshot of a drill of many teams carries their
    lines only, and a team that comes onto the chart brings its whole line; one that leaves it, none."""
    services.database.publishers.remove(services.live.committed)
    teams = [team_with_token(services, f"Team {n:02}")[0] for n in range(1, CHART_TEAMS + 3)]
    with services.database.session() as session:
        for points, team in enumerate(teams, start=1):
            organizer.award(session, team, points * 10, "for the test", utcnow(), None)
    published = deltas.Published()
    with services.database.session() as session:
        deltas.publish(session, snapshot.build(session, utcnow()), published)
        picture = snapshot.take_snapshot(session, utcnow()).as_dict()
    carrying = {row["team"]: "steps" in row for row in picture["standings"]}
    assert carrying == {f"Team {n:02}": n > 2 for n in range(1, CHART_TEAMS + 3)}, "the ten highest only"
    assert len(picture["standings"]) == CHART_TEAMS + 2

    with services.database.session() as session:
        organizer.award(session, teams[0], 1000, "onto the chart", utcnow(), None)
    with services.database.session() as session:
        event = deltas.publish(session, snapshot.build(session, utcnow()), published)
    rows = {row["team"]: row for row in event["standings"]}
    assert "steps_from" not in rows["Team 01"] and [s[1] for s in rows["Team 01"]["steps"]] == [10, 1010]
    assert "steps" not in rows["Team 03"] and rows["Team 03"]["pos"] == CHART_TEAMS + 1, "off the chart now"
