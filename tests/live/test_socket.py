"""The /live Socket.IO stream against a real ``python app.py`` (DESIGN.md, "Live events").

Observers are python-socketio clients; members join through /join with requests and open their
socket with the session cookie, as a browser does. Tests on ``shared_server`` each use their
own teams and challenges and read expectations from the API, so they run in any order.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from livekit import (
    ANSWERS,
    SNAPSHOT_KEYS,
    SOLVE_KEYS,
    LiveClient,
    apply_delta,
    assert_no_flags,
    assert_seq_strictly_increasing,
    attempt,
    challenge_ids,
    heard_everything,
    join,
    leaked_flags,
    max_seq,
    scoreboard,
)

Live = Callable[..., LiveClient]
QUIET = 2.5  # longer than one relay tick (1 s) plus delivery: "nothing arrived" means nothing was sent


def rows_by_team(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["team_id"]: row for row in rows}


def row_of(rows: list[dict[str, Any]], team: str) -> dict[str, Any]:
    return next(row for row in rows if row["team"] == team)


def test_snapshot_on_connect(shared_server: Any, live: Live) -> None:
    observer = live(shared_server.base_url)
    snapshot = observer.snapshot
    assert SNAPSHOT_KEYS <= set(snapshot)
    assert isinstance(snapshot["seq"], int) and snapshot["seq"] > 0
    board = scoreboard(shared_server.base_url)
    assert snapshot["standings"] == board["standings"]
    assert len(snapshot["standings"]) >= len(shared_server.first_run["teams"])
    assert snapshot["frozen"] is False is board["frozen"]
    assert isinstance(snapshot["recent_solves"], list) and isinstance(snapshot["announcements"], list)
    assert all(SOLVE_KEYS <= set(solve) for solve in snapshot["recent_solves"])
    assert_no_flags(observer)


def test_solve_then_standings_delta(shared_server: Any, live: Live) -> None:
    base = shared_server.base_url
    observer = live(base)
    china, india = join(shared_server, "Team China"), join(shared_server, "Team India")
    ids = china.challenge_ids()
    web, dns = "Web Server Intrusion", "Whispers over DNS"  # DNS is dynamic 500 -> 100, decay 10
    before = observer.snapshot["standings"]
    start_seq = observer.snapshot["seq"]

    verdict = china.attempt(ids[web], ANSWERS[web])
    assert verdict == {"result": "correct", "points": 110, "first_blood": True}
    solve = observer.wait("solve")
    assert SOLVE_KEYS <= set(solve)
    assert solve["seq"] >= start_seq + 1
    assert (solve["team"], solve["challenge"], solve["points"], solve["first_blood"]) == ("Team China", web, 110, True)
    assert datetime.fromisoformat(solve["at"]).tzinfo is not None

    standings = observer.wait("standings", lambda e: e["seq"] > solve["seq"])
    delta = standings["standings"]
    assert delta, "a solve that changes a score must send the changed row"
    assert all(rows_by_team(before).get(row["team_id"]) != row for row in delta), "the delta repeats an unchanged row"
    assert len(delta) < len(before), "observers get the changed rows, not the whole board"
    china_row = row_of(delta, "Team China")
    assert (china_row["score"], china_row["solves"], china_row["team_id"]) == (110, 1, solve["team_id"])
    current = apply_delta(before, delta)
    assert current == scoreboard(base)["standings"]

    # A dynamic challenge: the second solve lowers its value for the first solver too, so the
    # delta carries both rows.
    mark = observer.mark()
    assert china.attempt(ids[dns], ANSWERS[dns]) == {"result": "correct", "points": 510, "first_blood": True}
    current = apply_delta(current, observer.wait("standings", after=mark)["standings"])
    mark = observer.mark()
    assert india.attempt(ids[dns], ANSWERS[dns]) == {"result": "correct", "points": 496}
    solve = observer.wait("solve", after=mark)
    assert (solve["team"], solve["points"], solve["first_blood"]) == ("Team India", 496, False)
    delta = observer.wait("standings", after=mark)["standings"]
    assert {row["team"] for row in delta} >= {"Team China", "Team India"}
    assert all(rows_by_team(current).get(row["team_id"]) != row for row in delta)
    current = apply_delta(current, delta)
    assert current == scoreboard(base)["standings"]
    assert row_of(current, "Team China")["score"] == 110 + 496 + 10

    assert_seq_strictly_increasing(observer)
    assert_no_flags(observer)


def test_resync_returns_fresh_snapshot_matching_scoreboard(shared_server: Any, live: Live) -> None:
    observer = live(shared_server.base_url)
    russia = join(shared_server, "Team Russia")
    russia.attempt(russia.challenge_ids()["Beacon Home"], ANSWERS["Beacon Home"])
    solve = observer.wait("solve")
    observer.wait("standings")

    snapshot = observer.resync()
    assert SNAPSHOT_KEYS <= set(snapshot)
    assert snapshot["seq"] >= solve["seq"]
    assert snapshot["standings"] == scoreboard(shared_server.base_url)["standings"]
    assert snapshot["recent_solves"][0] == solve
    assert snapshot["frozen"] is False
    assert_seq_strictly_increasing(observer)
    assert_no_flags(observer)


def test_snapshot_seq_equals_last_emitted_seq(shared_server: Any, live: Live) -> None:
    observer = live(shared_server.base_url)
    pakistan = join(shared_server, "Team Pakistan")
    pakistan.attempt(pakistan.challenge_ids()["Dead Drop Note"], ANSWERS["Dead Drop Note"])
    observer.wait("standings")
    last = heard_everything(observer, shared_server)

    assert observer.resync()["seq"] == last, "the resync snapshot is older than events already received"
    assert live(shared_server.base_url, label="late observer").snapshot["seq"] == last


def test_late_observer_snapshot_plus_deltas_equals_scoreboard(shared_server: Any, live: Live) -> None:
    """A client joining mid-drill applies its snapshot, then the deltas with a newer seq, and
    ends at the API's standings: no change falls between the snapshot and the stream."""
    base = shared_server.base_url
    observer = live(base)
    tajikistan, uzbekistan = join(shared_server, "Team Tajikistan"), join(shared_server, "Team Uzbekistan")
    ids = tajikistan.challenge_ids()
    tajikistan.attempt(ids["Leaflet Trace"], ANSWERS["Leaflet Trace"])
    observer.wait("standings", lambda e: any(r["team"] == "Team Tajikistan" for r in e["standings"]))
    late = live(base, label="late observer")
    mark = late.mark()
    archive = "Seized Laptop: Disguised Archive"
    uzbekistan.attempt(ids[archive], ANSWERS[archive].upper())  # hex answers in any case
    late.wait("standings", lambda e: any(r["team"] == "Team Uzbekistan" for r in e["standings"]), after=mark)
    rows = late.snapshot["standings"]
    for event in late.since(mark, "standings"):
        if event["seq"] > late.snapshot["seq"]:
            rows = apply_delta(rows, event["standings"])
    assert rows == scoreboard(base)["standings"]
    assert_seq_strictly_increasing(late)


def test_wrong_answer_emits_no_event(shared_server: Any, live: Live) -> None:
    base = shared_server.base_url
    observer = live(base)
    belarus = join(shared_server, "Team Belarus")
    member_socket = live(base, cookie=belarus.cookie, label="Belarus member")
    challenge = belarus.challenge_ids()["Seized Laptop: Shell History"]
    board = scoreboard(base)
    stored = max_seq(shared_server)

    for wrong in ("contacts_cell4.ods", "routes_q4.kml,funding_sept.xlsx", "nothing"):
        assert belarus.attempt(challenge, wrong)["result"] == "incorrect"
    time.sleep(QUIET)
    assert observer.kinds_since(1) == [], "a wrong answer must produce no event"
    assert member_socket.kinds_since(1) == []
    assert scoreboard(base) == board
    assert max_seq(shared_server) == stored, "a wrong answer must not enter the public stream"

    belarus.attempt(challenge, "funding_sept.xlsx, routes_q4.kml, contacts_cell4.ods")
    assert observer.wait("solve")["seq"] == stored + 1
    assert_no_flags(observer, member_socket)


def test_private_notices_reach_only_the_team(shared_server: Any, live: Live) -> None:
    base = shared_server.base_url
    iran_a, iran_b = join(shared_server, "Team Iran"), join(shared_server, "Team Iran")
    kyrgyzstan = join(shared_server, "Team Kyrgyzstan")
    teammate = live(base, cookie=iran_a.cookie, label="Iran teammate")
    other_team = live(base, cookie=kyrgyzstan.cookie, label="Kyrgyzstan member")
    observer = live(base)
    ids = iran_b.challenge_ids()

    # A teammate's solve.
    verdict = iran_b.attempt(ids["Ransom Note"], ANSWERS["Ransom Note"])
    notice = teammate.wait("notice", lambda n: n.get("kind") == "solve")
    assert (notice["challenge"], notice["team"], notice["points"]) == ("Ransom Note", "Team Iran", verdict["points"])
    for client in (other_team, observer, teammate):
        client.wait("solve")
        client.wait("standings")

    # A teammate's hint unlock (a paid one: the lower score itself is public).
    detail = iran_b.http.get(f"{base}/api/v1/challenges/{ids['Web Server Intrusion']}", timeout=10).json()
    hint = next(h for h in detail["hints"] if h["cost"])
    score = row_of(scoreboard(base)["standings"], "Team Iran")["score"]
    marks = {client.label: client.mark() for client in (teammate, other_team, observer)}
    unlocked = iran_b.unlock(hint["id"])
    assert unlocked["cost"] == hint["cost"] and "media.php" in unlocked["content"]
    notice = teammate.wait("notice", lambda n: n.get("kind") == "hint_unlocked", after=marks[teammate.label])
    assert (notice["hint_id"], notice["cost"], notice["challenge"]) == (hint["id"], hint["cost"], "Web Server Intrusion")
    for client in (other_team, observer):
        delta = client.wait("standings", after=marks[client.label])["standings"]
        assert row_of(delta, "Team Iran")["score"] == score - hint["cost"]
    time.sleep(0.5)

    for client in (other_team, observer):
        assert "notice" not in [kind for kind, _ in client.events], f"{client.label} got a private notice"
        assert not any(isinstance(d, dict) and d.get("hint_id") == hint["id"] for _, d in client.events)
    assert_no_flags(teammate, other_team, observer)


def test_no_flag_in_any_payload(shared_server: Any, live: Live) -> None:
    base = shared_server.base_url
    kazakhstan, kyrgyzstan = join(shared_server, "Team Kazakhstan"), join(shared_server, "Team Kyrgyzstan")
    clients = [live(base), live(base, cookie=kazakhstan.cookie, label="Kazakhstan member"),
               live(base, cookie=kyrgyzstan.cookie, label="Kyrgyzstan member")]
    ids = kazakhstan.challenge_ids()
    solved = [name for name in ANSWERS if name in ids]
    assert len(solved) >= 10
    for name in solved:
        for member in (kazakhstan, kyrgyzstan):
            answer = ANSWERS[name].upper() if name == "Leaflet Trace" else ANSWERS[name]  # case-insensitive flag
            assert member.attempt(ids[name], answer)["result"] == "correct", name
    for client in clients:
        client.wait("solve", lambda s: s["team"] == "Team Kyrgyzstan" and s["challenge"] == solved[-1], timeout=10)
        client.resync()
    time.sleep(0.5)
    assert_no_flags(*clients)
    assert any(kind == "notice" for kind, _ in clients[1].events)
    for path in ("/board", "/api/v1/scoreboard", "/api/v1/scoreboard/ctftime"):
        assert not leaked_flags(kazakhstan.http.get(base + path, timeout=10).text), path
    for client in clients:
        assert_seq_strictly_increasing(client)




def test_relayed_cli_events_keep_seq_order_import_teams(shared_server: Any, live: Live, tmp_path: Path) -> None:
    observer = live(shared_server.base_url)
    roster = tmp_path / "teams.csv"
    roster.write_text("name,country\nTeam Mongolia,MN\nTeam Nepal,NP\nTeam Oman,OM\n")
    shared_server.cli("import-teams", str(roster))
    observer.wait("team", lambda e: e["team"] == "Team Oman", timeout=4)
    heard_everything(observer, shared_server)
    assert_seq_strictly_increasing(observer)


def test_freeze_hides_solves_and_end_reveals(server: Any, live: Live) -> None:
    base = server.base_url
    observer = live(base)
    china, india = join(server, "Team China"), join(server, "Team India")
    india_socket = live(base, cookie=india.cookie, label="India member")
    ids = china.challenge_ids()
    china.attempt(ids["Web Server Intrusion"], ANSWERS["Web Server Intrusion"])
    observer.wait("standings")
    before = scoreboard(base)

    mark = observer.mark()
    server.cli("clock", "freeze")
    observer.wait_any(("freeze", "clock"), lambda e: e.get("frozen") is True, timeout=4, after=mark)
    frozen = scoreboard(base)
    assert frozen == {"standings": before["standings"], "frozen": True}

    mark, india_mark = observer.mark(), india_socket.mark()
    # The verdict tells nothing the frozen board hides: no first blood, the public value.
    assert india.attempt(ids["Ransom Note"], ANSWERS["Ransom Note"]) == {"result": "correct", "points": 100}
    notice = india_socket.wait("notice", lambda n: n.get("kind") == "solve", after=india_mark)
    assert notice["challenge"] == "Ransom Note", "a team still hears of its own solve during the freeze"
    own = india.http.get(f"{base}/api/v1/challenges", timeout=10).json()["challenges"]
    assert next(c for c in own if c["name"] == "Ransom Note")["solved"] is True
    time.sleep(QUIET)
    assert [k for k in observer.kinds_since(mark) if k in ("solve", "standings")] == [], \
        f"the frozen board changed: {observer.since(mark)}"
    assert "solve" not in india_socket.kinds_since(india_mark)
    assert scoreboard(base) == frozen
    late = live(base, label="late observer").snapshot
    assert late["frozen"] is True and late["standings"] == frozen["standings"]
    assert all(s["challenge"] != "Ransom Note" for s in late["recent_solves"])
    assert_seq_strictly_increasing(observer)

    mark = observer.mark()
    server.cli("clock", "end")
    observer.wait("clock", lambda e: e.get("frozen") is False and e.get("phase") == "ended", timeout=4, after=mark)
    reveal = observer.wait("standings", lambda e: any(r["team"] == "Team India" for r in e["standings"]),
                           timeout=4, after=mark)
    assert reveal["frozen"] is False
    assert (row_of(reveal["standings"], "Team India")["score"], row_of(reveal["standings"], "Team India")["solves"]) \
        == (110, 1)
    final = scoreboard(base)
    assert final["frozen"] is False
    rows = frozen["standings"]
    for event in observer.since(mark, "standings"):
        rows = apply_delta(rows, event["standings"])
    assert rows == final["standings"]
    assert_no_flags(observer, india_socket)
    # The order of the events after the end: test_relayed_cli_events_keep_seq_order_reveal.


def test_relayed_cli_events_keep_seq_order_reveal(server: Any, live: Live) -> None:
    observer = live(server.base_url)
    india = join(server, "Team India")
    server.cli("clock", "freeze")
    observer.wait("freeze", timeout=3)
    india.attempt(india.challenge_ids()["Ransom Note"], ANSWERS["Ransom Note"])
    server.cli("clock", "end")
    observer.wait("standings", lambda e: any(r["team"] == "Team India" for r in e["standings"]), timeout=4)
    heard_everything(observer, server)
    assert_seq_strictly_increasing(observer)


def test_concurrent_committers_keep_seq_gapless_and_ordered(server: Any, live: Live) -> None:
    """Solves and announcements committed at once from many threads reach observers in seq order,
    every one of them, with no gap: nobody is sent back for a snapshot."""
    from concurrent.futures import ThreadPoolExecutor

    observers = [live(server.base_url, label=f"observer {i}") for i in range(3)]
    teams = [row["name"] for row in server.first_run["teams"]][:8]
    members = [join(server, team) for team in teams]
    ids = members[0].challenge_ids()
    open_now = [name for name in ANSWERS if name in ids and name != "Webshell Location"][:5]
    work = [(member, name) for member in members for name in open_now]

    def solve(item: tuple[Any, str]) -> str:
        member, name = item
        return member.attempt(ids[name], ANSWERS[name])["result"]

    def create_team(i: int) -> None:
        server.cli("create-team", f"Late Team {i}", "--country", "KZ")  # another process commits too

    with ThreadPoolExecutor(16) as pool:
        late = [pool.submit(create_team, i) for i in range(2)]
        results = list(pool.map(solve, work))
        for future in late:
            future.result()
    assert results.count("correct") == len(work)
    for observer in observers:
        heard_everything(observer, server, timeout=10)
    time.sleep(0.5)
    for observer in observers:
        seqs = [event["seq"] for _, event in observer.public()]
        start = observer.snapshot["seq"]
        assert seqs == list(range(start + 1, start + 1 + len(seqs))), f"{observer.label}: {seqs}"
        solved = {(e["team"], e["challenge"]) for e in observer.since(0, "solve")}
        assert solved == {(m_team, name) for m_team in teams for name in open_now}
        assert {e["team"] for e in observer.since(0, "team")} >= {"Late Team 0", "Late Team 1"}
        assert "snapshot" not in observer.kinds_since(1), "an observer was sent back for a snapshot"


@pytest.mark.redis
def test_redis_event_reaches_clients_of_another_server(server_factory: Callable[..., Any], redis_url: str,
                                                       tmp_path: Path, live: Live) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {"DRILLBOARD_REDIS_URL": redis_url, "DRILLBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}"}
    server_a = server_factory(env, name="server-a")
    server_a.cli("load-pack", "challenges/drill-demo")
    server_a.cli("clock", "start")  # the demo drill waits for STARTEX
    team, headers = server_a.team_token("Team Redis", "KZ")
    other, other_headers = server_a.team_token("Team Queue", "UZ")
    server_a.start()
    server_b = server_factory(env, name="server-b").start()
    on_a, on_b = live(server_a.base_url, label="observer on A"), live(server_b.base_url, label="observer on B")
    assert on_a.snapshot["standings"] == on_b.snapshot["standings"]
    ids = challenge_ids(server_a.base_url, headers=headers)

    assert attempt(server_a.base_url, ids["Web Server Intrusion"], ANSWERS["Web Server Intrusion"],
                   headers=headers)["result"] == "correct"
    solve_b = on_b.wait("solve", lambda s: s["team"] == "Team Redis", timeout=5)
    assert solve_b == on_a.wait("solve", lambda s: s["team"] == "Team Redis", timeout=5)
    assert solve_b["team_id"] == team["id"] and solve_b["points"] == 110
    on_b.wait("standings", lambda e: any(r["team"] == "Team Redis" for r in e["standings"]), timeout=5)
    assert scoreboard(server_b.base_url) == scoreboard(server_a.base_url)

    # And the other way round.
    assert attempt(server_b.base_url, ids["Ransom Note"], ANSWERS["Ransom Note"],
                   headers=other_headers)["result"] == "correct"
    assert on_a.wait("solve", lambda s: s["team"] == "Team Queue", timeout=5)["team_id"] == other["id"]
    assert_seq_strictly_increasing(on_a)
    assert_seq_strictly_increasing(on_b)
    assert_no_flags(on_a, on_b)
