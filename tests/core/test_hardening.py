"""Attacks and faults from the hardening issue, each tried the way an attacker or a bad day would.

Every bad input is a 4xx with ``{"error": …}`` (or a page saying what to change) and writes
nothing; limits hold when requests race; the freeze and anonymised names do not leak.
"""
from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from helpers import csrf, csrf_from, load_pack, logged_in, login, organizer_account
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from scoreboard import create_app
from scoreboard.drill import accounts, organizer
from scoreboard.store.config import Settings
from scoreboard.store.models import Challenge, Submission, utcnow

PACK = {
    "pack.yml": "id: hard\ntitle: Hardening\n",
    "a/limited/challenge.yml": "name: Limited\nvalue: 100\nattempts: 2\nflags: ['DRILL{limited}']\n",
    "a/open/challenge.yml": "name: Open\nvalue: 100\nflags: ['DRILL{open}']\n",
    "a/curve/challenge.yml": ("name: Curve\ntype: dynamic\nextra: {initial: 500, decay: 2, minimum: 100}\n"
                              "flags: ['DRILL{curve}']\n"),
    "a/secret/challenge.yml": ("name: Secret Room\nvalue: 100\nrequirements: {prerequisites: [Open], anonymize: true}\n"
                               "flags: ['DRILL{secret}']\n"),
}


@pytest.fixture
def ids(app: Any, services: Any, make_pack: Any) -> dict[str, int]:
    load_pack(services, make_pack({}, files=PACK, name="hard"))
    with services.database.session() as session:
        rows = session.execute(select(Challenge.name, Challenge.id)).all()
    return dict(rows)


def _post(app: Any, cid: int, answer: Any, headers: dict[str, str]) -> Any:
    return app.test_client().post(f"/api/v1/challenges/{cid}/attempts", json={"answer": answer}, headers=headers)


def _stored(services: Any, team_id: int, cid: int) -> Counter:
    with services.database.session() as session:
        return Counter(session.scalars(select(Submission.verdict).where(
            Submission.team_id == team_id, Submission.challenge_id == cid)))


def _error(response: Any, status: int) -> str:
    body = response.get_json(silent=True)
    assert response.status_code == status and isinstance(body, dict) and set(body) == {"error"}, \
        (response.status_code, response.get_data(as_text=True)[:300])
    return body["error"]


# --- limits under racing --------------------------------------------------------------------


def test_racing_wrong_answers_cannot_exceed_the_challenges_attempts(app: Any, services: Any, ids: dict[str, int]) -> None:
    team_id, headers = team_with_token(services, "Racers")
    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda i: _post(app, ids["Limited"], f"DRILL{{wrong-{i}}}", headers), range(16)))
    codes = Counter(r.status_code for r in responses)
    # Two are graded; the rest are refused: no attempts left (403) or, racing, the rate limit (429).
    assert codes[200] == 2 and codes[403] + codes[429] == 14 and codes[403] >= 4, codes
    assert _stored(services, team_id, ids["Limited"]) == Counter({"incorrect": 2})
    late = _post(app, ids["Limited"], "DRILL{limited}", headers)  # the right answer comes too late
    assert "no attempts left" in _error(late, 403)


def test_racing_wrong_answers_cannot_exceed_the_rate_limit(tmp_path: Path, make_pack: Any) -> None:
    app = create_app(Settings(instance=tmp_path / "i", secret_key="t", attempt_limit=5, attempt_window=60))
    services = app.extensions["drillboard"]
    load_pack(services, make_pack({}, files=PACK, name="hard"))
    team_id, headers = team_with_token(services, "Racers")
    cid = next(c["id"] for c in app.test_client().get("/api/v1/challenges", headers=headers).get_json()["challenges"]
               if c["name"] == "Open")
    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda i: _post(app, cid, f"DRILL{{no-{i}}}", headers), range(20)))
    assert Counter(r.status_code for r in responses) == Counter({200: 5, 429: 15})
    assert all(r.headers.get("Retry-After") for r in responses if r.status_code == 429)
    assert _stored(services, team_id, cid) == Counter({"incorrect": 5})
    services.live.stop()


def test_a_wrong_answer_that_fails_to_store_does_not_count(tmp_path: Path, make_pack: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(Settings(instance=tmp_path / "i", secret_key="t", attempt_limit=1, attempt_window=60))
    services = app.extensions["drillboard"]
    load_pack(services, make_pack({}, files=PACK, name="hard"))
    team_id, headers = team_with_token(services, "Unlucky")
    cid = next(c["id"] for c in app.test_client().get("/api/v1/challenges", headers=headers).get_json()["challenges"]
               if c["name"] == "Open")
    from sqlalchemy.orm import Session

    real_commit = Session.commit
    failures = iter([OperationalError("COMMIT", {}, Exception("database or disk is full"))])

    def commit(self: Session) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        real_commit(self)

    monkeypatch.setattr(Session, "commit", commit)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    failed = _post(app, cid, "DRILL{first}", headers)
    assert failed.status_code == 503 and failed.headers["Retry-After"]  # try again shortly
    assert _stored(services, team_id, cid) == Counter()
    again = _post(app, cid, "DRILL{second}", headers)  # the failed one did not use the only slot
    assert again.status_code == 200 and again.get_json()["result"] == "incorrect"
    services.live.stop()


# --- one request that hurts everyone ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/challenges/{big}", "/api/v1/challenges/{big}/attempts",
                                  "/api/v1/hints/{big}/unlock", "/files/{big}/x.txt", "/challenges/{big}",
                                  "/console/challenges/{big}", "/console/teams/{big}/report.json"])
@pytest.mark.parametrize("big", [2**31, 2**63, 2**64 + 5, 10**30])
def test_ids_beyond_the_database_are_404(app: Any, services: Any, ids: dict[str, int], path: str, big: int) -> None:
    _, headers = team_with_token(services, f"Big {path} {big}"[:60])
    url = path.format(big=big)
    response = app.test_client().open(url, method="POST" if path.endswith(("attempts", "unlock")) else "GET",
                                      headers=headers, json={"answer": "x"})
    assert response.status_code == 404
    if url.startswith("/api/"):
        _error(response, 404)


def test_a_deeply_nested_json_body_is_400_and_writes_nothing(app: Any, services: Any, ids: dict[str, int]) -> None:
    team_id, headers = team_with_token(services, "Nesters")
    body = '{"answer": ' + "[" * 5000 + "]" * 5000 + "}"
    response = app.test_client().post(f"/api/v1/challenges/{ids['Open']}/attempts", data=body,
                                      headers={**headers, "Content-Type": "application/json"})
    assert "JSON object" in _error(response, 400)
    assert _stored(services, team_id, ids["Open"]) == Counter()


def test_nul_in_an_answer_a_login_or_a_join_is_400(app: Any, services: Any, ids: dict[str, int]) -> None:
    team_id, headers = team_with_token(services, "Nullers")
    assert "NUL" in _error(_post(app, ids["Open"], "DRILL{\x00}", headers), 400)
    client = app.test_client()
    token = csrf(client)
    login = client.post("/login", data={"csrf_token": token, "name": "adm\x00in", "password": "x\x00"})
    assert login.status_code == 400 and "NUL" in login.get_data(as_text=True)
    join = client.post("/join", data={"csrf_token": token, "join_code": "\x00", "name": "n", "password": "p",
                                      "confirm": "p"})
    assert join.status_code == 400
    assert _stored(services, team_id, ids["Open"]) == Counter()


# --- leaks ------------------------------------------------------------------------------------


def test_freeze_verdicts_tell_nothing_the_frozen_board_hides(app: Any, services: Any, ids: dict[str, int]) -> None:
    teams = [team_with_token(services, f"Curve {i}") for i in range(4)]
    assert _post(app, ids["Curve"], "DRILL{curve}", teams[0][1]).get_json()["points"] == 500
    with services.database.session() as session:
        organizer.clock_action(session, "freeze", utcnow(), "test")
    for _, headers in teams[1:]:
        frozen = _post(app, ids["Curve"], "DRILL{curve}", headers).get_json()
        assert frozen["result"] == "correct" and frozen["points"] == 500 and "first_blood" not in frozen
    again = _post(app, ids["Curve"], "DRILL{curve}", teams[3][1]).get_json()
    assert again == {"result": "already_solved", "points": 500}
    public = {c["name"]: c for c in app.test_client().get("/api/v1/challenges", headers=teams[0][1])
              .get_json()["challenges"]}
    assert (public["Curve"]["value"], public["Curve"]["solves"]) == (500, 1)


def test_a_solve_during_the_freeze_tells_the_team_what_its_verdict_does(services: Any, ids: dict[str, int]) -> None:
    """The team's own notice of a solve ("Your team solved Curve (+…)") said the live points during
    the freeze — a fallen value or a first-blood bonus — beside a verdict that rightly did not:
    it told the team how many others had solved the challenge since the freeze."""
    from scoreboard.drill import attempts

    teams = [team_with_token(services, f"Notice {i}") for i in range(3)]
    with services.database.session() as session:
        organizer.clock_action(session, "freeze", utcnow(), "test")

    def solve(index: int) -> tuple[Any, dict[str, Any]]:
        team_id = teams[index][0]
        with services.database.session() as session:
            verdict = attempts.submit(session, services.caches.catalog.get(), {}, attempts.Attempt(
                team_id, f"Notice {index}", None, ids["Curve"], "DRILL{curve}", "test", utcnow()), services.limiter)
            # Queued for the team's connections at commit (``events.notify_team``).
            notices = [item["payload"] for item in session.info.get("outbox", []) if item["room"] == f"team:{team_id}"]
        assert len(notices) == 1
        return verdict, notices[0]

    for index in range(3):  # the first (a first blood), then two more while the value falls
        verdict, notice = solve(index)
        assert verdict.result == "correct" and verdict.points == 500 and not verdict.first_blood
        assert (notice["points"], notice["first_blood"]) == (500, False)


def test_the_board_never_names_an_anonymised_challenge(app: Any, services: Any, ids: dict[str, int]) -> None:
    _, headers = team_with_token(services, "Openers")
    assert _post(app, ids["Open"], "DRILL{open}", headers).get_json()["result"] == "correct"
    assert _post(app, ids["Secret Room"], "DRILL{secret}", headers).get_json()["result"] == "correct"
    page = app.test_client().get("/board").get_data(as_text=True)
    snapshot = app.extensions["drillboard"].cache.snapshot().as_dict()
    assert "Secret Room" not in page and "Secret Room" not in json.dumps(snapshot)
    assert "Secret Room" not in app.test_client().get("/api/v1/scoreboard/ctftime").get_data(as_text=True)


def test_a_saved_session_cookie_stops_working_at_logout(app: Any, services: Any) -> None:
    with services.database.session() as session:
        team = organizer.create_team(session, "Cookie Team", "KZ", "test")
        accounts.create_member(session, team, "cookie", "correct horse")
    client = app.test_client()
    assert login(client, "cookie", "correct horse").status_code == 302
    saved = client.get_cookie("session").value
    assert client.get("/challenges").status_code == 200
    page = client.get("/challenges").get_data(as_text=True)
    token = csrf_from(page)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", saved)
    assert thief.get("/challenges").status_code == 302  # to the login page: the old cookie is dead
    assert thief.get("/api/v1/challenges").status_code == 401


def test_no_write_on_refusals(app: Any, services: Any, ids: dict[str, int]) -> None:
    with services.database.session() as session:
        before = session.scalar(select(func.count()).select_from(Submission))
    _, headers = team_with_token(services, "Refused Team")
    for body in ({"answer": ""}, {"answer": 5}, {"nothing": 1}, []):
        _error(app.test_client().post(f"/api/v1/challenges/{ids['Open']}/attempts", json=body, headers=headers), 400)
    with services.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == before


# --- the console's forms ----------------------------------------------------------------------------


def _console(app: Any, services: Any) -> tuple[Any, str, int]:
    with services.database.session() as session:
        team_id = organizer.create_team(session, "Form Team", "KZ", "test").id
    client, token = logged_in(app, "console-chief", organizer_account(services, "console-chief"))
    return client, token, team_id


def _rows(services: Any) -> tuple[int, ...]:
    from scoreboard.store.models import Announcement, Award, Drill, Team

    with services.database.session() as session:
        drill = session.get(Drill, 1)
        return (session.scalar(select(func.count()).select_from(Award)),
                session.scalar(select(func.count()).select_from(Announcement)),
                session.scalar(select(func.count()).select_from(Team)), drill.starts_at, drill.ends_at)


@pytest.mark.parametrize("url, form, message", [
    ("/console/awards", {"team_id": "abc", "value": "5", "reason": "typo"}, "no such team"),
    ("/console/awards", {"team_id": str(10**30), "value": "5", "reason": "huge"}, "no such team"),
    ("/console/awards", {"team_id": "{team}", "value": "five", "reason": "words"}, "whole number"),
    ("/console/announcements", {"team_id": "abc", "title": "For one team", "body": "x"}, "no such team"),
    ("/console/announcements", {"team_id": "99999999999999999999", "title": "For one team", "body": "x"},
     "no such team"),
    ("/console/clock", {"starts_at": "0001-01-01T00:00", "ends_at": ""}, "between the years 1970 and 9000"),
    ("/console/clock", {"starts_at": "", "ends_at": "9999-12-31T23:59"}, "between the years 1970 and 9000"),
    ("/console/teams/import", {"csv": "name,country\nTeam Extra,KZ,surplus,fields\n"}, "more fields than the header"),
])
def test_console_forms_refuse_bad_ids_times_and_rows_with_a_message(app: Any, services: Any, ids: dict[str, int],
                                                                   url: str, form: dict[str, str], message: str) -> None:
    """A typo in an organizer's form is a message on the page, never a 500, and writes nothing
    (an announcement for a team that does not exist is not sent to everyone instead)."""
    client, token, team_id = _console(app, services)
    form = {key: value.replace("{team}", str(team_id)) for key, value in form.items()}
    before = _rows(services)
    if "csv" in form:
        import io

        data = {"csv": (io.BytesIO(form["csv"].encode()), "teams.csv"), "csrf_token": token}
        response = client.post(url, data=data, content_type="multipart/form-data", follow_redirects=True)
    else:
        response = client.post(url, data={**form, "csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(True)
    assert _rows(services) == before
