"""The after-action report: its numbers are the board's (per team, per category, per phase), its
timeline says what happened, and only a team's members and organizers may read it."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from helpers import eventually
from sqlalchemy import select

from scoreboard import packs
from scoreboard.board import after_action, standings
from scoreboard.drill import accounts, deductions, organizer, phases
from scoreboard.drill.accounts import actor_for_user
from scoreboard.store import events
from scoreboard.store.models import Challenge, Deduction, Detection, Hint, utcnow

PACK = {"id": "ex", "title": "Exercise",
        "phases": [{"id": "startex", "title": "STARTEX", "opens_after": "0m"},
                   {"id": "inject", "title": "Inject", "translations": {"ru": {"title": "Вводная"}}}]}
OPEN = {"name": "Open flag", "value": 100, "flags": ["DRILL{open}"], "phase": "startex",
        "hints": [{"content": "look closer", "cost": 10}]}
HELD = {"name": "Held flag", "value": 50, "flags": ["DRILL{held}"], "phase": "inject"}
PASSWORD = "correct horse battery"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client: Any, name: str) -> None:
    client.post("/login", data={"csrf_token": _csrf(client.get("/login").get_data(as_text=True)), "name": name,
                                "password": PASSWORD})


@pytest.fixture
def played(services: Any, make_pack: Any, app: Any) -> dict[str, Any]:
    """Two teams through two phases: solves, a hint, an award, a deduction and its void."""
    start = utcnow() - timedelta(hours=1)
    with services.database.session() as session:
        packs.load(session, make_pack({"a/open": OPEN, "b/held": HELD}, PACK), services.settings.files_dir)
        organizer.clock_action(session, "start", start, "test")
    with services.database.session() as session:
        phases.open_due(session, start + timedelta(minutes=1))
        ids = {c.name: c.id for c in session.scalars(select(Challenge))}
        blue, green = (accounts.create_team(session, n, "KZ") for n in ("Blue Cell", "Green Cell"))
        session.flush()
        accounts.create_member(session, blue, "bluey", PASSWORD)
        accounts.create_member(session, green, "greeny", PASSWORD)
        chief, admin_password, _ = accounts.create_staff(session, "chief", "admin")
        red, _, _ = accounts.create_staff(session, "mallory", "red_team")
        session.flush()
        teams = {"blue": blue.id, "green": green.id, "red": red.id, "chief": chief.id}
    admin = app.test_client()
    admin.post("/login", data={"csrf_token": _csrf(admin.get("/login").get_data(as_text=True)), "name": "chief",
                               "password": admin_password})
    members = {}
    for who in ("blue", "green"):
        members[who] = app.test_client()
        _login(members[who], who + "y")
    answer = lambda who, name, flag: members[who].post(  # noqa: E731
        f"/api/v1/challenges/{ids[name]}/attempts", json={"answer": flag},
        headers={"X-CSRFToken": _csrf(members[who].get("/challenges").get_data(as_text=True))})
    assert answer("blue", "Open flag", "DRILL{open}").get_json()["result"] == "correct"
    with services.database.session() as session:
        hint = session.scalar(select(Hint.id))
    token = {"X-CSRFToken": _csrf(members["green"].get("/challenges").get_data(as_text=True))}
    assert members["green"].post(f"/api/v1/hints/{hint}/unlock", headers=token).status_code == 200
    assert answer("green", "Open flag", "DRILL{open}").get_json()["result"] == "correct"
    with services.database.session() as session:
        phases.open_phase(session, "inject", utcnow(), "test")
    assert answer("green", "Held flag", "DRILL{held}").get_json()["result"] == "correct"
    with services.database.session() as session:
        red = actor_for_user(session.get(accounts.User, teams["red"]))
        kept = deductions.record(session, teams["blue"], 30, "domain admin via phishing", "", utcnow(), red)
        gone = deductions.record(session, teams["green"], 20, "wrong host", "", utcnow(), red)
        session.flush()
        deductions.void(session, gone.id, "out of scope", utcnow(), actor_for_user(session.get(accounts.User, teams["chief"])))
        organizer.award(session, teams["blue"], 15, "best teamwork", utcnow(), None)
        assert kept.id
    return {"ids": ids, "teams": teams, "admin": admin, "members": members}


def _board(client: Any) -> dict[int, dict[str, Any]]:
    rows = eventually(lambda: client.get("/api/v1/scoreboard").get_json()["standings"],
                      lambda rows: any(r["breakdown"].get("deductions") for r in rows))
    return {row["team_id"]: row for row in rows}


def _numbers(html: str) -> dict[str, Any]:
    """The summary's score, rank and per-category cells, and the per-phase rows, as a reader sees them."""
    def ints(cells: list[str]) -> list[int]:
        return [int(unescape(c).replace("−", "-").strip()) for c in cells]
    category = re.search(r'<table class="table" id="per-category">.*?<tbody><tr>(.*?)</tr>', html, re.S).group(1)
    phase_body = re.search(r'id="per-phase">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return {"score": int(re.search(r'id="aar-score">(-?\d+)<', html).group(1)),
            "rank": int(re.search(r'id="aar-rank">(\d+)<', html).group(1)),
            "category": ints(re.findall(r'<td class="num"[^>]*>([^<]*)</td>', category)),
            "phases": [ints(re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row))
                       for row in re.findall(r"<tr data-phase.*?</tr>", phase_body, re.S)]}


def test_the_after_action_equals_the_board_for_every_team(client: Any, played: dict[str, Any]) -> None:
    board = _board(client)
    assert board[played["teams"]["blue"]]["breakdown"] == {"flags": 115, "reports": 0, "deductions": 30, "availability": 0}
    pages = {played["teams"][who]: played["members"][who].get("/team/after-action") for who in ("blue", "green")}
    for team_id, row in board.items():
        for page in (pages[team_id], played["admin"].get(f"/console/teams/{team_id}/after-action")):
            assert page.status_code == 200
            seen = _numbers(page.get_data(as_text=True))
            b = row["breakdown"]
            assert (seen["score"], seen["rank"]) == (row["score"], row["pos"])
            assert seen["category"] == [b["flags"], b["reports"], -b["deductions"], row["score"]]
            # Each phase's points add up to the team's points per category.
            assert [sum(col) for col in zip(*seen["phases"], strict=True)] == [b["flags"], b["reports"], -b["deductions"]]
    drill = played["admin"].get("/console/after-action").get_data(as_text=True)
    for team_id, row in board.items():
        line = re.search(rf'<tr data-team="{team_id}">(.*?)</tr>', drill, re.S).group(1)
        assert re.search(rf'class="num score"[^>]*>{row["score"]}<', line), line


def test_points_per_phase_follow_the_challenge_and_the_clock(services: Any, played: dict[str, Any]) -> None:
    with services.database.session() as session:
        board = standings.charted(session).standings
        green = after_action.team_record(session, played["teams"]["green"], board)
        blue = after_action.team_record(session, played["teams"]["blue"], board)
    by_phase = {row["phase"]: row for row in green.phases}
    # The hint and the first solve belong to STARTEX's challenge; the held flag to the inject.
    assert by_phase["startex"]["flags"] == 100 - 10 and by_phase["inject"]["flags"] == 50
    # A deduction belongs to the phase open when it was made (the inject): taken, then voided.
    assert by_phase["inject"]["deductions"] == 0
    assert {row["phase"]: row["deductions"] for row in blue.phases}["inject"] == 30
    for record in (green, blue):
        assert {c: sum(r[c] for r in record.phases) for c in record.breakdown} == record.breakdown
    kinds = [line.kind for line in green.timeline]
    assert kinds == ["hint", "solve", "solve", "deduction", "void"], kinds
    assert [line.kind for line in blue.timeline] == ["solve", "deduction", "award"]
    assert blue.timeline[0].bonus == 0 and blue.timeline[0].points == 100


def test_the_rank_over_time_ends_at_the_boards_position(services: Any, played: dict[str, Any]) -> None:
    with services.database.session() as session:
        board = standings.charted(session).standings
        series = after_action.rank_series(board)
    for row in board:
        assert series[row.team_id][-1][1:] == (row.pos, row.score)
    blue = [rank for _, rank, _ in series[played["teams"]["blue"]]]
    assert blue[0] == 1 and blue[-1] == 2, series  # first to solve, overtaken by the held flag


def test_only_the_team_and_organizers_open_its_report(app: Any, services: Any, played: dict[str, Any]) -> None:
    blue, green = played["teams"]["blue"], played["teams"]["green"]
    member = played["members"]["blue"]
    assert member.get(f"/teams/{green}/after-action").status_code == 404
    assert member.get(f"/teams/{blue}/after-action").headers["Location"].endswith("/team/after-action")
    assert member.get(f"/console/teams/{green}/after-action").status_code == 403
    assert member.get("/console/after-action").status_code == 403
    page = member.get("/team/after-action").get_data(as_text=True)
    assert "Green Cell" not in page and "wrong host" not in page
    anonymous = app.test_client()
    assert anonymous.get("/team/after-action").status_code == 302
    assert anonymous.get("/console/after-action").status_code == 302
    admin = played["admin"]
    assert admin.get("/console/teams/99999999999999/after-action").status_code == 404
    whole = admin.get("/console/after-action").get_data(as_text=True)
    assert "Green Cell" in whole and "wrong host" in whole and "best teamwork" in whole


def test_the_report_reads_in_the_viewers_language(played: dict[str, Any]) -> None:
    member = played["members"]["green"]
    member.get("/lang/ru")
    page = member.get("/team/after-action").get_data(as_text=True)
    assert "Вводная" in page and "Отчёт по итогам учений" in page
    assert "Points per phase" not in page and "Timeline" not in page


def test_a_detection_refund_is_a_line_of_its_own_and_the_totals_stay_the_boards(client: Any, services: Any,
                                                                                played: dict[str, Any]) -> None:
    blue = played["teams"]["blue"]
    with services.database.session() as session:  # a judge accepts blue's detection: 12 of the 30 back
        kept = session.scalar(select(Deduction).where(Deduction.team_id == blue))
        kept.refunded_points = 12
        session.add(Detection(deduction_id=kept.id, text="EDR alert", status="accepted", judged_at=utcnow()))
        events.mark(session, "board", {"deduction_id": kept.id})  # what the use case's event tells the caches
    with services.database.session() as session:
        board = standings.charted(session).standings
        record = after_action.team_record(session, blue, board)
    assert [(line.kind, line.points) for line in record.timeline] == [
        ("solve", 100), ("deduction", -30), ("award", 15), ("refund", 12)]
    assert record.breakdown["deductions"] == 18 and {c: sum(r[c] for r in record.phases) for c in record.breakdown} \
        == record.breakdown
    page = played["members"]["blue"].get("/team/after-action").get_data(as_text=True)
    assert "Detection accepted, points given back: domain admin via phishing" in page
    rows = eventually(lambda: client.get("/api/v1/scoreboard").get_json()["standings"],
                      lambda rows: any(r["score"] == 115 - 18 for r in rows))
    assert _numbers(page)["score"] == next(r["score"] for r in rows if r["team_id"] == blue) == 115 - 18
