"""Report tasks and judging: filing versions, anonymous marking, second markers, release, refusals."""
from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from corekit import team_with_token
from helpers import PASSWORD, csrf, load_pack, logged_in, login, organizer_account
from sqlalchemy import func, select

from scoreboard import packs
from scoreboard.drill import accounts, audit, backup, organizer
from scoreboard.store.models import AuditEntry, Drill, Event, Grade, Mark, Report, ReportFile, utcnow

RUBRIC = [{"criterion": "Timeline", "points": 40, "comment_required": True},
          {"criterion": "Indicators", "points": 25, "comment_required": False}]
TASK = {"name": "Incident report", "type": "report", "description": "Tell us *what happened*.", "rubric": RUBRIC}
FLAG = {"name": "Flag one", "value": 100, "flags": ["DRILL{x}"]}


def load(services: Any, make_pack: Any, pack: dict[str, Any] | None = None, task: dict[str, Any] | None = None) -> dict[str, int]:
    load_pack(services, make_pack({"r/report": task or TASK, "f/flag": FLAG}, {"id": "ex", **(pack or {})}))
    with services.database.session() as session:
        from scoreboard.store.models import Challenge
        return {c.name: c.id for c in session.scalars(select(Challenge))}


def staff(services: Any, name: str, role: str = "judge", team_id: int | None = None) -> dict[str, str]:
    with services.database.session() as session:
        from scoreboard.store.models import Team
        team = session.get(Team, team_id) if team_id else None
        _, _, token = accounts.create_staff(session, name, role, team)
    return {"Authorization": f"Bearer {token}"}


def count(services: Any, model: type) -> int:
    with services.database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def file_report(client: Any, cid: int, headers: dict[str, str], text: str = "# Report\n\nAll quiet.") -> Any:
    return client.post(f"/api/v1/challenges/{cid}/reports", json={"text": text}, headers=headers)


def breakdown(client: Any, team_id: int) -> dict[str, int]:
    rows = client.get("/api/v1/scoreboard").get_json()["standings"]
    return next(r["breakdown"] for r in rows if r["team_id"] == team_id)


def graded_events(services: Any) -> list[dict[str, Any]]:
    with services.database.session() as session:
        return [e.payload for e in session.scalars(select(Event).where(Event.kind == "graded"))]


# --- packs ------------------------------------------------------------------------------------


def problems_of(make_pack: Any, files: dict[str, str]) -> list[str]:
    with pytest.raises(packs.PackError) as info:
        packs.read_folder(make_pack({}, files=files))
    return info.value.problems


def test_a_report_task_loads_with_its_rubric_and_reloads_unchanged(services: Any, make_pack: Any) -> None:
    pack = {"second_marker": "lead", "release_grades": "immediate",
            "weights": {"flags": 50, "reports": 30, "deductions": 20}}
    task = {**TASK, "deadline_after": "3h"}
    root = make_pack({"r/report": task, "f/flag": FLAG}, {"id": "ex", **pack})
    load_pack(services, root)
    again = load_pack(services, root, dry_run=True)
    with services.database.session() as session:
        from scoreboard.store.models import Challenge
        row = session.scalar(select(Challenge).where(Challenge.name == "Incident report"))
        drill = session.get(Drill, 1)
        assert (row.kind, row.value, row.rubric, row.deadline_after) == ("report", 65, RUBRIC, 3 * 3600)
        assert (drill.second_marker, drill.grade_release, drill.weights) == (
            "lead", "immediate", {"flags": 50, "reports": 30, "deductions": 20})
    assert again.changed == [] and sorted(again.unchanged) == ["Flag one", "Incident report"]


def test_report_task_mistakes_are_problems_with_file_and_line(make_pack: Any) -> None:
    found = problems_of(make_pack, {
        "pack.yml": "id: bad\nsecond_marker: both\nrelease_grades: later\nweights: {flags: 50, reports: 30}\n",
        "a/challenge.yml": "name: A\ntype: report\nvalue: 10\nflags: ['x']\nrubric:\n  - {criterion: One, points: 5}\n",
        "b/challenge.yml": "name: B\ntype: report\n",
        "c/challenge.yml": ("name: C\ntype: report\nrubric:\n  - {criterion: One, points: 0}\n"
                            "deadline: 2026-01-01T00:00:00Z\ndeadline_after: 3h\n"),
        "d/challenge.yml": "name: D\ntype: report\nrubric:\n  - {criterion: One, points: 5}\ndeadline: tomorrow\n",
    })
    expected = [
        "pack.yml:2: 'second_marker' must be one of 'average', 'lead', not 'both'",
        "pack.yml:3: 'release_grades' must be one of 'immediate', 'manual', not 'later'",
        "pack.yml:4: 'weights' must add up to 100, not 80",
        "a/challenge.yml:4: a report task takes no 'flags'",
        "a/challenge.yml:3: 'value' is 10 but the rubric's points add up to 5",
        "b/challenge.yml:1: a report task needs a 'rubric'",
        "c/challenge.yml:4: 'rubric.points' must be a whole number from 1 to 100000, not 0",
        "c/challenge.yml:6: use only one of 'deadline', 'deadline_after'",
        "d/challenge.yml:5: 'deadline'",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in found), (start, found)


# --- filing -----------------------------------------------------------------------------------


def test_a_team_files_versions_and_sees_its_status(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Blue")
    first = file_report(client, ids["Incident report"], headers)
    second = file_report(client, ids["Incident report"], headers, "# Report\n\nRevised.")
    assert first.status_code == 201 and first.get_json()["version"] == 1 and first.get_json()["status"] == "submitted"
    assert second.get_json()["version"] == 2
    detail = client.get(f"/api/v1/challenges/{ids['Incident report']}", headers=headers).get_json()
    assert detail["kind"] == "report" and detail["value"] == 65 and detail["rubric"] == RUBRIC
    assert detail["report"] == {"version": 2, "status": "submitted", "points": None, "comment": None,
                                "criteria": [], "comments": [], "returned": None}
    _, other = team_with_token(services, "Red")
    assert client.get(f"/api/v1/challenges/{ids['Incident report']}", headers=other).get_json()["report"] is None


@pytest.mark.parametrize("body, status", [({"text": "   "}, 400), ({"text": 5}, 400), ({}, 400),
                                          ({"text": "x" * 50_001}, 400)])
def test_bad_report_text_is_refused_and_nothing_written(services: Any, client: Any, make_pack: Any,
                                                        body: dict[str, Any], status: int) -> None:
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Blue")
    resp = client.post(f"/api/v1/challenges/{ids['Incident report']}/reports", json=body, headers=headers)
    assert resp.status_code == status and resp.get_json()["error"]
    assert count(services, Report) == 0


TABLE_8000 = "|a|b|\n|-|-|\n" + "|1|2|\n" * 8000  # under the 50,000-character limit


def test_an_8000_row_table_is_refused_in_the_users_language_and_nothing_written(services: Any, client: Any,
                                                                               make_pack: Any) -> None:
    assert len(TABLE_8000) <= 50_000
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Blue")
    english = file_report(client, ids["Incident report"], headers, TABLE_8000)
    russian = client.post(f"/api/v1/challenges/{ids['Incident report']}/reports", json={"text": TABLE_8000},
                          headers={**headers, "Accept-Language": "ru"})
    assert english.status_code == 400 and "500 table rows" in english.get_json()["error"]
    assert russian.status_code == 400 and "500" in russian.get_json()["error"]
    assert russian.get_json()["error"] != english.get_json()["error"]
    deep = file_report(client, ids["Incident report"], headers, "".join("  " * i + "- x\n" for i in range(12)))
    assert deep.status_code == 400 and "levels deep" in deep.get_json()["error"]
    assert count(services, Report) == 0


def test_a_report_is_rendered_once_when_filed_and_read_from_storage(services: Any, client: Any,
                                                                    make_pack: Any) -> None:
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Blue")
    text = "| host | seen |\n|---|---|\n" + "| a | 1 |\n" * 400 + "\n<script>alert(1)</script>"
    assert file_report(client, ids["Incident report"], headers, text).status_code == 201
    with services.database.session() as session:
        stored = session.scalars(select(Report)).one().text_html
    assert stored.count("<tr>") == 401 and "<script>" not in stored
    # What judges read is the stored HTML, not a fresh render of the text.
    with services.database.session() as session:
        session.scalars(select(Report)).one().text_html = "<p>stored</p>"
    queue = client.get("/api/v1/judging/reports", headers=staff(services, "judy")).get_json()["reports"]
    assert [r["text_html"] for r in queue] == ["<p>stored</p>"]


def test_versions_are_capped_per_team_and_task_with_a_clear_refusal(services: Any, client: Any,
                                                                    make_pack: Any) -> None:
    from scoreboard.drill.reports import MAX_VERSIONS

    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Blue")
    for version in range(1, MAX_VERSIONS + 1):
        assert file_report(client, ids["Incident report"], headers, f"v{version}").status_code == 201
    refused = client.post(f"/api/v1/challenges/{ids['Incident report']}/reports", json={"text": "one more"},
                          headers={**headers, "Accept-Language": "zh"})
    assert refused.status_code == 409 and str(MAX_VERSIONS) in refused.get_json()["error"]
    assert count(services, Report) == MAX_VERSIONS
    _, other = team_with_token(services, "Red")
    assert file_report(client, ids["Incident report"], other).status_code == 201


def test_reports_only_for_report_tasks_while_running_and_before_the_deadline(services: Any, client: Any,
                                                                              make_pack: Any) -> None:
    ids = load(services, make_pack, task={**TASK, "deadline": "2000-01-01T00:00:00Z"})
    _, headers = team_with_token(services, "Blue")
    flag = file_report(client, ids["Flag one"], headers)
    assert flag.status_code == 404 and "answers, not reports" in flag.get_json()["error"]
    late = file_report(client, ids["Incident report"], headers)
    assert late.status_code == 403 and "deadline" in late.get_json()["error"]
    assert file_report(client, 9999, headers).status_code == 404
    assert count(services, Report) == 0


def test_no_report_while_the_drill_is_paused(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Blue")
    with services.database.session() as session:
        organizer.clock_action(session, "pause", utcnow(), "test")
    resp = file_report(client, ids["Incident report"], headers)
    assert resp.status_code == 403 and "running" in resp.get_json()["error"]
    assert count(services, Report) == 0


def test_attachments_are_kept_and_judges_see_them_renamed(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack)
    team_id, headers = team_with_token(services, "Blue Falcons")
    resp = client.post(f"/api/v1/challenges/{ids['Incident report']}/reports", headers=headers,
                       data={"text": "See the timeline.", "files": [(io.BytesIO(b"t0 login"), "Blue Falcons timeline.csv")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 201
    with services.database.session() as session:
        stored = session.scalar(select(ReportFile))
        assert stored.name == "Blue Falcons timeline.csv" and "Falcons" not in stored.stored_path
    judge = staff(services, "judy")
    queue = client.get("/api/v1/judging/reports", headers=judge)
    assert queue.status_code == 200
    body = queue.get_data(as_text=True)
    assert "Blue Falcons" not in body and '"team_id"' not in body and "team" not in queue.get_json()["reports"][0]
    item = queue.get_json()["reports"][0]
    assert item["attachments"] == [{"name": "attachment-1.csv", "size": 8}] and item["rubric"] == RUBRIC
    got = client.get(f"/judge/reports/{item['id']}/attachment-1.csv", headers=judge)
    assert got.status_code == 200 and got.data == b"t0 login"
    assert "Falcons" not in got.headers["Content-Disposition"]
    assert client.get(f"/judge/reports/{item['id']}/attachment-1.csv", headers=headers).status_code == 403


def test_a_backup_carries_report_attachments(services: Any, client: Any, make_pack: Any, tmp_path: Any) -> None:
    """No file is ever lost: a team's attachment is in the backup beside the row that names it."""
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Blue")
    resp = client.post(f"/api/v1/challenges/{ids['Incident report']}/reports", headers=headers,
                       data={"text": "See the log.", "files": [(io.BytesIO(b"t0 login from 203.0.113.7"), "auth.log")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 201
    with services.database.session() as session:
        stored = session.scalar(select(ReportFile)).stored_path
    archive = tmp_path / "drill.zip"
    backup.dump(services.database, services.settings.files_dir, archive)
    with zipfile.ZipFile(archive) as opened:
        assert opened.read(f"files/{stored}") == b"t0 login from 203.0.113.7"


def test_too_many_or_too_large_files_are_refused(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack)
    services.settings.max_report_file_bytes = 10
    _, headers = team_with_token(services, "Blue")
    url = f"/api/v1/challenges/{ids['Incident report']}/reports"
    big = client.post(url, headers=headers, content_type="multipart/form-data",
                      data={"text": "x", "files": [(io.BytesIO(b"x" * 11), "big.bin")]})
    many = client.post(url, headers=headers, content_type="multipart/form-data",
                       data={"text": "x", "files": [(io.BytesIO(b"x"), f"{n}.txt") for n in range(6)]})
    assert big.status_code == 400 and "big.bin" in big.get_json()["error"]
    assert many.status_code == 400 and "at most 5" in many.get_json()["error"]
    assert count(services, Report) == 0 and count(services, ReportFile) == 0


# --- judging ----------------------------------------------------------------------------------


def mark(client: Any, report_id: int, headers: dict[str, str], scores: list[Any], comment: str = "Clear timeline.",
         **extra: Any) -> Any:
    return client.post(f"/api/v1/judging/reports/{report_id}", json={"scores": scores, "comment": comment, **extra},
                       headers=headers)


def test_teams_and_anonymous_callers_cannot_judge(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Blue")
    report_id = file_report(client, ids["Incident report"], headers).get_json()["id"]
    assert client.get("/api/v1/judging/reports").status_code == 401
    assert client.get("/api/v1/judging/reports", headers=headers).status_code == 403
    assert mark(client, report_id, headers, [40, 25]).status_code == 403
    assert client.post(f"/api/v1/judging/reports/{report_id}", json={"scores": [1, 1]}).status_code == 401
    assert client.get("/judge", headers=headers).status_code in (302, 401, 403)
    assert count(services, Mark) == 0


def test_bad_marks_are_refused_and_nothing_written(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Blue")
    report_id = file_report(client, ids["Incident report"], headers).get_json()["id"]
    judge = staff(services, "judy")
    above = mark(client, report_id, judge, [41, 10])
    assert above.status_code == 400
    assert above.get_json()["error"] == "a score of 41 for Timeline is above its maximum of 40"
    missing = mark(client, report_id, judge, [30, 10], comment="")
    assert missing.status_code == 400 and missing.get_json()["error"] == "a comment is required for Timeline"
    assert mark(client, report_id, judge, [30]).status_code == 400
    assert mark(client, report_id, judge, [-1, 3]).status_code == 400
    assert mark(client, report_id, judge, [True, 3]).status_code == 400
    assert mark(client, 9999, judge, [1, 1]).status_code == 404
    assert count(services, Mark) == 0 and count(services, Grade) == 0
    # a comment on the criterion itself satisfies the rubric too
    ok = mark(client, report_id, judge, [30, 10], comment="", comments=["Good order of events.", ""])
    assert ok.status_code == 200


def test_a_judge_never_grades_their_own_team(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack)
    team_id, headers = team_with_token(services, "Blue")
    report_id = file_report(client, ids["Incident report"], headers).get_json()["id"]
    insider = staff(services, "insider", team_id=team_id)
    assert client.get("/api/v1/judging/reports", headers=insider).get_json()["reports"] == []
    resp = mark(client, report_id, insider, [40, 25])
    assert resp.status_code == 403 and "your own team" in resp.get_json()["error"]
    assert client.get(f"/judge/reports/{report_id}", headers=insider).status_code == 302
    assert count(services, Mark) == 0


def test_one_marker_immediate_release_counts_and_stops_revisions(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, {"release_grades": "immediate"})
    team_id, headers = team_with_token(services, "Blue")
    file_report(client, ids["Incident report"], headers)
    judge = staff(services, "judy")
    report_id = client.get("/api/v1/judging/reports", headers=judge).get_json()["reports"][0]["id"]
    assert mark(client, report_id, judge, [30, 20]).status_code == 200
    assert breakdown(client, team_id)["reports"] == 50
    [event] = graded_events(services)
    assert event["seq"] and event["team_id"] == team_id and event["points"] == 50
    assert event["challenge"] == "Incident report" and event["team"] == "Blue"
    detail = client.get(f"/api/v1/challenges/{ids['Incident report']}", headers=headers).get_json()
    assert detail["report"] == {"version": 1, "status": "graded", "points": 50, "comment": "Clear timeline.",
                                "criteria": [{"criterion": "Timeline", "points": 30, "max": 40},
                                             {"criterion": "Indicators", "points": 20, "max": 25}],
                                "comments": ["Clear timeline."], "returned": None}
    amend = mark(client, report_id, judge, [40, 25])
    assert amend.status_code == 409 and "released" in amend.get_json()["error"]
    again = file_report(client, ids["Incident report"], headers)
    assert again.status_code == 409 and "graded" in again.get_json()["error"]
    assert count(services, Report) == 1
    assert client.get("/api/v1/judging/reports", headers=judge).get_json()["reports"] == []
    with services.database.session() as session:
        actions = [a for (a,) in session.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
        actors = set(session.scalars(select(AuditEntry.actor).where(AuditEntry.action.in_(["report.mark", "grade"]))))
    assert {"report.mark", "grade", "grade.release"} <= set(actions) and actors == {"judy"}


def test_second_marker_average_and_manual_release(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, {"second_marker": "average"})
    team_id, headers = team_with_token(services, "Blue")
    file_report(client, ids["Incident report"], headers)
    first, second = staff(services, "judy"), staff(services, "jack")
    report_id = client.get("/api/v1/judging/reports", headers=first).get_json()["reports"][0]["id"]
    assert mark(client, report_id, first, [40, 20]).status_code == 200
    assert count(services, Grade) == 0
    assert client.get("/api/v1/judging/reports", headers=first).get_json()["reports"] == []
    assert mark(client, report_id, first, [40, 20]).get_json()["amended"] is True  # the same judge: an amendment
    assert count(services, Mark) == 1
    assert [r["id"] for r in client.get("/api/v1/judging/reports", headers=second).get_json()["reports"]] == [report_id]
    assert mark(client, report_id, second, [31, 15], comment="Thin on indicators.").status_code == 200
    with services.database.session() as session:
        grade = session.scalar(select(Grade))
        # (60 + 46) / 2 = 53: 35.5 and 17.5 make 36 + 17, not 36 + 18 (each rounded up on its own).
        assert grade.points == 36 + 17 and grade.released_at is None
        assert "Clear timeline." in grade.comment and "Thin on indicators." in grade.comment
    detail = client.get(f"/api/v1/challenges/{ids['Incident report']}", headers=headers).get_json()
    assert detail["report"]["status"] == "graded" and detail["report"]["points"] is None
    assert breakdown(client, team_id)["reports"] == 0 and graded_events(services) == []
    admin = staff(services, "chief", "admin")
    page = client.get("/console/grades", headers=admin).get_data(as_text=True)
    assert "Blue" in page and "judges disagree" in page and "judy" in page and "jack" in page
    token = csrf(client)
    login(client, "boss", organizer_account(services, "boss"))
    done = client.post("/console/grades/release", data={"csrf_token": token}, follow_redirects=True)
    assert "1 grade released." in done.get_data(as_text=True)
    assert breakdown(client, team_id)["reports"] == 53
    assert graded_events(services)[0]["points"] == 53
    with services.database.session() as session:
        assert audit.verify(session) == []
        session.scalar(select(Grade)).points = 60  # an edit behind the audit log's back shows
        session.flush()
        assert audit.verify(session) != []
        session.rollback()


def test_second_marker_lead_takes_the_first_marks(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, {"second_marker": "lead", "release_grades": "immediate"})
    team_id, headers = team_with_token(services, "Blue")
    report_id = file_report(client, ids["Incident report"], headers).get_json()["id"]
    lead, second = staff(services, "lead"), staff(services, "second")
    mark(client, report_id, lead, [20, 5], comment="Lead's view.")
    mark(client, report_id, second, [40, 25], comment="Second view.")
    with services.database.session() as session:
        grade = session.scalar(select(Grade))
        assert (grade.points, grade.comment) == (25, "Lead's view.")
        assert session.scalar(select(func.count()).select_from(Mark)) == 2  # the second mark is kept
    assert breakdown(client, team_id)["reports"] == 25


def test_a_revision_replaces_the_version_in_the_queue(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, {"second_marker": "average"})
    _, headers = team_with_token(services, "Blue")
    old = file_report(client, ids["Incident report"], headers).get_json()["id"]
    judge = staff(services, "judy")
    mark(client, old, judge, [10, 10])
    new = file_report(client, ids["Incident report"], headers, "Better.").get_json()["id"]
    assert [r["id"] for r in client.get("/api/v1/judging/reports", headers=judge).get_json()["reports"]] == [new]
    stale = mark(client, old, staff(services, "jack"), [10, 10])
    assert stale.status_code == 409 and "newer version" in stale.get_json()["error"]


# --- pages (no JavaScript) --------------------------------------------------------------------

def member(services: Any, team: str, name: str) -> int:
    with services.database.session() as session:
        row = organizer.create_team(session, team, "KZ", "test")
        accounts.join_team(session, row.join_code, name, PASSWORD)
        return row.id


def test_a_member_files_through_the_form_and_only_the_team_sees_its_files(app: Any, services: Any,
                                                                          make_pack: Any) -> None:
    ids = load(services, make_pack)
    member(services, "Blue", "bella")
    member(services, "Red", "rick")
    blue, token = logged_in(app, "bella")
    page = blue.get(f"/challenges/{ids['Incident report']}").get_data(as_text=True)
    assert 'id="report-form"' in page and "Timeline" in page and 'name="answer"' not in page
    done = blue.post(f"/challenges/{ids['Incident report']}/report", follow_redirects=True,
                     data={"csrf_token": token, "text": "# Findings\n\n<script>alert(1)</script>",
                           "files": [(io.BytesIO(b"pcap"), "blue-capture.pcap")]})
    page = done.get_data(as_text=True)
    assert "Version 1 of your report is filed." in page and "blue-capture.pcap" in page
    assert "<script>alert(1)</script>" not in page.split('id="report-text"')[0]  # rendered sanitised
    assert "report filed" in blue.get("/challenges").get_data(as_text=True)
    with services.database.session() as session:
        file_id = session.scalar(select(ReportFile.id))
    assert blue.get(f"/reports/files/{file_id}/blue-capture.pcap").data == b"pcap"
    red, red_token = logged_in(app, "rick")
    assert red.get(f"/reports/files/{file_id}/blue-capture.pcap").status_code == 404
    assert "blue-capture" not in red.get(f"/challenges/{ids['Incident report']}").get_data(as_text=True)
    empty = red.post(f"/challenges/{ids['Incident report']}/report", data={"csrf_token": red_token, "text": " "},
                     follow_redirects=True)
    assert "the report needs some text" in empty.get_data(as_text=True)
    assert blue.post(f"/challenges/{ids['Incident report']}/report", data={"text": "no token"}).status_code == 400
    assert count(services, Report) == 1


def test_a_judge_lands_on_the_queue_and_the_form_refuses_a_score_above_the_maximum(app: Any, services: Any,
                                                                                   make_pack: Any) -> None:
    ids = load(services, make_pack)
    _, headers = team_with_token(services, "Blue Falcons")
    report_id = file_report(app.test_client(), ids["Incident report"], headers).get_json()["id"]
    with services.database.session() as session:
        _, password, _ = accounts.create_staff(session, "judy", "judge")
    judge, token = logged_in(app, "judy", password)
    queue = judge.get("/", follow_redirects=True).get_data(as_text=True)
    assert f"Report #{report_id}" in queue and "Blue Falcons" not in queue and 'href="/judge"' in queue
    form = judge.get(f"/judge/reports/{report_id}").get_data(as_text=True)
    assert 'max="40"' in form and "Blue Falcons" not in form
    refused = judge.post(f"/judge/reports/{report_id}", data={"csrf_token": token, "score-0": "41", "score-1": "3",
                                                             "comment": "ok"})
    assert refused.status_code == 400
    assert "a score of 41 for Timeline is above its maximum of 40" in refused.get_data(as_text=True)
    assert count(services, Mark) == 0
    ok = judge.post(f"/judge/reports/{report_id}", follow_redirects=True,
                    data={"csrf_token": token, "score-0": "40", "score-1": "3", "comment": "ok"})
    assert f"Report #{report_id} is marked." in ok.get_data(as_text=True) and count(services, Mark) == 1


def test_a_grade_released_during_the_freeze_is_held_back(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, {"release_grades": "immediate"})
    team_id, headers = team_with_token(services, "Blue")
    report_id = file_report(client, ids["Incident report"], headers).get_json()["id"]
    with services.database.session() as session:
        organizer.clock_action(session, "freeze", utcnow(), "test")
    assert mark(client, report_id, staff(services, "judy"), [30, 20]).status_code == 200
    with services.database.session() as session:
        event = session.scalar(select(Event).where(Event.kind == "graded"))
        assert event.held and event.seq is None and "seq" not in event.payload
    assert breakdown(client, team_id)["reports"] == 0  # the public board holds still
    detail = client.get(f"/api/v1/challenges/{ids['Incident report']}", headers=headers).get_json()
    assert detail["report"]["points"] == 50  # the team itself sees its grade
