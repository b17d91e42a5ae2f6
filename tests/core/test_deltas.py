"""Standings deltas name exactly the teams whose rows moved, whichever process publishes each
board (each remembers what it last published and reads the stored rows when another published
since), and an older board is never published after a newer one."""
from __future__ import annotations

from typing import Any

from corekit import team_with_token
from sqlalchemy import select

from scoreboard.board import deltas, snapshot
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
