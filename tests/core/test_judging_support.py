"""Judging support: rubric levels and the marking guide, every version with its diff, amending
one's own marks until release, the third marker, returning a report for revision, and what the
team sees of a released grade."""
from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from corekit import team_with_token
from helpers import logged_in
from sqlalchemy import select
from test_reports import (
    count,
    file_report,
    load,
    mark,
    member,
    problems_of,
    staff,
)

from scoreboard.core.errors import Refused
from scoreboard.drill import accounts, audit, judging, marking, returns
from scoreboard.store.models import AuditEntry, Grade, Mark, Report, Team, utcnow

LEVELLED = [
    {"criterion": "Timeline", "points": 40, "comment_required": False,
     "levels": [{"points": 40, "descriptor": "Every step with times and sources"},
                {"points": 20, "descriptor": "Main steps, some times missing"},
                {"points": 0, "descriptor": "No usable timeline"}]},
    {"criterion": "Indicators", "points": 25, "comment_required": False},
]
GUIDE = "Expect the **phishing mail at 09:12** and the beacon to 203.0.113.5."
TASK = {"name": "Incident report", "type": "report", "description": "Tell us.", "rubric": LEVELLED, "guide": GUIDE,
        "translations": {"ru": {"rubric": [{"criterion": "Хронология", "levels": ["Каждый шаг со временем"]}],
                                "guide": "Ожидайте **фишинговое письмо в 09:12**."}}}


def report_task(**extra: Any) -> str:
    lines = ["name: Report", "type: report", "rubric:",
             "  - criterion: Timeline", "    points: 10", "    levels:"]
    lines += [f"      - {level}" for level in extra.pop("levels")]
    return "\n".join(lines) + "\n"


# --- levels and the guide in the pack ------------------------------------------------------------


@pytest.mark.parametrize(("levels", "message"), [
    (["{points: 11, descriptor: Too much}"], "'levels.points' must be a whole number from 0 to 10"),
    (["{points: 5, descriptor: Half}", "{points: 5, descriptor: Also half}"], "two levels have 'points: 5'"),
    (["{points: 5, descriptor: '  '}"], "a level needs a 'descriptor'"),
    (["{points: -1, descriptor: Below}"], "'levels.points' must be a whole number from 0 to 10"),
    (["just text"], "each level must be a mapping"),
])
def test_wrong_levels_are_problems_with_their_line(make_pack: Any, levels: list[str], message: str) -> None:
    problems = problems_of(make_pack, {"r/challenge.yml": report_task(levels=levels)})
    line = 6 + len(levels)  # the offending level: the last one listed
    assert any(p.startswith(f"r/challenge.yml:{line}: ") and message in p for p in problems), problems


def test_levels_must_be_a_list_and_translations_must_fit_them(make_pack: Any) -> None:
    problems = problems_of(make_pack, {"r/challenge.yml": "name: R\ntype: report\nrubric:\n"
                                                          "  - {criterion: T, points: 5, levels: 3}\n"})
    assert any("'levels' must be a list of {points, descriptor}" in p for p in problems)
    too_many = (report_task(levels=["{points: 5, descriptor: Half}"])
                + "translations:\n  ru:\n    rubric:\n      - {criterion: Хронология, levels: [Половина, Лишний]}\n")
    problems = problems_of(make_pack, {"r/challenge.yml": too_many})
    assert any(p.startswith("r/challenge.yml:11: ") and "translations.ru.rubric[0]" in p for p in problems), problems


def test_third_marker_needs_a_second_marker(make_pack: Any) -> None:
    problems = problems_of(make_pack, {"pack.yml": "third_marker_over: 10\n",
                                       "r/challenge.yml": report_task(levels=["{points: 5, descriptor: Half}"])})
    assert any(p.startswith("pack.yml:1: ") and "'third_marker_over' needs 'second_marker'" in p for p in problems)


def test_judges_see_levels_and_the_guide_in_their_language_and_teams_never_do(app: Any, services: Any,
                                                                              client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, task=TASK)
    assert load(services, make_pack, task=TASK) == ids  # a reload of the same pack changes nothing
    _, headers = team_with_token(services, "Blue")
    file_report(client, ids["Incident report"], headers)
    detail = client.get(f"/api/v1/challenges/{ids['Incident report']}", headers=headers).get_json()
    assert "levels" not in str(detail) and "phishing" not in str(detail)
    assert [c["criterion"] for c in detail["rubric"]] == ["Timeline", "Indicators"]
    queued = client.get("/api/v1/judging/reports", headers=staff(services, "jo")).get_json()["reports"][0]
    assert queued["rubric"][0]["levels"][1] == {"points": 20, "descriptor": "Main steps, some times missing"}
    member(services, "Red", "rick")
    team_page = logged_in(app, "rick")[0].get(f"/challenges/{ids['Incident report']}").get_data(as_text=True)
    assert "phishing" not in team_page and "No usable timeline" not in team_page
    with services.database.session() as session:
        _, password, _ = accounts.create_staff(session, "judy", "judge")
    judge, _ = logged_in(app, "judy", password)
    page = judge.get(f"/judge/reports/{queued['id']}").get_data(as_text=True)
    assert "<strong>phishing mail at 09:12</strong>" in page and 'data-level-for="score-0" data-points="20"' in page
    assert 'type="number" name="score-0"' in page  # the score stays a number field without JavaScript
    judge.get("/lang/ru")
    page = judge.get(f"/judge/reports/{queued['id']}").get_data(as_text=True)
    assert "Хронология" in page and "Каждый шаг со временем" in page and "фишинговое письмо" in page
    assert "Main steps, some times missing" in page  # an untranslated level keeps the pack's words


# --- versions and diffs --------------------------------------------------------------------------


def test_judges_see_every_version_newest_first_with_a_safe_diff(app: Any, services: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, task=TASK)
    _, headers = team_with_token(services, "Blue Falcons")
    client = app.test_client()
    file_report(client, ids["Incident report"], headers, "Line one\nBeacon seen")
    latest = file_report(client, ids["Incident report"], headers, "Line one\nBeacon <script>x()</script> at 09:14")
    with services.database.session() as session:
        _, password, _ = accounts.create_staff(session, "judy", "judge")
    judge, _ = logged_in(app, "judy", password)
    page = judge.get(f"/judge/reports/{latest.get_json()['id']}").get_data(as_text=True)
    versions = page.split('id="versions"')[1]
    assert versions.index('data-version="2"') < versions.index('data-version="1"')
    diff = re.search(r"<pre class=\"diff\" data-diff>(.*?)</pre>", versions, re.S).group(1)
    assert "-Beacon seen" in diff and "+Beacon &lt;script&gt;x()&lt;/script&gt; at 09:14" in diff
    assert "<script>x()" not in page and "Blue Falcons" not in page


# --- the marking rule ---------------------------------------------------------------------------


def marks(*totals: tuple[int, int]) -> list[Any]:
    return [SimpleNamespace(scores=list(t), comments=["", ""], comment=f"judge {n}") for n, t in enumerate(totals)]


def test_the_two_closest_marks_decide_after_a_third() -> None:
    far = marks((40, 20), (5, 5), (30, 25))  # totals 60, 10, 55: the first and the third are closest
    assert marking.needed("average", 10, far[:2]) == 3 and marking.outcome("average", 10, LEVELLED, far[:2]) is None
    assert marking.closest_two(far) == (0, 2)
    result = marking.outcome("average", 10, LEVELLED, far)
    assert result.counted == (0, 2) and result.scores == [35, 23] and result.points == 58
    assert result.feedback == ["judge 0", "judge 2"]
    lead = marking.outcome("lead", 10, LEVELLED, far)
    assert lead.scores == [40, 20] and lead.feedback == ["judge 0"]
    assert marking.closest_two(marks((10, 0), (20, 0), (30, 0))) == (0, 1)  # a tie keeps the earlier pair


def test_an_averaged_grade_is_the_mean_of_the_totals_its_criteria_add_up_to() -> None:
    """Each criterion rounded up on its own made 27.5 + 17.5 + 13.5 + 11 (69.5) a grade of 71."""
    result = marking.outcome("average", None, LEVELLED * 2, marks((25, 15, 12, 10), (30, 20, 15, 12)))
    assert result.scores == [28, 18, 13, 11] and result.points == 70
    even = marking.outcome("average", None, LEVELLED * 2, marks((25, 15, 12, 10), (31, 21, 14, 12)))
    assert even.scores == [28, 18, 13, 11] and even.points == 70  # nothing to round


def test_marks_within_n_need_no_third_judge() -> None:
    near = marks((40, 20), (30, 20))  # 60 and 50: exactly N apart is not "more than N"
    assert marking.needed("average", 10, near) == 2
    assert marking.outcome("average", 10, LEVELLED, near).points == 55
    assert marking.needed("average", None, marks((40, 25), (0, 0))) == 2
    assert marking.needed(None, None, []) == 1


def test_a_third_judge_marks_when_two_are_far_apart(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, {"second_marker": "average", "third_marker_over": 10}, task=TASK)
    _, headers = team_with_token(services, "Blue")
    report_id = file_report(client, ids["Incident report"], headers).get_json()["id"]
    first, second, third = staff(services, "ann"), staff(services, "ben"), staff(services, "cy")
    mark(client, report_id, first, [40, 20], comment="Strong.")
    assert client.get("/api/v1/judging/reports", headers=third).get_json()["reports"][0]["third_marking"] is False
    mark(client, report_id, second, [5, 5], comment="Weak.")
    assert count(services, Grade) == 0
    for judge in (first, second):
        assert client.get("/api/v1/judging/reports", headers=judge).get_json()["reports"] == []
    [queued] = client.get("/api/v1/judging/reports", headers=third).get_json()["reports"]
    assert queued["id"] == report_id and queued["third_marking"] is True
    admin = staff(services, "chief", "admin")
    page = client.get("/console/grades", headers=admin).get_data(as_text=True)
    assert 'data-state="awaiting_third"' in page and "judges disagree" in page
    assert mark(client, report_id, third, [30, 25], comment="Fair.").status_code == 200
    with services.database.session() as session:
        grade = session.scalar(select(Grade))
        assert (grade.points, grade.scores, grade.feedback) == (58, [35, 23], ["Strong.", "Fair."])
    late = mark(client, report_id, staff(services, "dee"), [1, 1])
    assert late.status_code == 409 and count(services, Mark) == 3
    assert 'data-state="ready"' in client.get("/console/grades", headers=admin).get_data(as_text=True)


# --- amending before release --------------------------------------------------------------------


def test_a_judge_amends_their_marks_until_release_and_not_after(services: Any, client: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, {"second_marker": "average", "third_marker_over": 10}, task=TASK)
    _, headers = team_with_token(services, "Blue")
    report_id = file_report(client, ids["Incident report"], headers).get_json()["id"]
    ann, ben = staff(services, "ann"), staff(services, "ben")
    mark(client, report_id, ann, [40, 20])
    mark(client, report_id, ben, [36, 20])
    with services.database.session() as session:
        assert session.scalar(select(Grade.points)) == 58
    [mine] = client.get("/api/v1/judging/marks", headers=ben).get_json()["marks"]
    assert (mine["report_id"], mine["total"], mine["amendable"], mine["amended_at"]) == (report_id, 56, True, None)
    for bad in ({"comment": "a\x00b"}, {"comments": ["", "x\x00"]}, {"comment": "x" * 10_001}):
        refused = mark(client, report_id, ben, [1, 1], **bad)
        assert refused.status_code == 400 and client.get("/api/v1/judging/marks", headers=ben).get_json()["marks"] == [mine]
    assert mark(client, report_id, ben, [40, 24], comment="On reflection.").get_json()["amended"] is True
    with services.database.session() as session:
        assert session.scalar(select(Grade.points)) == 62 and session.scalar(select(Grade.feedback))[1] == "On reflection."
    mark(client, report_id, ben, [0, 0])  # now 60 points apart: the grade waits for a third judge
    assert count(services, Grade) == 0
    assert client.get("/api/v1/judging/reports", headers=staff(services, "cy")).get_json()["reports"][0]["third_marking"]
    mark(client, report_id, ben, [40, 20])
    admin = staff(services, "chief", "admin")
    with services.database.session() as session:
        judging.release(session, session.scalar(select(Grade.id)), "chief", utcnow())
        session.commit()
    refused = mark(client, report_id, ben, [1, 1])
    assert refused.status_code == 409 and "released" in refused.get_json()["error"]
    [mine] = client.get("/api/v1/judging/marks", headers=ben).get_json()["marks"]
    assert mine["released"] is True and mine["amendable"] is False and mine["total"] == 60
    assert client.get("/api/v1/judging/marks", headers=headers).status_code == 403
    assert client.get("/api/v1/judging/marks").status_code == 401
    assert client.get("/api/v1/judging/marks", headers=admin).get_json() == {"marks": []}
    with services.database.session() as session:
        assert audit.verify(session) == []
        actions = list(session.scalars(select(AuditEntry.action)))
    assert actions.count("report.mark.amend") == 3 and "grade.withdraw" in actions and "grade.amend" in actions


def test_my_marks_on_the_judge_page(app: Any, services: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, task=TASK)
    _, headers = team_with_token(services, "Blue")
    report_id = file_report(app.test_client(), ids["Incident report"], headers).get_json()["id"]
    with services.database.session() as session:
        _, password, _ = accounts.create_staff(session, "judy", "judge")
    judge, token = logged_in(app, "judy", password)
    judge.post(f"/judge/reports/{report_id}", data={"csrf_token": token, "score-0": "20", "score-1": "5",
                                                    "comment": "ok"})
    queue = judge.get("/judge").get_data(as_text=True)
    mine = queue.split('id="my-marks"')[1]
    assert f'data-mark-report="{report_id}"' in mine and "20 + 5" in mine and "Amend" in mine
    form = judge.get(f"/judge/reports/{report_id}").get_data(as_text=True)
    assert 'value="20"' in form and "Update my marks" in form
    done = judge.post(f"/judge/reports/{report_id}", follow_redirects=True,
                      data={"csrf_token": token, "score-0": "30", "score-1": "5", "comment": "better"})
    assert f"Your marks on report #{report_id} are updated." in done.get_data(as_text=True)
    with services.database.session() as session:
        assert session.scalar(select(Grade.points)) == 35


# --- returning a report for revision ------------------------------------------------------------


def test_an_organizer_returns_a_report_and_the_team_revises_it(app: Any, services: Any, make_pack: Any) -> None:
    ids = load(services, make_pack, task=TASK)
    team_id = member(services, "Blue", "bella")
    blue, blue_token = logged_in(app, "bella")
    cid = ids["Incident report"]
    blue.post(f"/challenges/{cid}/report", data={"csrf_token": blue_token, "text": "First try"})
    with services.database.session() as session:
        report_id = session.scalar(select(Report.id))
        _, password, _ = accounts.create_staff(session, "boss", "admin")
    judge = staff(services, "judy")
    mark(app.test_client(), report_id, judge, [10, 10])
    assert count(services, Grade) == 1
    admin, token = logged_in(app, "boss", password)
    ask = admin.get(f"/console/grades/reports/{report_id}/return").get_data(as_text=True)
    assert "Return version 1 of Blue&#39;s report on Incident report for revision?" in ask
    assert count(services, Grade) == 1  # asking changes nothing
    nul = admin.post(f"/console/grades/reports/{report_id}/return", follow_redirects=True,
                     data={"csrf_token": token, "confirmed": "1", "reason": "Add \x00 times"})
    assert "NUL" in nul.get_data(as_text=True) and count(services, Grade) == 1
    long = admin.post(f"/console/grades/reports/{report_id}/return", follow_redirects=True,
                      data={"csrf_token": token, "confirmed": "1", "reason": "x" * 2001})
    assert "longer than 2000 characters" in long.get_data(as_text=True) and count(services, Grade) == 1
    empty = admin.post(f"/console/grades/reports/{report_id}/return", follow_redirects=True,
                       data={"csrf_token": token, "confirmed": "1", "reason": "  "})
    assert "write a note telling the team what to revise" in empty.get_data(as_text=True)
    done = admin.post(f"/console/grades/reports/{report_id}/return", follow_redirects=True,
                      data={"csrf_token": token, "confirmed": "1", "reason": "Add the times of each step."})
    assert "The report is returned to Blue for revision." in done.get_data(as_text=True)
    assert count(services, Grade) == 0 and count(services, Mark) == 1  # the mark stays, for the record
    again = admin.post(f"/console/grades/reports/{report_id}/return",
                       data={"csrf_token": token, "confirmed": "1", "reason": "Twice"}, follow_redirects=True)
    assert "already been returned" in again.get_data(as_text=True)
    assert app.test_client().get("/api/v1/judging/reports", headers=judge).get_json()["reports"] == []
    page = blue.get(f"/challenges/{cid}").get_data(as_text=True)
    assert "Add the times of each step." in page and 'id="report-form"' in page
    with services.database.session() as session:
        team_headers = {"Authorization": f"Bearer {accounts.new_token(session, team=session.get(Team, team_id))}"}
    detail = app.test_client().get(f"/api/v1/challenges/{cid}", headers=team_headers).get_json()
    assert detail["report"]["returned"]["note"] == "Add the times of each step."
    blue.post(f"/challenges/{cid}/report", data={"csrf_token": blue_token, "text": "First try\n09:12 phishing"})
    queued = app.test_client().get("/api/v1/judging/reports", headers=judge).get_json()["reports"]
    assert [r["version"] for r in queued] == [2]
    stale = mark(app.test_client(), report_id, judge, [20, 20])
    assert stale.status_code == 409
    with services.database.session() as session:
        assert audit.verify(session) == []
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "report.return"))
        assert entry.actor == "boss" and entry.payload["note"] == "Add the times of each step."


ORGANIZER = accounts.Actor(None, "boss", "admin", None, None)


def test_returning_tells_only_the_team_and_a_released_grade_stays(services: Any, client: Any,
                                                                  make_pack: Any) -> None:
    ids = load(services, make_pack, {"release_grades": "immediate"}, task=TASK)
    team_id, headers = team_with_token(services, "Blue")
    report_id = file_report(client, ids["Incident report"], headers).get_json()["id"]
    with services.database.session() as session:
        session.info["outbox"] = []
        returns.return_for_revision(session, report_id, "Add times.", ORGANIZER, utcnow())
        [notice] = session.info["outbox"]
        assert notice["room"] == f"team:{team_id}" and notice["payload"]["kind"] == "report_returned"
        assert notice["payload"]["note"] == "Add times." and "seq" not in notice["payload"]
        session.rollback()
    mark(client, report_id, staff(services, "judy"), [10, 10])
    with services.database.session() as session, pytest.raises(Refused, match="released"):
        returns.return_for_revision(session, report_id, "Again", ORGANIZER, utcnow())


def test_the_team_sees_points_per_criterion_and_each_judges_comment(app: Any, services: Any, client: Any,
                                                                    make_pack: Any) -> None:
    ids = load(services, make_pack, {"second_marker": "average", "release_grades": "immediate"}, task=TASK)
    member(services, "Blue", "bella")
    blue, token = logged_in(app, "bella")
    blue.post(f"/challenges/{ids['Incident report']}/report", data={"csrf_token": token, "text": "Report"})
    with services.database.session() as session:
        report_id = session.scalar(select(Report.id))
    mark(client, report_id, staff(services, "Annabel Quist"), [40, 20], comment="Precise timeline.")
    mark(client, report_id, staff(services, "Bertram Oyelaran"), [20, 10], comment="Indicators thin.")
    page = blue.get(f"/challenges/{ids['Incident report']}").get_data(as_text=True)
    rows = re.findall(r'<tr data-criterion="\d">\s*<td[^>]*>([^<]+)</td>\s*<td[^>]*>([^<]+)</td>', page)
    assert rows == [("Timeline", "30 of 40"), ("Indicators", "15 of 25")]
    assert re.search(r"Judge 1</h3>\s*<div class=\"description\"><p>Precise timeline.</p>", page)
    assert re.search(r"Judge 2</h3>\s*<div class=\"description\"><p>Indicators thin.</p>", page)
    assert "Annabel" not in page and "Bertram" not in page
