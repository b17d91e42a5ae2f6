"""The CTFtime scoreboard feed, in CTFtime's documented format (ctftime.org/json-scoreboard-feed).

A pure function of what the board already computed: the standings, the open challenges with
their current values, and the solves in the order they happened. The JSON is ASCII with
``\\uXXXX`` escapes, so team names in any script survive any client.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any


def _task_names(challenges: list[dict[str, Any]]) -> dict[int, str]:
    """Task names are challenge names; two packs may share one, so those carry their id."""
    counts = Counter(c["name"] for c in challenges)
    return {c["id"]: c["name"] if counts[c["name"]] == 1 else f"{c['name']} [{c['id']}]" for c in challenges}


def feed(standings: list[dict[str, Any]], challenges: list[dict[str, Any]], solves: list[list[Any]]) -> dict[str, Any]:
    """``standings`` rows (pos, team, team_id, score); ``challenges`` ({id, name}); ``solves`` as
    the board's grid has them, ``[team_id, challenge_id, ISO time, first blood, points]`` from
    the ledger (points with the first-blood bonus)."""
    names = _task_names(challenges)
    stats: dict[int, dict[str, dict[str, int]]] = {}
    for team_id, challenge_id, at, _first, points in solves:
        if challenge_id in names:
            stats.setdefault(team_id, {})[names[challenge_id]] = {
                "points": points, "time": int(datetime.fromisoformat(at).timestamp())}
    rows = []
    for standing in standings:
        tasks = stats.get(standing["team_id"], {})
        row = {"pos": standing["pos"], "team": standing["team"], "score": standing["score"], "taskStats": tasks}
        if tasks:
            row["lastAccept"] = max(task["time"] for task in tasks.values())
        rows.append(row)
    return {"tasks": list(names.values()), "standings": rows}


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")
