"""Running the clock safely: reopening an ended drill, the actions each state offers, and the
console's rule that a destructive action never happens on one request without its confirmation.
Also the projector page's pieces that need no browser (paging, dwell, the hall's clock)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from corekit import team_with_token
from helpers import csrf, load_pack, login, organizer_account
from sqlalchemy import func, select

from scoreboard.board import kiosk
from scoreboard.core.clock import Clock
from scoreboard.core.errors import Refused
from scoreboard.drill import organizer
from scoreboard.store import events
from scoreboard.store.models import AuditEntry, Event, Team, utcnow


def clock(services: Any, action: str, **times: Any) -> dict[str, Any]:
    with services.database.session() as session:
        if action == "set":
            return organizer.set_clock(session, utcnow(), "test", **times)
        return organizer.clock_action(session, action, utcnow(), "test")


def drill_state(services: Any) -> dict[str, Any]:
    with services.database.session() as session:
        row = events.drill(session)
        return {"phase": events.clock_of(row).phase(utcnow()), "ends_at": row.ends_at, "freeze_at": row.freeze_at,
                "audit": [a for (a,) in session.execute(select(AuditEntry.action).order_by(AuditEntry.id))]}


# --- reopen ---------------------------------------------------------------------------------------


def test_an_ended_drill_reopens_and_takes_answers_again(services: Any) -> None:
    clock(services, "start")
    clock(services, "end")
    assert drill_state(services)["phase"] == "ended"
    state = clock(services, "reopen")
    assert state["phase"] == "running" and state["ends_at"] is None
    after = drill_state(services)
    assert after["phase"] == "running" and after["audit"][-1] == "clock.reopen"
    with services.database.session() as session:
        last = session.scalars(select(Event).order_by(Event.id.desc()).limit(1)).one()
    assert last.kind == "clock" and last.payload["phase"] == "running"


def test_reopen_with_a_new_end(services: Any) -> None:
    clock(services, "start")
    clock(services, "end")
    later = utcnow() + timedelta(hours=1)
    with services.database.session() as session:
        organizer.reopen(session, utcnow(), "test", ends_at=later)
    assert drill_state(services)["ends_at"] == later


@pytest.mark.parametrize("action", [None, "pause"])
def test_reopen_is_refused_unless_ended_and_changes_nothing(services: Any, action: str | None) -> None:
    clock(services, "start")
    if action:
        clock(services, action)
    before = drill_state(services)
    with pytest.raises(Refused, match="only an ended drill can be reopened"):
        clock(services, "reopen")
    assert drill_state(services) == before


def test_reopen_refuses_an_end_in_the_past(services: Any) -> None:
    clock(services, "start")
    clock(services, "end")
    with services.database.session() as session, pytest.raises(Refused, match="in the future"):
        organizer.reopen(session, utcnow(), "test", ends_at=utcnow() - timedelta(minutes=1))
    assert drill_state(services)["phase"] == "ended"


def test_reopen_lifts_a_freeze_already_revealed(services: Any, client: Any) -> None:
    clock(services, "start")
    clock(services, "freeze")
    clock(services, "end")
    clock(services, "reopen")
    assert drill_state(services)["freeze_at"] is None
    assert client.get("/api/v1/scoreboard").get_json()["frozen"] is False


def test_reopen_keeps_a_freeze_still_ahead(services: Any) -> None:
    now = utcnow()
    clock(services, "set", starts_at=now - timedelta(hours=1), freeze_at=now + timedelta(hours=2))
    clock(services, "end")
    clock(services, "reopen")
    assert drill_state(services)["freeze_at"] is not None


def test_a_team_answers_again_after_reopen(services: Any, client: Any, make_pack: Any) -> None:

    folder = make_pack({"web/one": {"name": "One", "category": "Web", "value": 100, "flags": ["DRILL{one}"]}})
    load_pack(services, folder)
    _, headers = team_with_token(services, "Team Reopen")
    cid = client.get("/api/v1/challenges", headers=headers).get_json()["challenges"][0]["id"]
    clock(services, "end")
    assert client.post(f"/api/v1/challenges/{cid}/attempts", json={"answer": "x"}, headers=headers).status_code == 403
    clock(services, "reopen")
    reply = client.post(f"/api/v1/challenges/{cid}/attempts", json={"answer": "DRILL{one}"}, headers=headers)
    assert reply.status_code == 200 and reply.get_json()["result"] == "correct"


def test_cli_clock_reopen(server_factory: Any) -> None:
    srv = server_factory(env={"DRILLBOARD_DEMO": "0"})
    srv.cli("clock", "start")
    srv.cli("clock", "end")
    assert json.loads(srv.cli("clock", "reopen").stdout)["phase"] == "running"
    refused = srv.cli("clock", "reopen", check=False)
    assert refused.returncode != 0 and "only an ended drill can be reopened" in refused.stderr + refused.stdout


# --- what the console offers in each state --------------------------------------------------------


def test_clock_actions_follow_the_state(services: Any) -> None:
    def offered() -> list[str]:
        with services.database.session() as session:
            return organizer.clock_actions_allowed(events.drill(session), utcnow())

    clock(services, "set", starts_at=utcnow() + timedelta(hours=1))
    assert offered() == ["start"]
    clock(services, "start")
    assert offered() == ["pause", "freeze", "end"]
    clock(services, "pause")
    assert offered() == ["resume", "freeze", "end"]
    clock(services, "freeze")
    assert offered() == ["resume", "end"]
    clock(services, "end")
    assert offered() == ["reopen"]


# --- the console: one request never performs a destructive action ------------------------------


@pytest.fixture
def organizer_client(services: Any, client: Any) -> Any:
    login(client, "chief", organizer_account(services, "chief"))
    return client


@pytest.mark.parametrize("url, question", [
    ("/console/clock/end", "End the drill now?"),
    ("/console/clock/freeze", "Freeze the public board now?"),
])
def test_a_clock_post_without_confirmation_only_asks(services: Any, organizer_client: Any, url: str,
                                                     question: str) -> None:
    clock(services, "start")
    before = drill_state(services)
    token = csrf(organizer_client, "/console/")
    page = organizer_client.post(url, data={"csrf_token": token})
    assert page.status_code == 200 and question in page.get_data(True)
    assert drill_state(services) == before
    done = organizer_client.post(url, data={"csrf_token": token, "confirmed": "1"})
    assert done.status_code == 302 and drill_state(services) != before


def test_team_controls_without_confirmation_change_nothing(services: Any, organizer_client: Any) -> None:
    team_id, _ = team_with_token(services, "Kazakh CERT")
    with services.database.session() as session:
        code = session.get(Team, team_id).join_code
    token = csrf(organizer_client, "/console/teams")
    page = organizer_client.post(f"/console/teams/{team_id}/disable", data={"csrf_token": token})
    assert "Disable team Kazakh CERT?" in page.get_data(True)
    page = organizer_client.post(f"/console/teams/{team_id}/rotate", data={"csrf_token": token})
    assert code in page.get_data(True)  # the confirmation names the code that stops working
    with services.database.session() as session:
        team = session.get(Team, team_id)
        assert (team.disabled, team.join_code) == (False, code)
    organizer_client.post(f"/console/teams/{team_id}/disable", data={"csrf_token": token, "confirmed": "1"})
    shown = organizer_client.get("/console/teams").get_data(True)
    assert "Team Kazakh CERT disabled; its members can no longer submit." in shown
    with services.database.session() as session:
        assert session.get(Team, team_id).disabled is True
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "team.disable")) == 1


# --- the projector page's server side ------------------------------------------------------------


def test_pages_of_standings() -> None:
    rows = list(range(40))
    assert kiosk.page_of(rows, 1) == (rows[:11], 1, 4)
    assert kiosk.page_of(rows, 4) == (rows[33:], 4, 4)
    assert kiosk.page_of(rows, 9)[1:] == (4, 4) and kiosk.page_of(rows, None)[1] == 1
    assert kiosk.page_of([], 1) == ([], 1, 1)


@pytest.mark.parametrize("raw, seconds", [(None, 12), ("20", 20), ("0", 2), ("100000", 300), ("soon", 12)])
def test_dwell(raw: str | None, seconds: int) -> None:
    assert kiosk.dwell(raw) == seconds


def test_wall_clock_in_the_drill_zone() -> None:
    now = datetime(2026, 11, 25, 9, 30, 5, tzinfo=timezone.utc)
    running = Clock(now - timedelta(hours=1), now + timedelta(hours=2, seconds=3), None, None)
    face = kiosk.wall_clock("Asia/Almaty", running, now)
    assert face == {"zone": "Asia/Almaty", "offset": "UTC+05:00", "time": "14:30", "countdown": ("to_end", "2:00:03")}
    assert kiosk.wall_clock("Not/AZone", running, now)["zone"] == "UTC"
    assert kiosk.wall_clock(None, running, now)["offset"] == "UTC"


def test_countdown_names_what_comes_next() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
    hour = timedelta(hours=1)
    assert Clock(now + hour, None, None, None).countdown(now) == ("to_start", 3600)
    assert Clock(now - hour, now + 2 * hour, now + hour, None).countdown(now) == ("to_freeze", 3600)
    assert Clock(now - hour, now + 2 * hour, now - 1 * timedelta(minutes=1), None).countdown(now) == ("to_end", 7200)
    assert Clock(now - hour, None, None, None).countdown(now) is None
    assert Clock(now - hour, now + hour, None, now).countdown(now) is None  # paused
