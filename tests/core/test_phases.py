"""Exercises in phases: the pack format, opening a phase (CLI, console, schedule), content hidden
until its phase opens, report deadlines counted from the phase, late refusals and penalties."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from corekit import team_with_token
from sqlalchemy import select

from scoreboard import packs
from scoreboard.core import lateness
from scoreboard.drill import accounts, organizer, phases
from scoreboard.store.models import Challenge, Drill, Event, Grade, utcnow

RUBRIC = [{"criterion": "Timeline", "points": 40, "comment_required": False},
          {"criterion": "Indicators", "points": 25, "comment_required": False}]
PACK = {"id": "ex", "title": "Exercise", "briefing": "Read **this** first.",
        "translations": {"ru": {"briefing": "Сначала прочтите **это**."}},
        "phases": [{"id": "startex", "title": "STARTEX", "opens_after": "0m"},
                   {"id": "inject", "title": "Inject", "description": "The ministry calls.",
                    "translations": {"ru": {"title": "Вводная"}}},
                   {"id": "later", "title": "Later", "opens_after": "30m"}]}
OPEN = {"name": "Open flag", "value": 100, "flags": ["DRILL{open}"], "phase": "startex"}
HELD = {"name": "Held flag", "value": 50, "flags": ["DRILL{held}"], "phase": "inject"}
LATER = {"name": "Later flag", "value": 10, "flags": ["DRILL{later}"], "phase": "later"}
REPORT = {"name": "Ministry report", "type": "report", "rubric": RUBRIC, "phase": "inject", "deadline_after": "1h",
          "late": {"penalty_percent": 10, "per_minutes": 15}}


def load(services: Any, make_pack: Any, report: dict[str, Any] | None = None) -> dict[str, int]:
    with services.database.session() as session:
        packs.load(session, make_pack({"a/open": OPEN, "b/held": HELD, "c/later": LATER, "d/report": report or REPORT},
                                      PACK), services.settings.files_dir)
        return {c.name: c.id for c in session.scalars(select(Challenge))}


def problems_of(make_pack: Any, files: dict[str, str]) -> list[str]:
    with pytest.raises(packs.PackError) as info:
        packs.read_folder(make_pack({}, files=files))
    return info.value.problems


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def listed(client: Any, headers: dict[str, str]) -> set[str]:
    return {c["name"] for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}


def start(services: Any, at: datetime | None = None) -> None:
    with services.database.session() as session:
        organizer.clock_action(session, "start", at or utcnow(), "test")


def open_at(services: Any, phase_id: str, at: datetime) -> None:
    with services.database.session() as session:
        phases.open_phase(session, phase_id, at, "test")


# --- the pack format --------------------------------------------------------------------------


def test_bad_phases_are_refused_with_file_and_line(make_pack: Any) -> None:
    found = problems_of(make_pack, {
        "pack.yml": ("id: ex\nphases:\n"
                     "  - {id: Bad Id, title: One}\n"                                   # line 3
                     "  - {id: two, title: Two, opens_at: 2026-01-01T00:00:00Z, opens_after: 1h}\n"  # line 4
                     "  - {id: three, title: Three}\n"
                     "  - {id: three, title: Again}\n"                                  # line 6
                     "  - {id: four}\n"),                                               # line 7
        "a/challenge.yml": "name: A\nvalue: 1\nflags: [x]\nphase: thre\n",
        "b/challenge.yml": ("name: B\ntype: report\nrubric:\n  - {criterion: C, points: 5}\ndeadline_after: 1h\n"
                            "late: {penalty_percent: 0, per_minutes: 15}\n"),
        "c/challenge.yml": "name: C\ntype: report\nrubric:\n  - {criterion: C, points: 5}\nlate: sometimes\n",
    })
    assert found == [
        "pack.yml:3: a phase's 'id' must be lowercase letters, digits, - or _ (at most 100), not 'Bad Id'",
        "pack.yml:4: the phase 'two': use only one of 'opens_at', 'opens_after'",
        "pack.yml:6: two phases have the id 'three' (also on line 5)",
        "pack.yml:7: the phase 'four' needs a 'title'",
        "b/challenge.yml:6: 'late.penalty_percent' must be a whole number from 1 to 100, not 0",
        "c/challenge.yml:5: 'late' must be 'refuse' or {penalty_percent: N, per_minutes: M}, not 'sometimes'",
        "a/challenge.yml:4: the phase 'thre' names no phase (did you mean 'three'?); pack.yml's phases are 'three'",
    ], found


def test_a_phase_on_a_challenge_needs_phases_in_the_pack(make_pack: Any) -> None:
    found = problems_of(make_pack, {"a/challenge.yml": "name: A\nvalue: 1\nflags: [x]\nphase: inject\n"})
    assert found == ["a/challenge.yml:4: the phase 'inject' names no phase: pack.yml lists no 'phases'"]


def test_the_dry_run_shows_the_phases_and_a_phase_pack_waits_for_startex(services: Any, make_pack: Any) -> None:
    root = make_pack({"a/open": OPEN, "b/held": HELD, "c/later": LATER, "d/report": REPORT}, PACK)
    with services.database.session() as session:
        diff = packs.load(session, root, services.settings.files_dir, dry_run=True)
    assert diff.lines()[-4:-1] == ["  phase startex: STARTEX (opens 0 min after the start)",
                                   "  phase inject: Inject (opened by an organizer)",
                                   "  phase later: Later (opens 30 min after the start)"]
    load(services, make_pack)
    with services.database.session() as session:
        assert session.get(Drill, 1).starts_at is None  # not an open practice: an organizer starts it
    # A pack without phases loaded beside it does not start the exercise either.
    extra = make_pack({"x/plain": {"name": "Plain flag", "value": 5, "flags": ["DRILL{plain}"]}}, {"id": "extra"})
    with services.database.session() as session:
        packs.load(session, extra, services.settings.files_dir)
        session.commit()
        assert session.get(Drill, 1).starts_at is None


# --- opening phases ---------------------------------------------------------------------------


def test_held_content_is_404_and_absent_until_its_phase_opens_by_the_cli(app: Any, services: Any, client: Any,
                                                                         make_pack: Any) -> None:
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Phasers")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["drill", "phase", "open", "inject"])
    assert refused.exit_code == 1 and "start it (STARTEX)" in refused.output
    start(services)
    assert listed(client, headers) == {"Open flag"}
    for name in ("Held flag", "Ministry report", "Later flag"):
        assert client.get(f"/api/v1/challenges/{ids[name]}", headers=headers).status_code == 404
        assert client.post(f"/api/v1/challenges/{ids[name]}/attempts", json={"answer": "DRILL{held}"},
                           headers=headers).status_code == 404
    state = client.get("/api/v1/phases", headers=headers).get_json()["phases"]
    assert [(p["id"], p["state"]) for p in state] == [("startex", "open"), ("inject", "waiting"), ("later", "waiting")]
    assert state[1]["opened_at"] is None and state[0]["opened_at"]

    opened = runner.invoke(args=["drill", "phase", "open", "inject"])
    assert opened.exit_code == 0, opened.output
    assert listed(client, headers) == {"Open flag", "Held flag", "Ministry report"}
    assert client.post(f"/api/v1/challenges/{ids['Held flag']}/attempts", json={"answer": "DRILL{held}"},
                       headers=headers).get_json()["result"] == "correct"
    with services.database.session() as session:
        kinds = [(e.kind, e.payload.get("id") or e.payload.get("challenge"))
                 for e in session.scalars(select(Event).where(Event.seq.is_not(None)).order_by(Event.seq))]
        titles = [e.payload["title"] for e in session.scalars(select(Event).where(Event.kind == "announcement"))]
    # The phase event first, its announcement (the inject, in every inbox), then its challenges'
    # releases; nothing of the phase was released before.
    at = kinds.index(("phase", "inject"))
    assert kinds[at + 1][0] == "announcement" and titles[-1] == "Inject"
    assert set(kinds[at + 2:at + 4]) == {("release", "Held flag"), ("release", "Ministry report")}
    assert ("release", "Held flag") not in kinds[:at]
    again = runner.invoke(args=["drill", "phase", "open", "inject"])
    assert again.exit_code == 1 and "already open" in again.output
    unknown = runner.invoke(args=["drill", "phase", "open", "nope"])
    assert unknown.exit_code == 1 and "no such phase" in unknown.output
    listing = runner.invoke(args=["drill", "phase", "list"])
    assert '"id": "inject", "title": "Inject", "state": "open"' in listing.output


def test_the_schedule_opens_phases_from_the_clock_tick(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Tickers")
    began = utcnow()
    start(services, began)
    with services.database.session() as session:
        organizer.announce_due(session, began + timedelta(minutes=29))
    assert "Later flag" not in listed(client, headers)
    with services.database.session() as session:
        organizer.announce_due(session, began + timedelta(minutes=30))
        organizer.announce_due(session, began + timedelta(minutes=31))  # a second tick opens nothing twice
        opened = [e.payload["id"] for e in session.scalars(select(Event).where(Event.kind == "phase"))]
    assert opened == ["startex", "later"]
    assert client.get(f"/api/v1/challenges/{ids['Later flag']}", headers=headers).status_code == 200


def test_the_phases_page_counts_the_challenges_in_no_phase(services: Any, client: Any, make_pack: Any) -> None:
    """The demo's STARTEX phase said "Challenges 0" while eleven challenges opened with the drill:
    those are in no phase, and the page now says how many there are and when they open."""
    with services.database.session() as session:
        packs.load(session, make_pack({"a/open": OPEN, "b/held": HELD, "c/later": LATER, "d/report": REPORT,
                                       "e/loose": {"name": "Loose flag", "value": 5, "flags": ["DRILL{loose}"]},
                                       "f/free": {"name": "Free flag", "value": 5, "flags": ["DRILL{free}"]}},
                                      PACK), services.settings.files_dir)
        _, password, _ = accounts.create_admin(session, "chief")
    token = csrf(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"name": "chief", "password": password, "csrf_token": token})
    page = client.get("/console/phases").get_data(as_text=True)
    assert "2 challenges belong to no phase: they open with the drill (STARTEX)" in page
    assert re.search(r'data-phase="inject".*?data-label="Challenges">2<', page, re.S)


def test_an_organizer_opens_a_phase_from_the_console_after_confirming(services: Any, client: Any,
                                                                      make_pack: Any) -> None:
    load(services, make_pack)
    with services.database.session() as session:
        _, password, _ = accounts.create_admin(session, "chief")
    token = csrf(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"name": "chief", "password": password, "csrf_token": token})
    page = client.get("/console/phases").get_data(as_text=True)
    assert "Start it (STARTEX)" in page and "data-open-phase" not in page
    assert 'id="unphased"' not in page  # every challenge of this pack is in a phase
    start(services)
    asked = client.get("/console/phases/inject/open").get_data(as_text=True)
    assert "Open the phase Inject now?" in asked and "Its 2 challenges appear" in asked
    token = csrf(asked)
    assert client.post("/console/phases/inject/open", data={"csrf_token": token}).status_code == 200  # asks again
    with services.database.session() as session:
        assert phases.current(session).id == "startex"
    done = client.post("/console/phases/inject/open", data={"confirmed": "1", "csrf_token": token},
                       follow_redirects=True)
    assert "Phase Inject is open" in done.get_data(as_text=True)
    with services.database.session() as session:
        assert phases.current(session).id == "inject"
    assert "Inject" in client.get("/console/").get_data(as_text=True).split('id="dashboard-phase"')[1][:300]
    assert client.get("/console/phases/none/open").status_code == 404


def test_the_briefing_in_the_callers_language_and_on_the_board_before_startex(services: Any, client: Any,
                                                                              make_pack: Any) -> None:
    load(services, make_pack)
    _, headers = team_with_token(services, "Readers")
    assert client.get("/api/v1/briefing").status_code == 401
    english = client.get("/api/v1/briefing", headers=headers).get_json()
    russian = client.get("/api/v1/briefing", headers={**headers, "Accept-Language": "ru"}).get_json()
    assert english == {"title": "Exercise", "briefing_html": "<p>Read <strong>this</strong> first.</p>\n"}
    assert russian["briefing_html"] == "<p>Сначала прочтите <strong>это</strong>.</p>\n"
    assert "Read <strong>this</strong> first." in client.get("/board").get_data(as_text=True)
    start(services)
    board = client.get("/board").get_data(as_text=True)
    assert "Read <strong>this</strong> first." not in board and "STARTEX" in board  # the current phase


# --- report deadlines and lateness ------------------------------------------------------------


def file_report(client: Any, cid: int, headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/challenges/{cid}/reports", json={"text": "# Report"}, headers=headers)


def test_a_deadline_counts_from_the_phase_and_refuse_refuses(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, {**REPORT, "late": "refuse"})
    _, headers = team_with_token(services, "Tardy")
    now = utcnow()
    start(services, now - timedelta(hours=3))
    open_at(services, "inject", now - timedelta(minutes=59))  # due one minute from now
    assert file_report(client, ids["Ministry report"], headers).status_code == 201
    with services.database.session() as session:
        session.execute(Challenge.__table__.update().values(phase_opened_at=now - timedelta(minutes=61)))
        organizer.schedule(session, ids["Open flag"], None, "test")  # tells the caches the catalog changed
    late = file_report(client, ids["Ministry report"], headers)
    assert late.status_code == 403 and "deadline for this report passed" in late.get_json()["error"]


def test_a_late_report_is_accepted_and_its_grade_loses_the_penalty(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack)
    team_id, headers = team_with_token(services, "Latecomers")
    now = utcnow()
    start(services, now - timedelta(hours=3))
    open_at(services, "inject", now - timedelta(minutes=80))  # the deadline passed 20 minutes ago
    assert file_report(client, ids["Ministry report"], headers).status_code == 201
    with services.database.session() as session:
        judge = accounts.create_staff(session, "judy", "judge", None)[2]
    queue = client.get("/api/v1/judging/reports", headers={"Authorization": f"Bearer {judge}"}).get_json()["reports"]
    assert (queue[0]["late_minutes"], queue[0]["late_percent"]) == (21, 20)  # two started quarters: 20 %
    for scores, counted in (([20, 25], (36, 9)), ([40, 25], (52, 13))):  # the judge amends before release
        marked = client.post(f"/api/v1/judging/reports/{queue[0]['id']}", json={"scores": scores},
                             headers={"Authorization": f"Bearer {judge}"})
        assert marked.status_code == 200
        with services.database.session() as session:
            grade = session.scalar(select(Grade))
            assert (grade.points, grade.late_penalty) == counted  # 45 or 65, less 20 % either way
    with services.database.session() as session:
        grade = session.scalar(select(Grade))
        assert grade.scores == [40, 25]  # the judges' marks stay as marked; only the points lose the penalty
        from scoreboard.drill import judging
        judging.release(session, grade.id, "test", utcnow())
    report = client.get(f"/api/v1/challenges/{ids['Ministry report']}", headers=headers).get_json()["report"]
    assert report["points"] == 52
    with services.database.session() as session:
        from scoreboard.drill import reports
        assert reports.late_penalty(session, team_id, ids["Ministry report"]) == 13
    board = client.get("/api/v1/scoreboard").get_json()["standings"]
    assert next(r for r in board if r["team_id"] == team_id)["score"] == 52


@pytest.mark.parametrize(("points", "late", "expected"), [
    (65, 0, 65), (65, 1, 58), (65, 15 * 60, 58), (65, 15 * 60 + 1, 52), (100, 10 * 15 * 60, 0),
    (100, 11 * 15 * 60, 0), (7, 60, 6),
])
def test_penalty_arithmetic(points: int, late: int, expected: int) -> None:
    rule = {"penalty_percent": 10, "per_minutes": 15}
    assert lateness.penalized(points, late, rule) == expected
    assert lateness.penalized(points, late, None) == points


def test_seconds_late() -> None:
    deadline = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert lateness.seconds_late(deadline, deadline - timedelta(seconds=5)) == 0
    assert lateness.seconds_late(deadline, deadline + timedelta(milliseconds=1)) == 1
    assert lateness.seconds_late(None, deadline) == 0
