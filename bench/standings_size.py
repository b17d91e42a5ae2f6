"""What the live board's standings weigh on a long drill: the snapshot an observer gets on
connecting, the ``standings`` event of one round and the published board the workers rewrite
each round (``board_state``), when every team's score changes every round (a defended service's check earns points each round, so each round adds a chart step to
every team).

    .venv/bin/python bench/standings_size.py [--teams 200] [--rounds 500]
    PYTHONPATH=/tmp/before .venv/bin/python bench/standings_size.py   # another checkout, same rows

A new SQLite instance with the teams, one award per team and round (10 s apart, as the demo's
rounds), the board published, then one more round published. Prints JSON: bytes of the encoded
snapshot, of the round's event and of the stored board. Only sizes, so one process and no server; the code measured
is the one imported.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1]))  # this checkout, after any PYTHONPATH
ROUND = timedelta(seconds=10)


def _award_round(services: Any, teams: list[int], start: Any, number: int) -> None:
    from scoreboard.store.models import Award

    with services.database.session() as session:
        for n, team_id in enumerate(teams):
            session.add(Award(team_id=team_id, value=1 + n % 3, reason="round", at=start + number * ROUND))
        session.commit()


def measure(teams: int, rounds: int) -> dict[str, int]:
    """Bytes of the snapshot after ``rounds`` rounds, and of the event that publishes one more."""
    os.environ["DRILLBOARD_INSTANCE"] = tempfile.mkdtemp(prefix="standings-size-")
    from sqlalchemy import select

    from scoreboard import create_app
    from scoreboard.board import deltas, snapshot
    from scoreboard.drill import organizer
    from scoreboard.store.models import Award, BoardState, utcnow

    services = create_app().extensions["drillboard"]
    start = utcnow() - rounds * ROUND - timedelta(minutes=5)
    with services.database.session() as session:
        ids = [organizer.create_team(session, f"Team {n:03}", "KZ", "bench").id for n in range(teams)]
        session.commit()
    with services.database.session() as session:  # every round's rows at once: only sizes matter
        session.add_all(Award(team_id=team_id, value=1 + n % 3, reason="round", at=start + number * ROUND)
                        for number in range(rounds) for n, team_id in enumerate(ids))
        session.commit()
    published = deltas.Published()
    with services.database.session() as session:
        deltas.publish(session, snapshot.build(session, utcnow()), published)
        session.commit()
        picture = snapshot.take_snapshot(session, utcnow()).encoded()
    _award_round(services, ids, start, rounds)
    with services.database.session() as session:
        event = deltas.publish(session, snapshot.build(session, utcnow()), published)
        session.commit()
        kept = session.scalar(select(BoardState.standings))  # rewritten every round
    return {"teams": teams, "rounds": rounds, "snapshot_bytes": len(picture),
            "round_event_bytes": len(json.dumps(event)) if event else 0, "board_state_bytes": len(json.dumps(kept))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    os.environ.setdefault("DRILLBOARD_DEMO", "0")
    print(json.dumps(measure(args.teams, args.rounds)), flush=True)


if __name__ == "__main__":
    main()
