"""Red-team objectives (redteam.yml), detection reports, judges' decisions and appeals."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from corekit import team_with_token
from sqlalchemy import func, select

from scoreboard import packs
from scoreboard.board import standings
from scoreboard.drill import accounts, audit, deductions
from scoreboard.drill.accounts import actor_for_user
from scoreboard.store.models import (
    Appeal,
    AuditEntry,
    Deduction,
    Detection,
    Drill,
    Event,
    Objective,
    User,
    counting_points,
    utcnow,
)

FLAG = {"name": "Flag one", "value": 100, "flags": ["DRILL{x}"]}
REDTEAM = {
    "objectives": [
        {"id": "mail-takeover", "title": "Take over the mail server", "category": "Lateral movement",
         "points": 200, "asset": "mail server",
         "translations": {"ru": {"title": "Захват почтового сервера", "asset": "почтовый сервер"}}},
        {"id": "portal-deface", "title": "Deface the portal", "category": "Web", "points": 80, "asset": "web portal"},
    ],
    "detection": {"window_minutes": 30, "refund_percent": 40},
}


def _pack(make_pack: Any, redteam: Any, name: str | None = None) -> Path:
    root = make_pack({"f/flag": FLAG}, {"id": "ops"}, name=name)
    (root / "redteam.yml").write_text(redteam if isinstance(redteam, str)
                                      else yaml.safe_dump(redteam, allow_unicode=True, sort_keys=False))
    return root


def _load(services: Any, root: Path, **options: Any) -> Any:
    with services.database.session() as session:
        return packs.load(session, root, services.settings.files_dir, **options)


def _staff(services: Any, name: str, role: str, team_id: int | None = None) -> Any:
    with services.database.session() as session:
        from scoreboard.store.models import Team
        user, password, token = accounts.create_staff(session, name, role, session.get(Team, team_id) if team_id else None)
        session.flush()
        return SimpleNamespace(id=user.id, name=name, password=password, headers={"Authorization": f"Bearer {token}"})


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(app: Any, name: str, password: str) -> Any:
    client = app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    return client


@pytest.fixture
def drill(services: Any, make_pack: Any) -> SimpleNamespace:
    """The pack with redteam.yml, two teams with tokens, a red-team member, a judge and an organizer."""
    _load(services, _pack(make_pack, REDTEAM))
    blue, blue_headers = team_with_token(services, "Blue Cell", "KZ")
    green, green_headers = team_with_token(services, "Green Cell", "UZ")
    return SimpleNamespace(blue=blue, blue_headers=blue_headers, green=green, green_headers=green_headers,
                           red=_staff(services, "mallory", "red_team"), judge=_staff(services, "jules", "judge"),
                           admin=_staff(services, "chief", "admin"))


def _deduct(client: Any, drill: SimpleNamespace, **body: Any) -> int:
    answer = client.post("/api/v1/deductions", headers=drill.red.headers, json={"team_id": drill.blue, **body})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _row(services: Any, model: type, row_id: int) -> Any:
    with services.database.session() as session:
        row = session.get(model, row_id)
        session.expunge(row)
        return row


def _count(services: Any, model: type) -> int:
    with services.database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- the pack ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("redteam, line, message", [
    ({"objectives": [{"id": "Bad Id", "title": "t", "category": "c", "points": 5}]}, 2, "lowercase letters"),
    ({"objectives": [{"id": "other", "title": "t", "category": "c", "points": 5}]}, 2, "reserved"),
    ({"objectives": [{"id": "a", "title": "t", "category": "c", "points": 0}]}, 5, "from 1 to 100000"),
    ({"objectives": [{"id": "a", "category": "c", "points": 5}]}, 2, "needs 'title'"),
    ({"objectives": [{"id": "a", "title": "t", "category": "c", "points": 5},
                     {"id": "a", "title": "u", "category": "c", "points": 6}]}, 6, "appears twice"),
    ({"objectives": [{"id": "a", "title": "t", "category": "c", "points": 5, "translations": {"fr": {"title": "x"}}}]},
     7, "translation's language"),
    ({"objectives": [], "detection": {"window_minutes": 0}}, 3, "detection.window_minutes"),
    ({"objectives": [], "detection": {"refund_percent": 101}}, 3, "detection.refund_percent"),
    ("objectives: 5\n", 1, "'objectives' must be a list"),
])
def test_a_bad_redteam_yml_names_file_and_line_and_nothing_loads(services: Any, make_pack: Any, redteam: Any,
                                                                 line: int, message: str) -> None:
    with pytest.raises(packs.PackError) as info:
        _load(services, _pack(make_pack, redteam))
    assert any(p.startswith(f"redteam.yml:{line}:") and message in p for p in info.value.problems), info.value.problems
    assert _count(services, Objective) == 0


def test_the_dry_run_lists_objectives_and_a_reload_updates_them_in_place(services: Any, client: Any,
                                                                         make_pack: Any) -> None:
    root = _pack(make_pack, {**REDTEAM, "objectivs": []})
    diff = _load(services, root, dry_run=True)
    assert "  red-team objectives (2):" in diff.lines()
    assert "    mail-takeover: Take over the mail server (200)" in diff.lines()
    assert any("redteam.yml:" in w and "did you mean 'objectives'" in w for w in diff.warnings)
    assert _count(services, Objective) == 0
    _load(services, root)
    with services.database.session() as session:
        drill_row = session.get(Drill, 1)
        assert (drill_row.detection_window_minutes, drill_row.detection_refund_percent) == (30, 40)
    blue, _ = team_with_token(services, "Blue Cell")
    red = _staff(services, "mallory", "red_team")
    hit = client.post("/api/v1/deductions", headers=red.headers, json={"team_id": blue, "objective": "portal-deface"})
    changed = {"objectives": [{**REDTEAM["objectives"][0], "points": 250}], "detection": {"window_minutes": 45}}
    _load(services, _pack(make_pack, changed, name="again"))
    with services.database.session() as session:
        rows = {o.key: o for o in session.scalars(select(Objective))}
        assert (rows["mail-takeover"].points, rows["mail-takeover"].removed) == (250, False)
        assert rows["portal-deface"].removed  # kept for the deduction that names it
        assert session.get(Deduction, hit.get_json()["id"]).objective_id == rows["portal-deface"].id
        assert session.get(Drill, 1).detection_window_minutes == 45
    listed = client.get("/api/v1/objectives", headers=red.headers).get_json()["objectives"]
    assert [o["id"] for o in listed] == ["mail-takeover"]
    gone = client.post("/api/v1/deductions", headers=red.headers, json={"team_id": blue, "objective": "portal-deface"})
    assert gone.status_code == 404 and "portal-deface" in gone.get_json()["error"]


def test_the_demo_pack_ships_objectives_that_load(services: Any) -> None:
    diff = _load(services, Path(__file__).resolve().parents[2] / "challenges" / "drill-demo", dry_run=True)
    assert 4 <= len(diff.objectives) <= 6


# --- deductions naming an objective -----------------------------------------------------------------


def test_an_objective_gives_the_deduction_its_points_and_title(services: Any, client: Any, drill: Any) -> None:
    first = _deduct(client, drill, objective="mail-takeover")
    row = _row(services, Deduction, first)
    assert (row.points, row.reason, row.refunded_points) == (200, "Take over the mail server", 0)
    second = _row(services, Deduction, _deduct(client, drill, objective="mail-takeover", points=50, reason="via OWA"))
    assert (second.points, second.reason, second.objective_id) == (50, "via OWA", row.objective_id)
    other = _row(services, Deduction, _deduct(client, drill, objective="other", points=7, reason="printer"))
    legacy = _row(services, Deduction, _deduct(client, drill, points=9, reason="no objective field"))
    assert other.objective_id is None and legacy.objective_id is None
    with services.database.session() as session:
        event = session.scalars(select(Event).where(Event.kind == "deduction").order_by(Event.id)).first()
        assert set(event.payload) == {"seq", "team", "team_id", "points", "reason", "at"}
    for bad, status in ((["x"], 400), ("nope", 404), ("a" * 101, 400)):
        answer = client.post("/api/v1/deductions", headers=drill.red.headers,
                             json={"team_id": drill.blue, "objective": bad})
        assert answer.status_code == status and answer.get_json()["error"]
    assert _count(services, Deduction) == 4
    no_points = client.post("/api/v1/deductions", headers=drill.red.headers, json={"team_id": drill.blue, "reason": "x"})
    assert no_points.status_code == 400


def test_the_red_team_form_names_an_objective_and_the_page_shows_hits(services: Any, app: Any, drill: Any) -> None:
    red = _login(app, "mallory", drill.red.password)
    page = red.get("/redteam").get_data(as_text=True)
    assert 'name="objective"' in page and "Take over the mail server" in page and 'id="objective-hits"' in page
    red.post("/redteam", data={"csrf_token": _csrf(page), "team_id": str(drill.green), "objective": "portal-deface",
                               "points": "", "reason": ""})
    with services.database.session() as session:
        row = session.scalar(select(Deduction))
        assert (row.team_id, row.points, row.reason) == (drill.green, 80, "Deface the portal")
    after = red.get("/redteam").get_data(as_text=True)
    cell = re.search(rf'<tr data-team="{drill.green}">.*?</tr>', after, re.S).group(0)
    assert re.search(r'data-objective="portal-deface" class="hit">hit once', cell)
    assert re.search(r'data-objective="mail-takeover" class="muted">–', cell)
    console = _login(app, "chief", drill.admin.password).get("/console/deductions").get_data(as_text=True)
    assert 'id="objective-hits"' in console and "hit once" in console
    russian = red.get("/redteam", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Захват почтового сервера" in russian


# --- detections ----------------------------------------------------------------------------------------


def test_a_detection_inside_the_window_accepted_gives_points_back(services: Any, client: Any, drill: Any) -> None:
    deduction = _deduct(client, drill, objective="mail-takeover")
    url = f"/api/v1/deductions/{deduction}/detection"
    assert client.post(url, headers=drill.green_headers, json={"text": "saw it"}).status_code == 404  # not theirs
    assert client.post(url, headers=drill.red.headers, json={"text": "x"}).status_code == 403
    for bad in ({"text": ""}, {"text": "   "}, {"text": "x" * 5001}, {"text": "a\x00b"}, {"text": 5}, {}):
        answer = client.post(url, headers=drill.blue_headers, json=bad)
        assert answer.status_code == 400 and answer.get_json()["error"], bad
    assert _count(services, Detection) == 0
    filed = client.post(url, headers=drill.blue_headers, json={"text": "EDR alert on MX01 at 10:02, OWA login"})
    assert filed.status_code == 201 and filed.get_json()["status"] == "pending"
    again = client.post(url, headers=drill.blue_headers, json={"text": "again"})
    assert again.status_code == 400 and "already" in again.get_json()["error"]

    queue = client.get("/api/v1/judging/detections", headers=drill.judge.headers).get_json()["detections"]
    assert [d["text"] for d in queue] == ["EDR alert on MX01 at 10:02, OWA login"]
    assert "Blue Cell" not in str(queue) and "team" not in queue[0]
    assert client.get("/api/v1/judging/detections", headers=drill.blue_headers).status_code == 403
    decide = f"/api/v1/judging/detections/{queue[0]['id']}"
    assert client.post(decide, headers=drill.blue_headers, json={"accept": True, "comment": "me"}).status_code == 403
    assert client.post(decide, headers=drill.judge.headers, json={"accept": True}).status_code == 400
    assert client.post(decide, headers=drill.judge.headers, json={"accept": "yes", "comment": "c"}).status_code == 400
    assert _row(services, Deduction, deduction).refunded_points == 0
    accepted = client.post(decide, headers=drill.judge.headers, json={"accept": True, "comment": "matches our logs"})
    assert accepted.get_json()["status"] == "accepted"
    row = _row(services, Deduction, deduction)
    assert row.refunded_points == 80 and counting_points(row) == 120  # 40 % of 200 back
    with services.database.session() as session:
        counted = session.scalar(select(func.sum(counting_points(Deduction))))
        assert counted == 120
        event = session.scalar(select(Event).where(Event.kind == "detection"))
        assert isinstance(event.seq, int) and (event.payload["team"], event.payload["points"]) == ("Blue Cell", 80)
        assert event.payload["objective"] == "Take over the mail server"
        assert audit.verify(session) == []
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.subject.in_(["detection", "deduction"])))
        assert {"detection.file", "detection.accepted", "deduction.refund"} <= set(actions)
    twice = client.post(decide, headers=drill.judge.headers, json={"accept": False, "comment": "no"})
    assert twice.status_code == 400
    assert _row(services, Deduction, deduction).refunded_points == 80


def test_a_detection_after_the_window_is_refused(services: Any, client: Any, drill: Any) -> None:
    with services.database.session() as session:
        red = actor_for_user(session.get(User, drill.red.id))
        late = deductions.record(session, drill.blue, 30, "old attack", "", utcnow() - timedelta(minutes=31), red)
        session.flush()
        late_id = late.id
    answer = client.post(f"/api/v1/deductions/{late_id}/detection", headers=drill.blue_headers, json={"text": "seen"})
    assert answer.status_code == 400 and "until" in answer.get_json()["error"]
    assert _count(services, Detection) == 0


def test_a_rejected_detection_gives_nothing_and_judges_never_decide_for_their_team(services: Any, client: Any,
                                                                                   drill: Any) -> None:
    deduction = _deduct(client, drill, objective="portal-deface")
    client.post(f"/api/v1/deductions/{deduction}/detection", headers=drill.blue_headers, json={"text": "we saw"})
    own = _staff(services, "insider", "judge", drill.blue)
    assert client.get("/api/v1/judging/detections", headers=own.headers).get_json()["detections"] == []
    detection = client.get("/api/v1/judging/detections", headers=drill.judge.headers).get_json()["detections"][0]["id"]
    mine = client.post(f"/api/v1/judging/detections/{detection}", headers=own.headers,
                       json={"accept": True, "comment": "sure"})
    assert mine.status_code == 403
    rejected = client.post(f"/api/v1/judging/detections/{detection}", headers=drill.judge.headers,
                           json={"accept": False, "comment": "too vague: no host, no time"})
    assert rejected.get_json()["status"] == "rejected"
    assert _row(services, Deduction, deduction).refunded_points == 0
    assert _row(services, Detection, detection).comment == "too vague: no host, no time"


def test_judges_and_teams_use_the_pages(services: Any, app: Any, client: Any, drill: Any) -> None:
    deduction = _deduct(client, drill, objective="mail-takeover")
    with services.database.session() as session:
        from scoreboard.store.models import Team
        accounts.create_member(session, session.get(Team, drill.blue), "bo", "pw-bo-12345")
    team = _login(app, "bo", "pw-bo-12345")
    page = team.get("/team").get_data(as_text=True)
    assert f'action="/team/deductions/{deduction}/detection"' in page and "Take over the mail server" in page
    team.post(f"/team/deductions/{deduction}/detection", data={"csrf_token": _csrf(page), "text": "alert on MX01"})
    page = team.get("/team").get_data(as_text=True)
    assert "waiting for a judge" in page and f'action="/team/deductions/{deduction}/detection"' not in page

    judge = _login(app, "jules", drill.judge.password)
    queue = judge.get("/judge").get_data(as_text=True)
    assert "alert on MX01" in queue and "Blue Cell" not in queue and 'id="detections"' in queue
    detection = re.search(r'data-detection="(\d+)"', queue).group(1)
    judge.post(f"/judge/detections/{detection}", data={"csrf_token": _csrf(queue), "decision": "accept",
                                                       "comment": "good catch"})
    assert _row(services, Deduction, deduction).refunded_points == 80
    assert "+80 back" in team.get("/team").get_data(as_text=True)

    page = team.get("/team").get_data(as_text=True)
    team.post(f"/team/deductions/{deduction}/appeal", data={"csrf_token": _csrf(page), "text": "\x00"})
    assert _count(services, Appeal) == 0
    team.post(f"/team/deductions/{deduction}/appeal", data={"csrf_token": _csrf(page), "text": "MX01 is out of scope"})
    assert "waiting for an organizer" in team.get("/team").get_data(as_text=True)


# --- appeals ---------------------------------------------------------------------------------------------


def test_an_appeal_is_filed_once_and_an_organizer_upholds_it(services: Any, client: Any, drill: Any) -> None:
    deduction = _deduct(client, drill, points=40, reason="RDP brute force")
    url = f"/api/v1/deductions/{deduction}/appeal"
    assert client.post(url, headers=drill.green_headers, json={"text": "not ours"}).status_code == 404
    assert client.post(url, headers=drill.blue_headers, json={"text": "x" * 5001}).status_code == 400
    assert client.post(url, headers=drill.blue_headers, json={"text": "RDP was closed"}).status_code == 201
    again = client.post(url, headers=drill.blue_headers, json={"text": "really"})
    assert again.status_code == 400 and "once" in again.get_json()["error"]
    appeal = _count(services, Appeal)
    decide = f"/api/v1/appeals/{appeal}"
    assert client.post(decide, headers=drill.red.headers, json={"void": False, "reason": "x"}).status_code == 403
    assert client.post(decide, headers=drill.blue_headers, json={"void": True, "reason": "x"}).status_code == 403
    assert client.post(decide, headers=drill.admin.headers, json={"void": False, "reason": " "}).status_code == 400
    upheld = client.post(decide, headers=drill.admin.headers, json={"void": False, "reason": "logs show the login"})
    assert upheld.get_json()["status"] == "upheld"
    assert _row(services, Deduction, deduction).voided_at is None
    assert client.post(decide, headers=drill.admin.headers, json={"void": True, "reason": "x"}).status_code == 400
    with services.database.session() as session:
        event = session.scalar(select(Event).where(Event.kind == "appeal"))
        assert (event.payload["decision"], event.payload["team"], event.payload["points"]) == ("upheld", "Blue Cell", 40)
        assert "appeal.upheld" in set(session.scalars(select(AuditEntry.action)))


def test_an_organizer_voids_an_appealed_deduction_from_the_console(services: Any, app: Any, client: Any,
                                                                   drill: Any) -> None:
    deduction = _deduct(client, drill, points=40, reason="RDP brute force")
    client.post(f"/api/v1/deductions/{deduction}/appeal", headers=drill.blue_headers, json={"text": "RDP was closed"})
    chief = _login(app, "chief", drill.admin.password)
    listing = chief.get("/console/deductions").get_data(as_text=True)
    assert "RDP was closed" in listing
    appeal = re.search(r'/console/deductions/appeals/(\d+)/void', listing).group(1)
    ask = chief.get(f"/console/deductions/appeals/{appeal}/void").get_data(as_text=True)
    assert "Void the deduction of 40 points from Blue Cell?" in ask and "RDP was closed" in ask
    chief.post(f"/console/deductions/appeals/{appeal}/void", data={"csrf_token": _csrf(ask), "reason": "x"})
    assert _row(services, Appeal, int(appeal)).status == "pending"  # not confirmed: nothing changes
    chief.post(f"/console/deductions/appeals/{appeal}/void",
               data={"csrf_token": _csrf(ask), "confirmed": "1", "reason": "the port was filtered"})
    row = _row(services, Deduction, deduction)
    assert row.void_reason == "the port was filtered" and row.voided_at is not None
    assert _row(services, Appeal, int(appeal)).status == "voided"
    with services.database.session() as session:
        assert session.scalar(select(Event.payload).where(Event.kind == "appeal"))["decision"] == "voided"
        assert audit.verify(session) == []
    detection = client.post(f"/api/v1/deductions/{deduction}/detection", headers=drill.blue_headers,
                            json={"text": "late"})
    assert detection.status_code == 400 and "voided" in detection.get_json()["error"]


# --- the board ---------------------------------------------------------------------------------------------


def test_the_board_counts_a_refund_then_a_void_and_its_feed_says_so(services: Any, client: Any, drill: Any) -> None:
    def blue_score() -> int:
        board = client.get("/api/v1/scoreboard").get_json()["standings"]
        return next(row["score"] for row in board if row["team_id"] == drill.blue)

    deduction = _deduct(client, drill, points=100, reason="RDP brute force")
    assert blue_score() == -100
    client.post(f"/api/v1/deductions/{deduction}/detection", headers=drill.blue_headers, json={"text": "EDR alert"})
    detection = client.get("/api/v1/judging/detections", headers=drill.judge.headers).get_json()["detections"][0]
    client.post(f"/api/v1/judging/detections/{detection['id']}", headers=drill.judge.headers,
                json={"accept": True, "comment": "matches our logs"})
    assert blue_score() == -60  # 40 % back
    client.post(f"/api/v1/deductions/{deduction}/appeal", headers=drill.blue_headers, json={"text": "out of scope"})
    voided = client.post(f"/api/v1/appeals/{_count(services, Appeal)}", headers=drill.admin.headers,
                         json={"void": True, "reason": "MX01 was out of scope"})
    assert voided.get_json()["status"] == "voided"
    assert blue_score() == 0  # the void gives back what still counted, not the refund twice
    with services.database.session() as session:
        feed = standings.recent_solves(session, None)
    assert [(item["kind"], item.get("decision")) for item in feed] == [
        ("appeal", "voided"), ("detection", None), ("deduction", None)]
    appeal, refund, struck = feed
    assert (appeal["team"], appeal["returned"], refund["points"], struck.get("voided")) == ("Blue Cell", 60, 40, True)
    # The page says the same without JavaScript: each line a whole sentence with its points.
    page = client.get("/board").get_data(as_text=True).split('id="feed">')[1].split("</ol>")[0]
    lines = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", li)).split()) for li in re.findall(r"<li.*?</li>", page, re.S)]
    assert [line.split(" ", 2)[2] for line in lines] == [
        "Blue Cell's appeal was accepted: the deduction (RDP brute force) is voided +60",
        "Blue Cell detected the attack (RDP brute force) and gets 40 points back +40",
        "Blue Cell lost points to the red team: RDP brute force −100"], lines
