"""Red-team deductions (domain, API, pages), weighted categories in the board and exports, staff accounts."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from corekit import team_with_token
from helpers import csrf_from, eventually, login
from sqlalchemy import func, select

from scoreboard.board import results
from scoreboard.core.errors import Forbidden, Refused
from scoreboard.drill import accounts, audit, deductions
from scoreboard.drill.accounts import actor_for_user
from scoreboard.store import events, uploads
from scoreboard.store.models import AuditEntry, Deduction, Event, Team, User, utcnow


def _staff(services: Any, name: str, role: str) -> tuple[Any, str, dict[str, str]]:
    with services.database.session() as session:
        user, password, token = accounts.create_staff(session, name, role)
        session.flush()
        made = SimpleNamespace(id=user.id, name=user.name)
    return made, password, {"Authorization": f"Bearer {token}"}


def _actor(services: Any, user_id: int) -> Any:
    with services.database.session() as session:
        return actor_for_user(session.get(User, user_id))


def _standing(client: Any, team_id: int, done: Any = lambda row: True) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        return next(r for r in client.get("/api/v1/scoreboard").get_json()["standings"] if r["team_id"] == team_id)
    return eventually(read, done)


def _written(services: Any) -> tuple[int, int]:
    with services.database.session() as session:
        return (session.scalar(select(func.count()).select_from(Deduction)),
                session.scalar(select(func.count()).select_from(Event).where(Event.kind == "deduction")))


def _award(services: Any, team_id: int, points: int) -> None:
    from scoreboard.drill import organizer
    with services.database.session() as session:
        organizer.award(session, team_id, points, "flags stand-in", utcnow(), None)


@pytest.fixture
def drill(services: Any, client: Any) -> dict[str, Any]:
    """Two teams (one with 100 points), a red-team member and an organizer, each with a token."""
    blue, blue_headers = team_with_token(services, "Blue Cell", "KZ")
    green, _ = team_with_token(services, "Green Cell", "UZ")
    _award(services, blue, 100)
    red, red_password, red_headers = _staff(services, "mallory", "red_team")
    admin, admin_password, admin_headers = _staff(services, "chief", "admin")
    return {"blue": blue, "green": green, "blue_headers": blue_headers, "red": red, "red_headers": red_headers,
            "red_password": red_password, "admin": admin, "admin_headers": admin_headers,
            "admin_password": admin_password}


def test_the_red_team_records_a_deduction_the_board_shows_it(services: Any, client: Any, drill: dict) -> None:
    answer = client.post("/api/v1/deductions", headers=drill["red_headers"], json={
        "team_id": drill["blue"], "points": 30, "reason": "domain admin via phishing", "evidence": "hash: abc"})
    assert answer.status_code == 201
    row_id = answer.get_json()["id"]
    with services.database.session() as session:
        row = session.get(Deduction, row_id)
        assert (row.team_id, row.points, row.evidence, row.author_id) == (drill["blue"], 30, "hash: abc", drill["red"].id)
        event = session.scalar(select(Event).where(Event.kind == "deduction"))
        assert isinstance(event.seq, int) and not event.held
        assert set(event.payload) == {"seq", "team", "team_id", "points", "reason", "at"}
        assert (event.payload["team"], event.payload["points"], event.payload["reason"]) == (
            "Blue Cell", 30, "domain admin via phishing")
        assert audit.verify(session) == []
        assert session.scalar(select(AuditEntry.actor).where(AuditEntry.subject == "deduction")) == "mallory"
    standing = _standing(client, drill["blue"], lambda r: r["score"] == 70)
    assert standing["score"] == 70
    assert standing["breakdown"] == {"flags": 100, "reports": 0, "deductions": 30, "availability": 0}
    page = client.get("/board").get_data(as_text=True)
    assert "domain admin via phishing" in page and 'class="standings with-breakdown"' in page
    snapshot = services.cache.snapshot().as_dict()
    assert snapshot["recent_solves"][0]["kind"] == "deduction"


@pytest.mark.parametrize("body, status", [
    ({"points": 0, "reason": "x"}, 400),
    ({"points": -5, "reason": "x"}, 400),
    ({"points": 1.5, "reason": "x"}, 400),
    ({"points": "5", "reason": "x"}, 400),
    ({"points": True, "reason": "x"}, 400),
    ({"points": 100_001, "reason": "x"}, 400),
    ({"points": 5}, 400),
    ({"points": 5, "reason": "   "}, 400),
    ({"points": 5, "reason": "x" * 1001}, 400),
    ({"points": 5, "reason": "x", "evidence": "e" * 20_001}, 400),
    ({"points": 5, "reason": "x", "evidence": ["not", "text"]}, 400),
    ({"points": 5, "reason": "x", "team_id": "1"}, 400),
    ({"points": 5, "reason": "x", "team_id": 9999}, 404),
])
def test_bad_input_is_refused_and_nothing_is_written(services: Any, client: Any, drill: dict, body: dict,
                                                     status: int) -> None:
    answer = client.post("/api/v1/deductions", headers=drill["red_headers"], json={"team_id": drill["blue"], **body})
    assert answer.status_code == status
    assert answer.get_json()["error"]
    assert _written(services) == (0, 0)
    assert _standing(client, drill["blue"])["score"] == 100


def test_teams_anonymous_and_judges_cannot_deduct(services: Any, client: Any, drill: dict) -> None:
    body = {"team_id": drill["green"], "points": 50, "reason": "sabotage"}
    assert client.post("/api/v1/deductions", json=body).status_code == 401
    team = client.post("/api/v1/deductions", headers=drill["blue_headers"], json=body)
    assert team.status_code == 403 and "red team" in team.get_json()["error"]
    _, _, judge_headers = _staff(services, "judy", "judge")
    assert client.post("/api/v1/deductions", headers=judge_headers, json=body).status_code == 403
    assert client.post("/api/v1/deductions", headers=drill["admin_headers"], json=body).status_code == 201
    assert _written(services) == (1, 1)


def test_an_organizer_voids_a_deduction_and_the_score_comes_back(services: Any, client: Any, drill: dict) -> None:
    red, admin = _actor(services, drill["red"].id), _actor(services, drill["admin"].id)
    with services.database.session() as session:
        row_id = deductions.record(session, drill["blue"], 40, "web shell", "", utcnow(), red).id
    assert _standing(client, drill["blue"], lambda r: r["score"] == 60)["score"] == 60
    with services.database.session() as session:
        with pytest.raises(Forbidden):
            deductions.void(session, row_id, "mistake", utcnow(), red)
        with pytest.raises(Refused):
            deductions.void(session, row_id, "  ", utcnow(), admin)
        deductions.void(session, row_id, "the shell was on the range's own host", utcnow(), admin)
    standing = _standing(client, drill["blue"], lambda r: r["score"] == 100)
    assert standing["score"] == 100 and standing["breakdown"]["deductions"] == 0
    with services.database.session() as session:
        with pytest.raises(Refused, match="already voided"):
            deductions.void(session, row_id, "again", utcnow(), admin)
        row = session.get(Deduction, row_id)
        assert row.voided_by_id == drill["admin"].id and row.void_reason.startswith("the shell")
        assert audit.verify(session) == []
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.subject == "deduction")).all()
        assert actions == ["deduction", "deduction.void"]
    feed = services.cache.snapshot().as_dict()["recent_solves"]
    assert feed[0]["kind"] == "deduction" and feed[0]["voided"] is True


def test_a_deduction_during_the_freeze_is_held(services: Any, client: Any, drill: dict) -> None:
    now = utcnow()
    with services.database.session() as session:
        row = events.drill(session)
        row.starts_at, row.freeze_at = now - timedelta(hours=1), now  # after the fixture's points
    with services.database.session() as session:
        deductions.record(session, drill["blue"], 25, "late attack", "", utcnow(), _actor(services, drill["red"].id))
        assert session.scalar(select(Event.seq).where(Event.kind == "deduction")) is None
    assert _standing(client, drill["blue"])["score"] == 100
    assert all(item.get("kind") != "deduction" for item in services.cache.snapshot().as_dict()["recent_solves"])


def test_weights_make_the_score_and_the_exports_carry_breakdown_and_weights(services: Any, client: Any,
                                                                            drill: dict) -> None:
    with services.database.session() as session:
        events.drill(session).weights = {"flags": 50, "reports": 30, "deductions": 20}
        events.mark(session, "board")
        deductions.record(session, drill["blue"], 50, "ransomware", "", utcnow(), _actor(services, drill["red"].id))
    # 50 % of 100 flag points less 20 % of 50 deducted: 50 - 10.
    assert _standing(client, drill["blue"], lambda r: r["score"] == 40)["score"] == 40
    board = client.get("/board").get_data(as_text=True)
    assert "Flags 50 % · Reports 30 % · Deductions 20 %" in board
    with services.database.session() as session:
        exported = json.loads(results.export(session, "json"))
        rows = list(csv.DictReader(io.StringIO(results.export(session, "csv"))))
        report = results.team_report(session, drill["blue"])
    assert exported["weights"] == {"flags": 50, "reports": 30, "deductions": 20}
    blue = next(r for r in exported["standings"] if r["team_id"] == drill["blue"])
    assert blue["score"] == 40 and blue["breakdown"] == {"flags": 100, "reports": 0, "deductions": 50, "availability": 0}
    line = next(r for r in rows if r["team"] == "Blue Cell")
    assert (line["score"], line["flags"], line["reports"], line["deductions"]) == ("40", "100", "0", "50")
    assert (line["flags_weight"], line["reports_weight"], line["deductions_weight"]) == ("50", "30", "20")
    assert report["deductions"][0]["reason"] == "ransomware" and report["breakdown"]["deductions"] == 50


# --- pages ----------------------------------------------------------------------------------


def test_the_red_team_page_records_with_evidence_and_organizers_void_it(services: Any, app: Any, drill: dict) -> None:
    red = app.test_client()
    assert login(red, "mallory", drill["red_password"]).headers["Location"].endswith("/")
    assert red.get("/").headers["Location"].endswith("/redteam")
    page = red.get("/redteam").get_data(as_text=True)
    assert "Blue Cell" in page and 'enctype="multipart/form-data"' in page
    refused = red.post("/redteam", data={"csrf_token": csrf_from(page), "team_id": str(drill["blue"]), "points": "abc",
                                         "reason": "x"})
    assert refused.status_code == 400 and _written(services) == (0, 0)
    done = red.post("/redteam", data={
        "csrf_token": csrf_from(page), "team_id": str(drill["blue"]), "points": "20", "reason": "RDP brute force",
        "evidence": "see file", "evidence_file": (io.BytesIO(b"log line"), "../../rdp.log")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "RDP brute force" in done.get_data(as_text=True)
    with services.database.session() as session:
        row = session.scalar(select(Deduction))
        assert row.evidence_name == "rdp.log" and row.evidence_path.startswith("evidence/")
        assert (services.settings.files_dir / row.evidence_path).read_bytes() == b"log line"
    assert red.get(f"/console/deductions/{row.id}/evidence").status_code == 403

    chief = app.test_client()
    login(chief, "chief", drill["admin_password"])
    listing = chief.get("/console/deductions").get_data(as_text=True)
    assert "mallory" in listing and "rdp.log" in listing
    download = chief.get(f"/console/deductions/{row.id}/evidence")
    assert download.data == b"log line" and "rdp.log" in download.headers["Content-Disposition"]
    ask = chief.get(f"/console/deductions/{row.id}/void").get_data(as_text=True)
    assert "Void the deduction of 20 points from Blue Cell?" in ask and 'name="reason"' in ask
    chief.post(f"/console/deductions/{row.id}/void", data={"csrf_token": csrf_from(ask), "reason": "x"})  # not confirmed
    chief.post(f"/console/deductions/{row.id}/void", data={"csrf_token": csrf_from(ask), "confirmed": "1", "reason": ""})
    with services.database.session() as session:
        assert session.get(Deduction, row.id).voided_at is None
    chief.post(f"/console/deductions/{row.id}/void", data={"csrf_token": csrf_from(ask), "confirmed": "1",
                                                          "reason": "out of scope"})
    with services.database.session() as session:
        assert session.get(Deduction, row.id).void_reason == "out of scope"
    assert "out of scope" in red.get("/redteam").get_data(as_text=True)


def test_the_team_page_shows_deductions_with_voids_struck_through(services: Any, app: Any, drill: dict) -> None:
    with services.database.session() as session:
        team = session.get(Team, drill["blue"])
        accounts.create_member(session, team, "bob", "correct horse battery")
    red, admin = _actor(services, drill["red"].id), _actor(services, drill["admin"].id)
    with services.database.session() as session:
        deductions.record(session, drill["blue"], 10, "phished the CFO", "", utcnow(), red)
        voided = deductions.record(session, drill["blue"], 15, "wrong target", "", utcnow(), red).id
        deductions.void(session, voided, "it was another team's host", utcnow(), admin)
    member = app.test_client()
    login(member, "bob", "correct horse battery")
    page = member.get("/team").get_data(as_text=True)
    assert "phished the CFO" in page
    assert "<del>wrong target</del>" in page and "it was another team&#39;s host" in page


def test_organizers_create_disable_and_reset_staff_accounts(services: Any, app: Any, drill: dict) -> None:
    chief = app.test_client()
    login(chief, "chief", drill["admin_password"])
    page = chief.get("/console/staff").get_data(as_text=True)
    made = chief.post("/console/staff", data={"csrf_token": csrf_from(page), "name": "eve", "role": "red_team"})
    text = made.get_data(as_text=True)
    password = re.search(r'id="created-password">([^<]+)<', text).group(1)
    token = re.search(r'id="created-token">([^<]+)<', text).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"team_id": drill["green"], "points": 5, "reason": "open SMB share"}
    assert chief.application.test_client().post("/api/v1/deductions", headers=headers, json=body).status_code == 201
    assert "eve" in chief.get("/console/staff").get_data(as_text=True)
    refused = chief.post("/console/staff", data={"csrf_token": csrf_from(page), "name": "eve", "role": "judge"},
                         follow_redirects=True)
    assert "already exists" in refused.get_data(as_text=True)
    with services.database.session() as session:
        eve = session.scalar(select(User).where(User.name == "eve"))
        assert eve.role == "red_team"
    ask = chief.get(f"/console/staff/{eve.id}/disable").get_data(as_text=True)
    assert "Disable the account of eve?" in ask
    chief.post(f"/console/staff/{eve.id}/disable", data={"csrf_token": csrf_from(ask), "confirmed": "1"})
    assert app.test_client().post("/api/v1/deductions", headers=headers, json=body).status_code == 401
    assert login(app.test_client(), "eve", password).status_code == 401
    chief.post(f"/console/staff/{eve.id}/enable", data={"csrf_token": csrf_from(ask)})
    done = chief.post(f"/console/staff/{eve.id}/reset", data={"csrf_token": csrf_from(ask), "confirmed": "1"},
                      follow_redirects=True).get_data(as_text=True)
    new_password = re.search(r"New password for eve: (\S+) ", done).group(1)
    assert login(app.test_client(), "eve", new_password).status_code == 302
    own = chief.post(f"/console/staff/{drill['admin'].id}/disable", data={"csrf_token": csrf_from(ask), "confirmed": "1"},
                     follow_redirects=True)
    assert "cannot disable your own account" in own.get_data(as_text=True)
    with services.database.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("staff.%"))).all()
        assert actions == ["staff.create", "staff.disable", "staff.enable", "staff.reset_password"]
        assert audit.verify(session) == []


def test_the_feed_holds_graded_reports_and_deductions_and_the_kiosk_shows_the_breakdown(
        services: Any, client: Any, drill: dict) -> None:
    with services.database.session() as session:
        events.record(session, "graded", {"team": "Green Cell", "team_id": drill["green"],
                                          "challenge": "Incident report 1", "points": 40, "at": utcnow().isoformat()})
        deductions.record(session, drill["blue"], 20, "SQL injection on the portal", "", utcnow(),
                          _actor(services, drill["red"].id))
    snapshot = eventually(lambda: services.cache.snapshot().as_dict(), lambda s: len(s["recent_solves"]) == 2)
    assert [item["kind"] for item in snapshot["recent_solves"]] == ["deduction", "graded"]
    blue = next(row for row in snapshot["standings"] if row["team_id"] == drill["blue"])
    assert blue["steps"][-1] == [snapshot["recent_solves"][0]["at"], blue["score"]]  # the chart's last step
    board = client.get("/board").get_data(as_text=True)
    assert "Incident report 1" in board and "SQL injection on the portal" in board
    kiosk = client.get("/board?kiosk=1").get_data(as_text=True)
    assert 'class="standings with-breakdown"' in kiosk and "SQL injection on the portal" in kiosk
    assert 'id="weights" hidden' in kiosk  # no weights: the raw points only


def test_a_backup_keeps_the_evidence_files(services: Any, drill: dict, tmp_path: Any) -> None:
    import zipfile

    from scoreboard.drill import backup

    store = deductions.Store(services.settings.files_dir, services.settings.max_evidence_bytes)
    with services.database.session() as session:
        with pytest.raises(Refused, match="too large"):
            deductions.record(session, drill["blue"], 5, "exfiltration", "", utcnow(), _actor(services, drill["red"].id),
                              uploads.Upload("big.pcap", b"x" * (store.max_bytes + 1)), store)
        row = deductions.record(session, drill["blue"], 5, "exfiltration", "", utcnow(),
                                _actor(services, drill["red"].id), uploads.Upload("dns.pcap", b"pcap"), store)
        stored = row.evidence_path
    assert _written(services) == (1, 1)
    backup.dump(services.database, services.settings.files_dir, tmp_path / "drill.zip")
    with zipfile.ZipFile(tmp_path / "drill.zip") as archive:
        assert archive.read(f"files/{stored}") == b"pcap"
