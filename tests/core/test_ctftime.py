"""The CTFtime feed follows ctftime.org/json-scoreboard-feed: tasks, taskStats, lastAccept, ASCII JSON."""
from __future__ import annotations

import json
from typing import Any

from corekit import team_with_token

from scoreboard import packs
from scoreboard.board import ctftime

STANDINGS = [
    {"pos": 1, "team": "Команда «Север»", "team_id": 7, "score": 610},
    {"pos": 2, "team": "红队", "team_id": 3, "score": 300},
    {"pos": 3, "team": "Idle", "team_id": 9, "score": 0},
]
CHALLENGES = [{"id": 1, "name": "Web 300", "category": "Web", "value": 300},
              {"id": 2, "name": "Crypto 300", "category": "Crypto", "value": 300}]
# As the ledger gives them: [team, challenge, time, first blood, points with the bonus].
SOLVES = [[3, 1, "2026-11-25T09:00:00+00:00", True, 310], [7, 1, "2026-11-25T09:30:00+00:00", False, 300],
          [7, 2, "2026-11-25T10:00:00+08:00", True, 310]]


def test_feed_has_tasks_task_stats_and_last_accept() -> None:
    feed = ctftime.feed(STANDINGS, CHALLENGES, SOLVES)
    assert feed == {
        "tasks": ["Web 300", "Crypto 300"],
        "standings": [
            {"pos": 1, "team": "Команда «Север»", "score": 610,
             "taskStats": {"Web 300": {"points": 300, "time": 1795599000},
                           "Crypto 300": {"points": 310, "time": 1795572000}},
             "lastAccept": 1795599000},
            {"pos": 2, "team": "红队", "score": 300,
             "taskStats": {"Web 300": {"points": 310, "time": 1795597200}}, "lastAccept": 1795597200},
            {"pos": 3, "team": "Idle", "score": 0, "taskStats": {}},
        ],
    }


def test_feed_is_ascii_json_with_unicode_escapes() -> None:
    encoded = ctftime.encode(ctftime.feed(STANDINGS, CHALLENGES, SOLVES))
    encoded.decode("ascii")
    assert b"\\u041a\\u043e\\u043c" in encoded and b"\\u7ea2\\u961f" in encoded
    assert json.loads(encoded)["standings"][1]["team"] == "红队"


def test_same_name_in_two_packs_stays_two_tasks() -> None:
    twins = [{"id": 4, "name": "Intro", "value": 50}, {"id": 5, "name": "Intro", "value": 60}]
    assert ctftime.feed([], twins, [])["tasks"] == ["Intro [4]", "Intro [5]"]


def test_the_api_serves_the_full_feed(services: Any, client: Any, make_pack: Any) -> None:
    with services.database.session() as session:
        packs.load(session, make_pack({}, files={"a/challenge.yml": "name: Alpha\nvalue: 100\nflags: ['DRILL{a}']\n"}),
                   services.settings.files_dir)
    _, headers = team_with_token(services, "Équipe Ω")
    challenge_id = client.get("/api/v1/challenges", headers=headers).get_json()["challenges"][0]["id"]
    client.post(f"/api/v1/challenges/{challenge_id}/attempts", json={"answer": "DRILL{a}"}, headers=headers)
    resp = client.get("/api/v1/scoreboard/ctftime")
    resp.data.decode("ascii")
    feed = resp.get_json()
    assert feed["tasks"] == ["Alpha"]
    assert feed["standings"][0]["team"] == "Équipe Ω" and feed["standings"][0]["taskStats"]["Alpha"]["points"] == 100
    assert feed["standings"][0]["lastAccept"] == feed["standings"][0]["taskStats"]["Alpha"]["time"]
