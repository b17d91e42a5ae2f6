"""The JSON API under /api/v1 with the Flask test client: what a team and an observer see."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from helpers import csrf_from, load_pack, wait_until
from sqlalchemy import func, select

from scoreboard import create_app
from scoreboard.core.errors import Refused
from scoreboard.drill import accounts, organizer
from scoreboard.store.config import Settings
from scoreboard.store.models import HintUnlock, Solve, Submission, utcnow

SOLUTION = "SOLUTION-walkthrough-7c1e: read the log, then grep"
PAID_HINT = "HINT-paid-content-93ab"
FREE_HINT = "HINT-free-content-11f0"

PACK_FILES = {
    "pack.yml": "id: api\ntitle: API pack\n",
    "web/open/challenge.yml": (
        "name: Open Door\ncategory: Web\nvalue: 100\n"
        "flags: ['DRILL{open-door-4411}']\n"
        f"solution: '{SOLUTION}'\n"
        "files: [files/notes.txt]\n"
        "hints:\n"
        f"  - {{content: '{FREE_HINT}', cost: 0}}\n"
        f"  - {{content: '{PAID_HINT}', cost: 25, title: Paid}}\n"),
    "web/open/files/notes.txt": "nothing to see",
    "web/second/challenge.yml": (
        "name: Second Door\ncategory: Web\nvalue: 100\n"
        "flags:\n  - {type: regex, content: 'DRILL\\{second-[0-9]{4}\\}'}\n"
        "solution: 'SOLUTION-second-door-55aa'\n"),
    "web/locked/challenge.yml": (
        "name: Locked Room\ncategory: Web\nvalue: 200\nrequirements: [Open Door]\n"
        "flags: ['DRILL{locked-room-9090}']\n"),
    "web/hidden/challenge.yml": (
        "name: Hidden Cellar\ncategory: Web\nvalue: 300\nstate: hidden\n"
        "flags: ['DRILL{hidden-cellar-1234}']\n"),
    "web/later/challenge.yml": (
        "name: Later Tower\ncategory: Web\nvalue: 300\nrelease_at: '2099-01-01T00:00:00Z'\n"
        "flags: ['DRILL{later-tower-5678}']\n"),
    "web/inject/challenge.yml": (
        "name: Inject Hall\ncategory: Web\nvalue: 150\nrelease_after: 30m\n"
        "flags: ['DRILL{inject-hall-2468}']\n"),
    "logs/count/challenge.yml": (
        "name: Count\ncategory: Logs\nvalue: 100\n"
        "flags:\n  - {type: number, content: 37}\n"),
    "dyn/curve/challenge.yml": (
        "name: Curve\ncategory: Dyn\ntype: dynamic\nextra: {initial: 500, decay: 10, minimum: 100}\n"
        "flags: ['DRILL{curve-1357}']\n"),
}
FLAGS = {
    "Open Door": "DRILL{open-door-4411}", "Second Door": "DRILL{second-2025}", "Locked Room": "DRILL{locked-room-9090}",
    "Hidden Cellar": "DRILL{hidden-cellar-1234}", "Later Tower": "DRILL{later-tower-5678}",
    "Inject Hall": "DRILL{inject-hall-2468}", "Count": "37", "Curve": "DRILL{curve-1357}",
}
SECRETS = [f for f in FLAGS.values() if f.startswith("DRILL")] + ["DRILL\\{second", "second-[0-9]", SOLUTION,
                                                                   "SOLUTION-second-door-55aa"]


# --- helpers ------------------------------------------------------------------------------


def api_pack(services: Any, make_pack: Any) -> dict[str, int]:
    """The API tests' pack, loaded; its challenges' ids by name."""
    folder = make_pack({}, files=PACK_FILES, name="api")
    load_pack(services, folder)
    with services.database.session() as session:
        from scoreboard.store.models import Challenge
        return {c.name: c.id for c in session.scalars(select(Challenge))}


def clock(services: Any, action: str, **times: Any) -> None:
    with services.database.session() as session:
        if action == "set":
            organizer.set_clock(session, utcnow(), "test", **times)
        else:
            organizer.clock_action(session, action, utcnow(), "test")


def count(services: Any, model: type, **where: Any) -> int:
    with services.database.session() as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.scalar(query)


def post(client: Any, cid: int, answer: Any, headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/challenges/{cid}/attempts", json={"answer": answer}, headers=headers)


def standings(client: Any) -> list[dict[str, Any]]:
    return client.get("/api/v1/scoreboard").get_json()["standings"]


def score_of(client: Any, team_id: int) -> int:
    return next(r["score"] for r in standings(client) if r["team_id"] == team_id)


def is_error(resp: Any, status: int) -> bool:
    body = resp.get_json(silent=True)
    return (resp.status_code == status and isinstance(body, dict) and set(body) == {"error"}
            and isinstance(body["error"], str) and body["error"].strip() != "")


@pytest.fixture
def ids(services: Any, make_pack: Any) -> dict[str, int]:
    return api_pack(services, make_pack)


@pytest.fixture
def team_a(services: Any, ids: dict[str, int]) -> tuple[int, dict[str, str]]:
    return team_with_token(services, "Alpha Team", "KZ")


@pytest.fixture
def team_b(services: Any, ids: dict[str, int]) -> tuple[int, dict[str, str]]:
    return team_with_token(services, "Bravo Team", "UZ")


# --- no secrets leak ------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def assert_no_secret(resp: Any, where: str) -> None:
    text = resp.get_data(as_text=True)
    texts = [text]
    if resp.is_json:
        texts += _strings(resp.get_json())
    for secret in SECRETS:
        for blob in texts:
            assert secret not in blob, f"{secret!r} leaked by {where}"


def test_no_flag_or_solution_in_any_response(services: Any, client: Any, ids: dict[str, int], team_a: Any) -> None:
    team_id, headers = team_a
    seen = []
    listing = client.get("/api/v1/challenges", headers=headers)
    assert listing.status_code == 200
    seen.append(("list", listing))
    for name, cid in ids.items():
        seen.append((f"detail {name}", client.get(f"/api/v1/challenges/{cid}", headers=headers)))
        seen.append((f"wrong attempt {name}", post(client, cid, "DRILL{not-it}", headers)))
    seen.append(("correct attempt", post(client, ids["Open Door"], FLAGS["Open Door"], headers)))
    for path in ("/api/v1/scoreboard", "/api/v1/scoreboard/ctftime", "/api/v1/openapi.json"):
        seen.append((path, client.get(path)))
    hint_ids = [h["id"] for h in client.get(f"/api/v1/challenges/{ids['Open Door']}", headers=headers).get_json()["hints"]]
    for hint_id in hint_ids:
        seen.append(("unlock", client.post(f"/api/v1/hints/{hint_id}/unlock", headers=headers)))
    # the team's pages, logged in as a member
    with services.database.session() as session:
        from scoreboard.store.models import Team
        user = accounts.create_member(session, session.get(Team, team_id), "alice", "correct horse battery")
        user_id = user.get_id()
    with client.session_transaction() as sess:
        sess["_user_id"] = user_id
        sess["_fresh"] = True
    for path in ["/", "/challenges", "/team", "/board"] + [f"/challenges/{cid}" for cid in ids.values()]:
        seen.append((path, client.get(path)))
    assert client.get("/challenges").status_code == 200
    for where, resp in seen:
        assert resp.status_code < 500, where
        assert_no_secret(resp, where)
    summary = listing.get_json()["challenges"][0]
    assert {"id", "name", "category", "value", "solves", "solved"} <= set(summary)


# --- visibility -----------------------------------------------------------------------------


def test_hidden_challenge_is_404_and_not_listed(client: Any, ids: dict[str, int], team_a: Any) -> None:
    _, headers = team_a
    names = {c["name"] for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}
    assert "Hidden Cellar" not in names
    cid = ids["Hidden Cellar"]
    assert is_error(client.get(f"/api/v1/challenges/{cid}", headers=headers), 404)
    assert is_error(post(client, cid, FLAGS["Hidden Cellar"], headers), 404)
    assert is_error(client.get("/api/v1/challenges/99999", headers=headers), 404)
    assert is_error(post(client, 99999, "x", headers), 404)


def test_scheduled_challenge_is_403_until_released(services: Any, client: Any, ids: dict[str, int], team_a: Any) -> None:
    team_id, headers = team_a
    names = {c["name"] for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}
    assert {"Later Tower", "Inject Hall"}.isdisjoint(names)
    assert {"Open Door", "Second Door", "Count", "Curve"} <= names and "Locked Room" not in names   # locked: as CTFd
    for name in ("Later Tower", "Inject Hall"):
        assert is_error(client.get(f"/api/v1/challenges/{ids[name]}", headers=headers), 403)
        assert is_error(post(client, ids[name], FLAGS[name], headers), 403)
    assert count(services, Submission) == 0

    # 31 minutes into the drill: the release_after inject opens
    clock(services, "set", starts_at=utcnow() - timedelta(minutes=31))
    names = {c["name"] for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}
    assert "Inject Hall" in names and "Later Tower" not in names
    assert client.get(f"/api/v1/challenges/{ids['Inject Hall']}", headers=headers).status_code == 200
    assert post(client, ids["Inject Hall"], FLAGS["Inject Hall"], headers).get_json()["result"] == "correct"

    # an absolute release time that has passed
    with services.database.session() as session:
        organizer.schedule(session, ids["Later Tower"], utcnow() - timedelta(seconds=1), "test")
    names = {c["name"] for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}
    assert "Later Tower" in names
    assert post(client, ids["Later Tower"], FLAGS["Later Tower"], headers).get_json()["result"] == "correct"


# --- attempts -------------------------------------------------------------------------------


def test_attempt_verdicts_and_points(services: Any, client: Any, ids: dict[str, int], team_a: Any) -> None:
    team_id, headers = team_a
    cid = ids["Second Door"]
    wrong = post(client, cid, "DRILL{second-20251}", headers)
    assert wrong.status_code == 200 and wrong.get_json()["result"] == "incorrect" and wrong.get_json()["points"] == 0
    right = post(client, cid, "  DRILL{second-2025}\n", headers)
    assert right.status_code == 200
    assert right.get_json()["result"] == "correct" and right.get_json()["points"] == 100
    again = post(client, cid, "DRILL{second-9999}", headers)
    assert again.get_json()["result"] == "already_solved" and again.get_json()["points"] == 100
    with services.database.session() as session:
        rows = session.scalars(select(Submission).where(Submission.challenge_id == cid).order_by(Submission.id)).all()
        assert [(r.team_id, r.answer, r.verdict) for r in rows] == [
            (team_id, "DRILL{second-20251}", "incorrect"), (team_id, "DRILL{second-2025}", "correct"),
            (team_id, "DRILL{second-9999}", "already_solved")]
        assert all(r.source and r.at for r in rows)
    assert count(services, Solve, team_id=team_id) == 1
    assert score_of(client, team_id) == 100
    listed = {c["name"]: c for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}
    assert listed["Second Door"]["solved"] is True and listed["Second Door"]["solves"] == 1


def test_the_answer_form_without_its_script_says_the_verdict_where_the_script_would(
        services: Any, client: Any, ids: dict[str, int], team_a: Any) -> None:
    """A member who answers before the page's script has loaded (a slow link) posts the form itself:
    the page comes back with the verdict in the verdict line, as the script would have shown it."""
    team_id, _ = team_a
    with services.database.session() as session:
        from scoreboard.store.models import Team
        user_id = accounts.create_member(session, session.get(Team, team_id), "nojs", "correct horse battery").get_id()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = user_id, True
    cid = ids["Second Door"]

    def answer(text: str) -> tuple[str, ...]:
        token = csrf_from(client.get(f"/challenges/{cid}").get_data(as_text=True))
        response = client.post(f"/challenges/{cid}/answer", data={"csrf_token": token, "answer": text},
                               follow_redirects=True)
        assert response.request.path == f"/challenges/{cid}"
        page = response.get_data(as_text=True)
        assert 'class="flash' not in page, "the verdict is said once, in its own line"
        return re.search(r'<p id="verdict" class="([^"]*)"[^>]*>([^<]*)</p>', page).groups()

    assert answer("DRILL{second-20251}") == ("verdict incorrect", "Incorrect.")
    assert answer("DRILL{second-2025}") == ("verdict correct", "Correct! +100 points.")
    assert answer("DRILL{second-9999}") == ("verdict correct", "Your team already solved this.")
    assert score_of(client, team_id) == 100
    again = client.get(f"/challenges/{cid}").get_data(as_text=True)
    assert re.search(r'<p id="verdict" class="verdict "[^>]*></p>', again), "a verdict is said once, not on every visit"


def test_detail_says_how_many_wrong_answers_are_left(services: Any, client: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={"w/limited/challenge.yml": "name: Limited\nvalue: 50\nattempts: 2\nflags: ['DRILL{x}']\n",
                                  "w/free/challenge.yml": "name: Free\nvalue: 50\nflags: ['DRILL{y}']\n"}, name="limits")
    load_pack(services, folder)
    (_, a), (_, b) = team_with_token(services, "Limit A"), team_with_token(services, "Limit B")
    ids = {c["name"]: c["id"] for c in client.get("/api/v1/challenges", headers=a).get_json()["challenges"]}

    def left(headers: dict[str, str], name: str = "Limited") -> Any:
        return client.get(f"/api/v1/challenges/{ids[name]}", headers=headers).get_json()["attempts_left"]

    assert left(a) == 2 and left(a, "Free") is None
    post(client, ids["Limited"], "wrong", a)
    assert left(a) == 1 and left(b) == 2, "one team's wrong answers are its own"
    post(client, ids["Limited"], "wrong again", a)
    assert left(a) == 0
    assert post(client, ids["Limited"], "DRILL{x}", a).status_code == 403


def test_dynamic_value_falls_for_every_solver(client: Any, ids: dict[str, int], team_a: Any, team_b: Any) -> None:
    (a_id, a), (b_id, b) = team_a, team_b
    cid = ids["Curve"]
    first = post(client, cid, FLAGS["Curve"], a).get_json()
    assert (first["result"], first["points"]) == ("correct", 500)
    assert post(client, cid, FLAGS["Curve"], b).get_json()["points"] == 496
    assert score_of(client, a_id) == 496 and score_of(client, b_id) == 496   # the current value applies to all
    listed = {c["name"]: c for c in client.get("/api/v1/challenges", headers=a).get_json()["challenges"]}
    assert listed["Curve"]["value"] == 496 and listed["Curve"]["solves"] == 2


@pytest.mark.parametrize("kwargs", [
    {"data": "answer=DRILL{x}", "content_type": "application/x-www-form-urlencoded"},
    {"data": "DRILL{open-door-4411}", "content_type": "text/plain"},
    {"data": "{not json", "content_type": "application/json"},
    {"json": ["DRILL{open-door-4411}"]},
    {"json": "DRILL{open-door-4411}"},
    {"json": {}},
    {"json": {"flag": "DRILL{open-door-4411}"}},
    {"json": {"answer": 37}},
    {"json": {"answer": None}},
    {"json": {"answer": ["DRILL{open-door-4411}"]}},
    {"json": {"answer": {"x": 1}}},
    {"json": {"answer": ""}},
    {"json": {"answer": "   \n\t"}},
    {"json": {"answer": "D" * 1001}},
], ids=lambda kw: json.dumps(kw)[:40])
def test_malformed_body_is_400_and_not_recorded(services: Any, client: Any, ids: dict[str, int], team_a: Any,
                                                kwargs: dict[str, Any]) -> None:
    _, headers = team_a
    resp = client.post(f"/api/v1/challenges/{ids['Open Door']}/attempts", headers=headers, **kwargs)
    assert is_error(resp, 400), (resp.status_code, resp.get_data(as_text=True))
    assert count(services, Submission) == 0


def test_answer_of_exactly_1000_chars_is_graded(services: Any, client: Any, ids: dict[str, int], team_a: Any) -> None:
    _, headers = team_a
    resp = post(client, ids["Open Door"], "D" * 1000, headers)
    assert resp.status_code == 200 and resp.get_json()["result"] == "incorrect"
    assert count(services, Submission) == 1


def test_unencodable_answer_is_400(app: Any, services: Any, client: Any, ids: dict[str, int], team_a: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _, headers = team_a
    resp = client.post(f"/api/v1/challenges/{ids['Open Door']}/attempts", data='{"answer": "DRILL{\\ud800}"}',
                       content_type="application/json", headers=headers)
    assert is_error(resp, 400)


def test_huge_number_answer_is_just_incorrect(app: Any, services: Any, client: Any, ids: dict[str, int],
                                              team_a: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _, headers = team_a
    resp = post(client, ids["Count"], "1e1000000", headers)
    assert resp.status_code == 200 and resp.get_json()["result"] == "incorrect"


def test_number_answer_via_api(client: Any, ids: dict[str, int], team_a: Any) -> None:
    _, headers = team_a
    assert post(client, ids["Count"], "nan", headers).get_json()["result"] == "incorrect"
    assert post(client, ids["Count"], "37.0", headers).get_json()["result"] == "correct"


def test_401_without_valid_auth(services: Any, client: Any, ids: dict[str, int]) -> None:
    cid = ids["Open Door"]
    for headers in ({}, {"Authorization": "Bearer drb_not-a-real-token"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        assert is_error(client.get("/api/v1/challenges", headers=headers), 401)
        assert is_error(client.get(f"/api/v1/challenges/{cid}", headers=headers), 401)
        assert is_error(client.post(f"/api/v1/challenges/{cid}/attempts", json={"answer": "x"}, headers=headers), 401)
        assert is_error(client.post("/api/v1/hints/1/unlock", headers=headers), 401)
    assert count(services, Submission) == 0
    assert client.get("/api/v1/scoreboard").status_code == 200    # public


@pytest.mark.parametrize("phase", ["not_started", "paused", "ended"])
def test_403_when_the_drill_is_not_running(phase: str, services: Any, client: Any, ids: dict[str, int],
                                           team_a: Any) -> None:
    team_id, headers = team_a
    if phase == "not_started":
        clock(services, "set", starts_at=utcnow() + timedelta(hours=1))
    elif phase == "paused":
        clock(services, "pause")
    else:
        clock(services, "end")
    for name in ("Open Door", "Second Door"):
        resp = post(client, ids[name], FLAGS[name], headers)
        assert is_error(resp, 403), (resp.status_code, resp.get_data(as_text=True))
    assert count(services, Submission) == 0 and count(services, Solve) == 0
    assert score_of(client, team_id) == 0
    if phase == "paused":
        clock(services, "resume")
        assert post(client, ids["Open Door"], FLAGS["Open Door"], headers).get_json()["result"] == "correct"


def test_prerequisites(services: Any, client: Any, ids: dict[str, int], team_a: Any) -> None:
    _, headers = team_a
    locked = ids["Locked Room"]
    listed = {c["name"]: c for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}
    assert "Locked Room" not in listed and locked not in {c["id"] for c in listed.values()}   # hidden, as CTFd
    assert is_error(client.get(f"/api/v1/challenges/{locked}", headers=headers), 403)
    assert is_error(post(client, locked, FLAGS["Locked Room"], headers), 403)
    assert count(services, Submission) == 0
    assert post(client, ids["Open Door"], FLAGS["Open Door"], headers).get_json()["result"] == "correct"
    assert client.get(f"/api/v1/challenges/{locked}", headers=headers).status_code == 200
    listed = {c["name"]: c for c in client.get("/api/v1/challenges", headers=headers).get_json()["challenges"]}
    assert listed["Locked Room"]["locked"] is False and listed["Locked Room"]["value"] == 200
    assert post(client, locked, FLAGS["Locked Room"], headers).get_json()["result"] == "correct"


def test_hints_cost_once_and_content_hidden_until_unlocked(services: Any, client: Any, ids: dict[str, int],
                                                           team_a: Any, team_b: Any) -> None:
    (a_id, a), (b_id, b) = team_a, team_b
    cid = ids["Open Door"]
    hints = client.get(f"/api/v1/challenges/{cid}", headers=a).get_json()["hints"]
    free = next(h for h in hints if h["cost"] == 0)
    paid = next(h for h in hints if h["cost"] == 25)
    assert paid["content"] is None and FREE_HINT in free["content"]
    assert PAID_HINT not in json.dumps(hints)
    first = client.post(f"/api/v1/hints/{paid['id']}/unlock", headers=a)
    assert first.status_code == 200 and PAID_HINT in first.get_json()["content"]
    second = client.post(f"/api/v1/hints/{paid['id']}/unlock", headers=a)
    assert second.status_code == 200 and PAID_HINT in second.get_json()["content"]
    assert count(services, HintUnlock, team_id=a_id) == 1
    assert score_of(client, a_id) == -25
    shown = client.get(f"/api/v1/challenges/{cid}", headers=a).get_json()["hints"]
    assert PAID_HINT in next(h for h in shown if h["id"] == paid["id"])["content"]
    # the other team neither pays nor sees it
    other = client.get(f"/api/v1/challenges/{cid}", headers=b).get_json()["hints"]
    assert next(h for h in other if h["id"] == paid["id"])["content"] is None
    assert score_of(client, b_id) == 0
    # solving later still nets value minus the hint
    post(client, cid, FLAGS["Open Door"], a)
    assert score_of(client, a_id) == 75
    assert is_error(client.post("/api/v1/hints/99999/unlock", headers=a), 404)


def test_hint_of_hidden_challenge_cannot_be_unlocked(services: Any, client: Any, make_pack: Any) -> None:
    folder = make_pack({}, files={"h/challenge.yml": (
        "name: Secret\nvalue: 10\nstate: hidden\nflags: ['DRILL{s}']\nhints:\n  - {content: HIDDEN-HINT-TEXT, cost: 5}\n")})
    load_pack(services, folder)
    with services.database.session() as session:
        from scoreboard.store.models import Hint
        hint_id = session.scalar(select(Hint.id))
    _, headers = team_with_token(services, "Curious")
    resp = client.post(f"/api/v1/hints/{hint_id}/unlock", headers=headers)
    assert resp.status_code == 404 and "HIDDEN-HINT-TEXT" not in resp.get_data(as_text=True)


# --- rate limit -----------------------------------------------------------------------------


def test_rate_limit_429_and_not_graded(services: Any, client: Any, ids: dict[str, int], team_a: Any,
                                       team_b: Any) -> None:
    (a_id, a), (_, b) = team_a, team_b
    cid = ids["Open Door"]
    for i in range(10):
        assert post(client, cid, f"DRILL{{guess-{i}}}", a).get_json()["result"] == "incorrect"
    limited = post(client, cid, "DRILL{guess-10}", a)
    assert is_error(limited, 429)
    retry = limited.headers.get("Retry-After")
    assert retry is not None and retry.isdigit() and 1 <= int(retry) <= 60
    right = post(client, cid, FLAGS["Open Door"], a)
    assert is_error(right, 429)
    assert count(services, Submission, team_id=a_id) == 10
    assert count(services, Solve) == 0
    # the limit is per team and challenge
    assert post(client, ids["Second Door"], "DRILL{second-2025}", a).get_json()["result"] == "correct"
    assert post(client, cid, FLAGS["Open Door"], b).get_json()["result"] == "correct"


@pytest.fixture
def small_window_app(tmp_path: Path) -> Any:
    application = create_app(Settings(instance=tmp_path / "small-window", secret_key="test-secret",
                                      attempt_window=1, attempt_limit=2, tick_seconds=0.2))
    application.config["TESTING"] = True
    yield application
    application.extensions["drillboard"].live.stop()


def test_correct_answer_after_waiting_out_the_limit(small_window_app: Any, make_pack: Any) -> None:
    services = small_window_app.extensions["drillboard"]
    client = small_window_app.test_client()
    ids = api_pack(services, make_pack)
    team_id, headers = team_with_token(services, "Patient")
    cid = ids["Open Door"]
    assert post(client, cid, "DRILL{a}", headers).get_json()["result"] == "incorrect"
    assert post(client, cid, "DRILL{b}", headers).get_json()["result"] == "incorrect"
    limited = post(client, cid, FLAGS["Open Door"], headers)
    assert limited.status_code == 429
    # A refused (429) try does not count: keep trying until the window lets the answer through.
    accepted = wait_until(lambda: (r := post(client, cid, FLAGS["Open Door"], headers)).status_code != 429 and r,
                          int(limited.headers["Retry-After"]) + 5, "the rate limit's window to pass")
    verdict = accepted.get_json()
    assert (verdict["result"], verdict["points"]) == ("correct", 100)
    assert score_of(client, team_id) == 100


# --- freeze, tie-break, awards --------------------------------------------------------------


def test_freeze_hides_new_solves_from_the_public_until_the_end(services: Any, client: Any, ids: dict[str, int],
                                                               team_a: Any, team_b: Any) -> None:
    (a_id, a), (b_id, b) = team_a, team_b
    assert post(client, ids["Open Door"], FLAGS["Open Door"], a).get_json()["result"] == "correct"
    clock(services, "freeze")
    frozen_board = client.get("/api/v1/scoreboard").get_json()
    frozen_feed = client.get("/api/v1/scoreboard/ctftime").get_json()
    assert frozen_board["frozen"] is True
    assert post(client, ids["Second Door"], "DRILL{second-2025}", b).get_json()["result"] == "correct"
    assert post(client, ids["Curve"], FLAGS["Curve"], b).get_json()["result"] == "correct"
    with services.database.session() as session:
        organizer.award(session, b_id, 40, "report graded", utcnow(), None)
    assert client.get("/api/v1/scoreboard").get_json() == frozen_board
    assert client.get("/api/v1/scoreboard/ctftime").get_json() == frozen_feed
    assert score_of(client, b_id) == 0 and score_of(client, a_id) == 100
    own = {c["name"]: c for c in client.get("/api/v1/challenges", headers=b).get_json()["challenges"]}
    assert own["Second Door"]["solved"] is True and own["Curve"]["solved"] is True
    assert client.get(f"/api/v1/challenges/{ids['Second Door']}", headers=b).get_json()["solved"] is True
    clock(services, "end")
    final = client.get("/api/v1/scoreboard").get_json()
    assert final["frozen"] is False
    assert [(r["team_id"], r["score"]) for r in final["standings"]] == [(b_id, 100 + 500 + 40), (a_id, 100)]


def test_freeze_hides_other_teams_solve_counts(services: Any, client: Any, ids: dict[str, int], team_a: Any,
                                               team_b: Any) -> None:
    (_, a), (_, b) = team_a, team_b
    clock(services, "freeze")
    assert post(client, ids["Curve"], FLAGS["Curve"], b).get_json()["result"] == "correct"
    assert post(client, ids["Curve"], FLAGS["Curve"], team_with_token(services, "Third")[1]).get_json()["result"] == "correct"
    seen_by_a = {c["name"]: c for c in client.get("/api/v1/challenges", headers=a).get_json()["challenges"]}
    assert seen_by_a["Curve"]["solves"] == 0 and seen_by_a["Curve"]["value"] == 500


def test_tie_goes_to_the_earlier_solver(services: Any, client: Any, ids: dict[str, int]) -> None:
    late_id, late = team_with_token(services, "Created First")    # lower id: would win a tie by id
    early_id, early = team_with_token(services, "Created Second")
    idle_id, _ = team_with_token(services, "Idle")
    assert post(client, ids["Open Door"], FLAGS["Open Door"], early).get_json()["result"] == "correct"
    assert post(client, ids["Second Door"], "DRILL{second-2025}", late).get_json()["result"] == "correct"
    rows = standings(client)
    assert [(r["team_id"], r["score"], r["pos"]) for r in rows] == [(early_id, 100, 1), (late_id, 100, 2), (idle_id, 0, 3)]
    assert rows[0]["last_solve_at"] < rows[1]["last_solve_at"]
    assert rows[2]["last_solve_at"] is None and rows[0]["solves"] == 1
    feed = client.get("/api/v1/scoreboard/ctftime").get_json()["standings"]
    assert [(r["pos"], r["team"], r["score"]) for r in feed] == [(r["pos"], r["team"], r["score"]) for r in rows]


def test_awards_change_the_board(services: Any, client: Any, ids: dict[str, int], team_a: Any, team_b: Any) -> None:
    (a_id, a), (b_id, _) = team_a, team_b
    post(client, ids["Open Door"], FLAGS["Open Door"], a)
    with services.database.session() as session:
        organizer.award(session, b_id, 250, "incident report: excellent", utcnow(), None)
    rows = standings(client)
    assert [(r["team_id"], r["score"]) for r in rows] == [(b_id, 250), (a_id, 100)]
    with services.database.session() as session:
        organizer.award(session, b_id, -200, "rule violation", utcnow(), None)
    rows = standings(client)
    assert [(r["team_id"], r["score"]) for r in rows] == [(a_id, 100), (b_id, 50)]
    with services.database.session() as session, pytest.raises(Refused):
        organizer.award(session, b_id, 10, "  ", utcnow(), None)   # a reason is required
    assert score_of(client, b_id) == 50


def test_one_team_cannot_see_another_teams_submissions(services: Any, client: Any, ids: dict[str, int],
                                                       team_a: Any, team_b: Any) -> None:
    (_, a), (_, b) = team_a, team_b
    marker = "DRILL{alpha-private-guess-0x5eed}"
    post(client, ids["Second Door"], marker, a)
    post(client, ids["Open Door"], FLAGS["Open Door"], a)
    listed = {c["name"]: c for c in client.get("/api/v1/challenges", headers=b).get_json()["challenges"]}
    assert listed["Open Door"]["solved"] is False and listed["Open Door"]["solves"] == 1
    detail = client.get(f"/api/v1/challenges/{ids['Open Door']}", headers=b).get_json()
    assert detail["solved"] is False and detail.get("solved_at") is None
    mine = client.get(f"/api/v1/challenges/{ids['Open Door']}", headers=a).get_json()
    assert mine["solved"] is True
    # no GET endpoint of the API shows team A's guesses to team B or to an observer
    for rule in services_rules(client):
        path = rule.replace("<int:challenge_id>", str(ids["Second Door"])).replace("<int:hint_id>", "1")
        for headers in (b, {}):
            body = client.get(path, headers=headers).get_data(as_text=True)
            assert marker not in body and "alpha-private-guess" not in body, path


def services_rules(client: Any) -> list[str]:
    return [r.rule for r in client.application.url_map.iter_rules()
            if r.rule.startswith("/api/v1") and "GET" in r.methods]


# --- OpenAPI --------------------------------------------------------------------------------


def _norm(path: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_openapi_document_lists_every_route(app: Any, client: Any) -> None:
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    try:
        from openapi_spec_validator import validate
    except ImportError:
        validate = None
    if validate is not None:
        validate(doc)
    assert str(doc.get("openapi", "")).startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert isinstance(doc["paths"], dict) and doc["paths"]
    base = ""
    for server in doc.get("servers", []):
        if server.get("url", "").rstrip("/").endswith("/api/v1"):
            base = "/api/v1"
    documented = set()
    for path, item in doc["paths"].items():
        full = path if path.startswith("/api/v1") else base + path
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                assert "responses" in op and op["responses"], (path, method)
                documented.add((_norm(full), method.upper()))
                for ref in re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(op)):
                    assert ref in doc["components"]["schemas"], ref
    served = {(_norm(rule.rule), method) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served - documented == set(), "routes missing from openapi.json"
    assert documented - served == set(), "openapi.json documents routes the app does not serve"
