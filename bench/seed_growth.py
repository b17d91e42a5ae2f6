"""Store many solves fast for the growth benchmark: the real submit path, in one process.

    DRILLBOARD_…=… python bench/seed_growth.py FIXTURE.json --solves 20000

Every fixture team answers correctly, in turn, the fixture's challenges it has not solved yet
until the database holds ``--solves`` solves. Each answer goes through ``attempts.submit``
(submission, solve and ``solve`` event rows, as a player's would), a thousand per transaction;
running servers hear of them through the event table like of any other commit. Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import app  # noqa: E402
from scoreboard.drill import attempts  # noqa: E402
from scoreboard.store.models import Solve, utcnow  # noqa: E402
from scoreboard.store.ratelimit import MemoryLimiter  # noqa: E402

BATCH = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fixture", type=Path, help="written by loadgen.py make-fixture")
    parser.add_argument("--solves", type=int, default=20_000, help="solves the database should hold at least")
    args = parser.parse_args()
    fixture = json.loads(args.fixture.read_text())
    services = app.extensions["drillboard"]
    catalog = services.caches.catalog.get()
    ids = {c.name: c.id for c in catalog.challenges.values() if c.name in fixture["flags"]}
    unlimited = MemoryLimiter(1 << 30, 60)  # correct answers only: the limiter is never hit
    began = time.monotonic()
    with services.database.session() as session:
        stored = session.scalar(select(func.count()).select_from(Solve))
        solved = {(team, challenge) for team, challenge in session.execute(select(Solve.team_id, Solve.challenge_id))}
    wanted, added = max(0, args.solves - stored), 0
    pairs = [(team, name) for name in fixture["flags"] for team in fixture["teams"]
             if (team["id"], ids[name]) not in solved]
    while added < wanted and pairs:
        batch = pairs[:min(BATCH, wanted - added)]
        pairs = pairs[len(batch):]
        with services.database.session() as session:
            for team, name in batch:
                attempts.submit(session, catalog, {}, attempts.Attempt(
                    team["id"], team["name"], None, ids[name], fixture["flags"][name], "bench-seed", utcnow()), unlimited)
        added += len(batch)
    print(json.dumps({"solves_before": stored, "added": added, "solves_now": stored + added,
                      "teams": len(fixture["teams"]), "seconds": round(time.monotonic() - began, 1)}))


if __name__ == "__main__":
    main()
