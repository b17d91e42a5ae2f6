"""What rebuilding the public board costs on a big drill: ``snapshot.build`` (the standings,
after every burst of changes) and ``snapshot.take_snapshot`` (feed, chart and grid, once per
standings an observer asks for), timed in one process on a stored drill: cold, and after one
more solve (what the background builder does all day).

    .venv/bin/python bench/ledger_cost.py seed INSTANCE [--teams 1000] [--solves 20000]
    .venv/bin/python bench/ledger_cost.py time INSTANCE [--runs 5]

``seed`` writes the rows straight into a new SQLite instance (a 40-challenge pack, half of it
dynamic, with hints; the teams; solves spread over two hours; some hints bought, awards,
deductions with voids): only the reads are measured, so no row needs the submit path. ``time``
reads them with the code it is run with (``PYTHONPATH`` pointing at another checkout times that
one on the same rows); the solves it adds are rolled back. Prints JSON: the best and the median
of ``--runs`` builds, in ms.
"""
from __future__ import annotations

import argparse
import inspect
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select

from scoreboard import create_app, packs
from scoreboard.board import snapshot
from scoreboard.store import events
from scoreboard.store.config import Settings
from scoreboard.store.models import Award, Challenge, Deduction, Hint, HintUnlock, Solve, Team, utcnow

CHALLENGES = 40


def _pack(folder: Path) -> Path:
    for n in range(CHALLENGES):
        spec = {"name": f"C{n:02d}", "category": f"cat{n % 5}", "value": 100 + 10 * n, "flags": [f"DRILL{{{n}}}"],
                "hints": [{"content": "look closer", "cost": 10}]}
        if n % 2:
            spec |= {"type": "dynamic", "extra": {"initial": 500, "decay": 200, "minimum": 100}}
        (folder / f"c{n:02d}").mkdir(parents=True)
        (folder / f"c{n:02d}" / "challenge.yml").write_text(yaml.safe_dump(spec))
    (folder / "pack.yml").write_text(yaml.safe_dump({"id": "ledger-bench", "title": "Ledger bench",
                                                     "first_blood_bonus": 10}))
    return folder


def seed(instance: Path, teams: int, solves: int) -> dict[str, int]:
    app = create_app(Settings(instance=instance, secret_key="bench"))
    services = app.extensions["drillboard"]
    rng = random.Random(21)
    now = utcnow().replace(microsecond=0)
    start = now - timedelta(hours=2)
    with tempfile.TemporaryDirectory() as tmp, services.database.session() as session:
        packs.load(session, _pack(Path(tmp) / "pack"), services.settings.files_dir)
        events.drill(session).starts_at = start
        session.execute(insert(Team), [{"name": f"Team {i}", "name_key": f"team {i}", "country": "KZ",
                                        "join_code": f"code{i:06d}"} for i in range(teams)])
        team_ids = list(session.scalars(select(Team.id)))
        challenge_ids = list(session.scalars(select(Challenge.id)))
        hints = dict(session.execute(select(Hint.challenge_id, Hint.id)).all())
        pairs = rng.sample([(t, c) for t in team_ids for c in challenge_ids], min(solves, teams * CHALLENGES))
        moments = sorted(start + timedelta(seconds=rng.randrange(7200)) for _ in pairs)
        session.execute(insert(Solve), [{"team_id": t, "challenge_id": c, "at": at}
                                        for (t, c), at in zip(pairs, moments, strict=True)])
        bought = pairs[: len(pairs) // 10]
        session.execute(insert(HintUnlock), [{"team_id": t, "hint_id": hints[c], "at": start + timedelta(minutes=5)}
                                             for t, c in bought])
        session.execute(insert(Award), [{"team_id": t, "value": 25, "reason": "bench", "at": now}
                                        for t in team_ids[::20]])
        session.execute(insert(Deduction), [{"team_id": t, "points": 40, "reason": "bench", "evidence": "",
                                             "at": now - timedelta(minutes=30),
                                             "voided_at": now if i % 2 else None}
                                            for i, t in enumerate(team_ids[::10])])
    services.live.stop()
    return {"teams": teams, "solves": len(pairs), "hints_bought": len(bought)}


def _timed(runs: int, work: Callable[[], object], before: Callable[[], object] = lambda: None) -> dict[str, float]:
    spent = []
    for _ in range(runs):
        before()
        began = time.perf_counter()
        work()
        spent.append((time.perf_counter() - began) * 1000)
    return {"best_ms": round(min(spent), 1), "median_ms": round(statistics.median(spent), 1)}


def _after_solves(session: Any, now: Any, kind: str, runs: int) -> dict[str, float]:
    """Rebuilds, each after one more solve of a ``kind`` challenge by a team without one."""
    solved = set(session.execute(select(Solve.team_id, Solve.challenge_id)).all())
    teams = list(session.scalars(select(Team.id)))
    pairs = iter([(t, c) for c in session.scalars(select(Challenge.id).where(Challenge.scoring == kind))
                  for t in teams if (t, c) not in solved])
    kept = [snapshot.build(session, now)]
    incremental = "previous" in inspect.signature(snapshot.build).parameters

    def solve() -> None:
        team, challenge = next(pairs)
        session.add(Solve(team_id=team, challenge_id=challenge, at=now))
        session.flush()

    def rebuild() -> None:
        kept[0] = snapshot.build(session, now, kept[0]) if incremental else snapshot.build(session, now)

    return _timed(runs, rebuild, solve)


def measure(instance: Path, runs: int) -> dict[str, object]:
    """Cold: a build with nothing built before (a process starting, the freeze). After a solve:
    the rebuild the background task makes after one more solve of a static or a dynamic
    challenge (older code, which takes no previous board, rebuilds cold)."""
    app = create_app(Settings(instance=instance, secret_key="bench"))
    services = app.extensions["drillboard"]
    try:
        with services.database.session() as session:
            now = utcnow()
            result: dict[str, object] = {"build_cold": _timed(runs, lambda: snapshot.build(session, now))}
            for kind in ("standard", "dynamic"):
                result[f"build_after_a_{kind}_solve"] = _after_solves(session, now, kind, runs)
            result["take_snapshot"] = _timed(runs, lambda: snapshot.take_snapshot(session, now))
            result["top"] = [(row.team, row.score) for row in snapshot.build(session, now).board.standings[:3]]
            session.rollback()
    finally:
        services.live.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("seed", "time"))
    parser.add_argument("instance", type=Path)
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--solves", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.action == "seed":
        if args.instance.exists():
            sys.exit(f"{args.instance} exists: seed a new instance")
        print(json.dumps(seed(args.instance, args.teams, args.solves)))
    else:
        print(json.dumps(measure(args.instance, args.runs)))


if __name__ == "__main__":
    main()
