"""The /live Socket.IO stream against a real ``python app.py`` (DESIGN.md, "Live events").

Observers are python-socketio clients; members log in through /join with requests and open
their socket with the session cookie, as a browser would.
"""
from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from livekit import (ANSWERS, SNAPSHOT_KEYS, SOLVE_KEYS, LiveClient, Member, apply_delta, assert_no_flags,
                     assert_seq_strictly_increasing, attempt, challenge_ids, leaked_flags, scoreboard)

Live = Callable[..., LiveClient]
WEB = "Web Server Intrusion"
RANSOM = "Ransom Note"
DNS = "Whispers over DNS"  # dynamic 500 -> 100, decay 10: the second solve lowers it for the first solver
QUIET = 2.5  # longer than one relay tick (1 s) plus delivery: "nothing arrived" means nothing was sent


def rows_by_team(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["team_id"]: row for row in rows}


def test_snapshot_on_connect(server: Any, live: Live) -> None:
    observer = live(server.base_url)
    snapshot = observer.snapshot
    assert SNAPSHOT_KEYS <= set(snapshot)
    assert isinstance(snapshot["seq"], int) and snapshot["seq"] >= 0
    board = scoreboard(server.base_url)
    assert snapshot["standings"] == board["standings"]
    assert len(snapshot["standings"]) == len(server.first_run["teams"])
    assert snapshot["frozen"] is False is board["frozen"]
    assert snapshot["recent_solves"] == [] and snapshot["announcements"] == []
    assert_no_flags(observer)


def test_solve_then_standings_delta(server: Any, live: Live, join_codes: dict[str, str]) -> None:
    observer = live(server.base_url)
    china = Member(server.base_url, join_codes["Team China"], "li.wei")
    india = Member(server.base_url, join_codes["Team India"], "arjun")
    ids = china.challenge_ids()
    before = observer.snapshot["standings"]
    start_seq = observer.snapshot["seq"]

    verdict = china.attempt(ids[WEB], ANSWERS[WEB])
    assert verdict == {"result": "correct", "points": 110, "first_blood": True}
    solve = observer.wait("solve")
    assert SOLVE_KEYS <= set(solve)
    assert solve["seq"] >= start_seq + 1
    assert (solve["team"], solve["challenge"], solve["points"], solve["first_blood"]) == \
        ("Team China", WEB, 110, True)
    assert datetime.fromisoformat(solve["at"]).tzinfo is not None

    standings = observer.wait("standings", lambda e: e["seq"] > solve["seq"])
    delta = standings["standings"]
    old = rows_by_team(before)
    assert delta, "a solve that changes a score must send the changed row"
    assert all(old.get(row["team_id"]) != row for row in delta), "the delta carries an unchanged row"
    assert len(delta) < len(before), "observers get the changed rows, not the whole board"
    china_row = next(row for row in delta if row["team"] == "Team China")
    assert (china_row["pos"], china_row["score"], china_row["solves"]) == (1, 110, 1)
    assert solve["team_id"] == china_row["team_id"]
    current = apply_delta(before, delta)
    assert current == scoreboard(server.base_url)["standings"]

    # A dynamic challenge: the second solve lowers its value for the first solver too, so the
    # delta must carry both rows.
    mark = observer.mark()
    assert china.attempt(ids[DNS], ANSWERS[DNS])["points"] == 510
    observer.wait("standings", after=mark)
    current = apply_delta(current, observer.since(mark, "standings")[-1]["standings"])
    mark = observer.mark()
    verdict = india.attempt(ids[DNS], ANSWERS[DNS])
    assert verdict == {"result": "correct", "points": 496}
    solve = observer.wait("solve", after=mark)
    assert (solve["team"], solve["points"], solve["first_blood"]) == ("Team India", 496, False)
    delta = observer.wait("standings", after=mark)["standings"]
    assert {row["team"] for row in delta} >= {"Team China", "Team India"}
    assert all(rows_by_team(current).get(row["team_id"]) != row for row in delta)
    current = apply_delta(current, delta)
    assert current == scoreboard(server.base_url)["standings"]
    assert rows_by_team(current)[china_row["team_id"]]["score"] == 110 + 496 + 10

    assert_seq_strictly_increasing(observer)
    assert_no_flags(observer)


def test_resync_returns_fresh_snapshot_matching_scoreboard(server: Any, live: Live,
                                                           join_codes: dict[str, str]) -> None:
    observer = live(server.base_url)
    china = Member(server.base_url, join_codes["Team China"], "li.wei")
    china.attempt(china.challenge_ids()[WEB], ANSWERS[WEB])
    solve = observer.wait("solve")
    observer.wait("standings")

    snapshot = observer.resync()
    assert SNAPSHOT_KEYS <= set(snapshot)
    assert snapshot["seq"] >= solve["seq"]
    assert snapshot["standings"] == scoreboard(server.base_url)["standings"]
    assert snapshot["recent_solves"][0] == solve
    assert snapshot["frozen"] is False
    assert_seq_strictly_increasing(observer)
    assert_no_flags(observer)


@pytest.mark.xfail(strict=True, reason="BUG: the snapshot's seq lags the stream: it is taken when the board is "
                   "re-scored, before the `standings` event of that change is recorded, and `standings` "
                   "is not a board kind so the cached snapshot is never refreshed (board.py snapshot "
                   "seq / live.py rescore); every client then sees a gap at the next event and resyncs")
def test_snapshot_seq_equals_last_emitted_seq(server: Any, live: Live, join_codes: dict[str, str]) -> None:
    observer = live(server.base_url)
    china = Member(server.base_url, join_codes["Team China"], "li.wei")
    china.attempt(china.challenge_ids()[WEB], ANSWERS[WEB])
    observer.wait("standings")
    time.sleep(0.3)
    last = observer.last_seq()

    assert observer.resync()["seq"] == last, "resync snapshot is older than events already received"
    assert live(server.base_url, label="late observer").snapshot["seq"] == last


def test_late_observer_snapshot_plus_deltas_equals_scoreboard(server: Any, live: Live,
                                                              join_codes: dict[str, str]) -> None:
    """A client that joins mid-drill applies its snapshot, then the deltas with a newer seq, and
    ends at the API's standings: no change is lost between the snapshot and the stream."""
    observer = live(server.base_url)
    china = Member(server.base_url, join_codes["Team China"], "li.wei")
    india = Member(server.base_url, join_codes["Team India"], "arjun")
    ids = china.challenge_ids()
    china.attempt(ids[WEB], ANSWERS[WEB])
    observer.wait("standings")
    late = live(server.base_url, label="late observer")
    mark = late.mark()
    india.attempt(ids[RANSOM], ANSWERS[RANSOM])
    late.wait("standings", after=mark)
    rows = late.snapshot["standings"]
    for event in late.since(mark, "standings"):
        if event["seq"] > late.snapshot["seq"]:
            rows = apply_delta(rows, event["standings"])
    assert rows == scoreboard(server.base_url)["standings"]
    assert_seq_strictly_increasing(late)


def test_wrong_answer_emits_no_event(server: Any, live: Live, join_codes: dict[str, str]) -> None:
    observer = live(server.base_url)
    china = Member(server.base_url, join_codes["Team China"], "li.wei")
    member_socket = live(server.base_url, cookie=china.cookie, label="China member")
    ids = china.challenge_ids()
    board = scoreboard(server.base_url)
    start_seq = observer.snapshot["seq"]

    for wrong in ("203.0.113.78", "198.51.100.1", "not an ip"):
        assert china.attempt(ids[WEB], wrong)["result"] == "incorrect"
    time.sleep(QUIET)
    assert observer.kinds_since(1) == [], "a wrong answer must produce no event"
    assert member_socket.kinds_since(1) == []
    assert scoreboard(server.base_url) == board

    # Nothing was stored in the public stream either: the next solve follows the snapshot directly.
    china.attempt(ids[WEB], ANSWERS[WEB])
    assert observer.wait("solve")["seq"] == start_seq + 1
    assert_no_flags(observer, member_socket)


def test_private_notices_reach_only_the_team(server: Any, live: Live, join_codes: dict[str, str]) -> None:
    china_a = Member(server.base_url, join_codes["Team China"], "li.wei")
    china_b = Member(server.base_url, join_codes["Team China"], "zhang.min")
    india = Member(server.base_url, join_codes["Team India"], "arjun")
    teammate = live(server.base_url, cookie=china_a.cookie, label="China teammate")
    other_team = live(server.base_url, cookie=india.cookie, label="India member")
    observer = live(server.base_url)
    ids = china_b.challenge_ids()

    # A teammate's solve.
    china_b.attempt(ids[WEB], ANSWERS[WEB])
    notice = teammate.wait("notice", lambda n: n.get("kind") == "solve")
    assert (notice["challenge"], notice["team"], notice["points"]) == (WEB, "Team China", 110)
    for client in (other_team, observer, teammate):
        client.wait("solve")
        client.wait("standings")

    # A hint unlock (a paid one: it also lowers the public score, which is public).
    detail = china_b.http.get(f"{server.base_url}/api/v1/challenges/{ids[RANSOM]}", timeout=10).json()
    hint = next(h for h in detail["hints"] if h["cost"])
    mark = {client.label: client.mark() for client in (teammate, other_team, observer)}
    unlocked = china_b.unlock(hint["id"])
    assert unlocked["cost"] == 20 and "base64" in unlocked["content"]
    notice = teammate.wait("notice", lambda n: n.get("kind") == "hint_unlocked", after=mark[teammate.label])
    assert (notice["hint_id"], notice["cost"], notice["challenge"]) == (hint["id"], 20, RANSOM)
    for client in (other_team, observer):
        row = client.wait("standings", after=mark[client.label])["standings"]
        assert [(r["team"], r["score"]) for r in row] == [("Team China", 90)]
    time.sleep(0.5)

    for client in (other_team, observer):
        assert "notice" not in [kind for kind, _ in client.events], f"{client.label} got a private notice"
        assert not any(hint["id"] == d.get("hint_id") for _, d in client.events if isinstance(d, dict))
    assert_no_flags(teammate, other_team, observer)


def test_no_flag_in_any_payload(server: Any, live: Live, join_codes: dict[str, str]) -> None:
    china = Member(server.base_url, join_codes["Team China"], "li.wei")
    kazakhstan = Member(server.base_url, join_codes["Team Kazakhstan"], "aigerim")
    clients = [live(server.base_url), live(server.base_url, cookie=china.cookie, label="China member"),
               live(server.base_url, cookie=kazakhstan.cookie, label="Kazakhstan member")]
    ids = china.challenge_ids()
    solved = [name for name in ANSWERS if name in ids]
    assert len(solved) >= 10
    for name in solved:
        for member in (china, kazakhstan):
            result = member.attempt(ids[name], ANSWERS[name].upper() if name == "Leaflet Trace" else ANSWERS[name])
            assert result["result"] == "correct", name
    for client in clients:
        client.wait("solve", lambda s: s["team"] == "Team Kazakhstan" and s["challenge"] == solved[-1], timeout=10)
        client.resync()
    time.sleep(0.5)
    assert_no_flags(*clients)
    for path in ("/board", "/api/v1/scoreboard", "/api/v1/scoreboard/ctftime"):
        assert not leaked_flags(requests.get(server.base_url + path, timeout=10).text), path
    for client in clients:
        assert_seq_strictly_increasing(client)


def test_freeze_hides_solves_and_end_reveals(server: Any, live: Live, join_codes: dict[str, str]) -> None:
    observer = live(server.base_url)
    china = Member(server.base_url, join_codes["Team China"], "li.wei")
    india = Member(server.base_url, join_codes["Team India"], "arjun")
    india_socket = live(server.base_url, cookie=india.cookie, label="India member")
    ids = china.challenge_ids()
    china.attempt(ids[WEB], ANSWERS[WEB])
    observer.wait("standings")
    before = scoreboard(server.base_url)

    mark = observer.mark()
    server.cli("clock", "freeze")
    _, event = observer.wait_any(("freeze", "clock"), lambda e: e.get("frozen") is True, timeout=3, after=mark)
    frozen = scoreboard(server.base_url)
    assert frozen == {"standings": before["standings"], "frozen": True}

    mark, india_mark = observer.mark(), india_socket.mark()
    assert india.attempt(ids[RANSOM], ANSWERS[RANSOM]) == {"result": "correct", "points": 110, "first_blood": True}
    notice = india_socket.wait("notice", lambda n: n.get("kind") == "solve", after=india_mark)
    assert notice["challenge"] == RANSOM, "a team still hears of its own solve during the freeze"
    own = {c["name"]: c["solved"] for c in india.http.get(f"{server.base_url}/api/v1/challenges").json()["challenges"]}
    assert own[RANSOM] is True
    time.sleep(QUIET)
    assert [k for k in observer.kinds_since(mark) if k in ("solve", "standings")] == [], \
        f"the frozen board changed: {observer.since(mark)}"
    assert "solve" not in india_socket.kinds_since(india_mark)
    assert scoreboard(server.base_url) == frozen
    late = live(server.base_url, label="late observer").snapshot
    assert late["frozen"] is True and late["standings"] == frozen["standings"]
    assert all(s["challenge"] != RANSOM for s in late["recent_solves"])

    assert_seq_strictly_increasing(observer)
    mark = observer.mark()
    server.cli("clock", "end")
    observer.wait("clock", lambda e: e.get("frozen") is False and e.get("phase") == "ended", timeout=3, after=mark)
    reveal = observer.wait("standings", lambda e: any(r["team"] == "Team India" for r in e["standings"]),
                           timeout=3, after=mark)
    assert reveal["frozen"] is False
    india_row = next(r for r in reveal["standings"] if r["team"] == "Team India")
    assert (india_row["score"], india_row["solves"]) == (110, 1)
    final = scoreboard(server.base_url)
    assert final["frozen"] is False
    rows = frozen["standings"]
    for event in observer.since(mark, "standings"):
        rows = apply_delta(rows, event["standings"])
    assert rows == final["standings"]
    assert_no_flags(observer, india_socket)
    # The order of the events after the end is checked in test_relayed_cli_events_keep_seq_order.


@pytest.mark.xfail(strict=True, reason="BUG: live.py Live._relay publishes relayed CLI events one by one and "
                   "publish() re-scores synchronously, so the `standings` event recorded for the first "
                   "relayed event (a higher seq) is emitted before the remaining relayed events")
@pytest.mark.parametrize("trigger", ["import-teams", "reveal"])
def test_relayed_cli_events_keep_seq_order(server: Any, live: Live, join_codes: dict[str, str], tmp_path: Path,
                                           trigger: str) -> None:
    observer = live(server.base_url)
    if trigger == "import-teams":
        roster = tmp_path / "teams.csv"
        roster.write_text("name,country\nTeam Mongolia,MN\nTeam Nepal,NP\nTeam Oman,OM\n")
        server.cli("import-teams", str(roster))
        observer.wait("team", lambda e: e["team"] == "Team Oman", timeout=4)
    else:
        india = Member(server.base_url, join_codes["Team India"], "arjun")
        server.cli("clock", "freeze")
        observer.wait("freeze", timeout=3)
        india.attempt(india.challenge_ids()[RANSOM], ANSWERS[RANSOM])
        server.cli("clock", "end")
        observer.wait("standings", lambda e: any(r["team"] == "Team India" for r in e["standings"]), timeout=4)
    time.sleep(1.5)
    assert_seq_strictly_increasing(observer)


@pytest.mark.redis
def test_redis_event_reaches_clients_of_another_server(server_factory: Callable[..., Any], redis_url: str,
                                                       tmp_path: Path, live: Live) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {"DRILLBOARD_REDIS_URL": redis_url, "DRILLBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}"}
    server_a = server_factory(env, name="server-a")
    server_a.cli("load-pack", "challenges/drill-demo")
    team, headers = server_a.team_token("Team Redis", "KZ")
    other, other_headers = server_a.team_token("Team Queue", "UZ")
    server_a.start()
    server_b = server_factory(env, name="server-b").start()
    on_a, on_b = live(server_a.base_url, label="observer on A"), live(server_b.base_url, label="observer on B")
    assert on_a.snapshot["standings"] == on_b.snapshot["standings"]
    ids = challenge_ids(server_a.base_url, headers=headers)

    assert attempt(server_a.base_url, ids[WEB], ANSWERS[WEB], headers=headers)["result"] == "correct"
    solve_b = on_b.wait("solve", lambda s: s["team"] == "Team Redis", timeout=5)
    assert solve_b == on_a.wait("solve", lambda s: s["team"] == "Team Redis", timeout=5)
    assert solve_b["team_id"] == team["id"] and solve_b["points"] == 110
    on_b.wait("standings", lambda e: any(r["team"] == "Team Redis" for r in e["standings"]), timeout=5)
    assert scoreboard(server_b.base_url) == scoreboard(server_a.base_url)

    # And the other way round.
    assert attempt(server_b.base_url, ids[RANSOM], ANSWERS[RANSOM], headers=other_headers)["result"] == "correct"
    on_a.wait("solve", lambda s: s["team"] == "Team Queue", timeout=5)
    assert_seq_strictly_increasing(on_a)
    assert_seq_strictly_increasing(on_b)
    assert_no_flags(on_a, on_b)
