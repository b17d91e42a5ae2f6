"""The team inbox and clarifications: what each team reads, what exercise control answers, every
refusal, the roles on every new route, announcements in the reader's language, live notices."""
from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from scoreboard import packs
from scoreboard.drill import accounts, announcements, clarifications, organizer
from scoreboard.store.models import AuditEntry, Challenge, Clarification, utcnow

PASSWORD = "correct horse battery"
CHALLENGES = {
    "web/open": {"name": "Open Door", "category": "Web", "value": 100, "flags": ["DRILL{open}"],
                 "translations": {"ru": {"name": "Открытая дверь"}}},
    "web/later": {"name": "Later Inject", "category": "Web", "value": 100, "flags": ["DRILL{later}"],
                  "release_at": "2099-01-01T00:00:00Z"},
    "web/hidden": {"name": "Hidden Box", "category": "Web", "value": 100, "flags": ["DRILL{h}"], "state": "hidden"},
    "web/locked": {"name": "Locked Room", "category": "Web", "value": 100, "flags": ["DRILL{l}"],
                   "requirements": ["Open Door"]},
}


def _csrf(client: Any, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'(?:name="csrf_token" value|name="csrf-token" content)="([^"]+)"', page).group(1)


def _logged_in(app: Any, name: str) -> Any:
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": _csrf(client, "/login"), "name": name, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    client.csrf = _csrf(client, "/board")
    return client


@pytest.fixture
def drill(app: Any, services: Any, make_pack: Any) -> SimpleNamespace:
    """Teams Alpha and Bravo (a member each), a white cell, an organizer, a judge and the red team."""
    with services.database.session() as session:
        packs.load(session, make_pack(CHALLENGES), services.settings.files_dir)
    made = SimpleNamespace(tokens={}, ids={}, teams={})
    with services.database.session() as session:
        for name in ("Alpha", "Bravo"):
            team = organizer.create_team(session, name, "KZ", "test")
            accounts.create_member(session, team, f"{name.lower()}-member", PASSWORD)
            made.tokens[name] = {"Authorization": f"Bearer {accounts.new_token(session, team=team)}"}
            made.teams[name] = team.id
        for name, role in (("wc", "white_cell"), ("chief", "admin"), ("judy", "judge"), ("reddy", "red_team")):
            user, _, token = accounts.create_staff(session, name, role)
            user.password_hash = accounts.hash_password(PASSWORD)
            made.tokens[name] = {"Authorization": f"Bearer {token}"}
        made.ids = {row.name: row.id for row in session.scalars(select(Challenge))}
    return made


def _ask(client: Any, headers: dict[str, str], question: Any = "Is the scope only the web server?", **extra: Any) -> Any:
    return client.post("/api/v1/clarifications", json={"question": question, **extra}, headers=headers)


def _answer(client: Any, headers: dict[str, str], clarification_id: int, text: Any = "Yes, only that host.",
            publish: Any = False) -> Any:
    return client.post(f"/api/v1/clarifications/{clarification_id}/answer", json={"answer": text, "publish": publish},
                       headers=headers)


def _inbox(client: Any, headers: dict[str, str], **extra: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/inbox", headers={**headers, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["messages"]


# --- the inbox -------------------------------------------------------------------------------------


def test_inbox_keeps_public_and_own_private_announcements_newest_first(services: Any, client: Any,
                                                                       drill: Any) -> None:
    with services.database.session() as session:
        announcements.announce(session, "Welcome", "Rules *apply*", utcnow(), None)
        announcements.announce(session, "Alpha only", "Your VPN is ready", utcnow(), None, drill.teams["Alpha"])
        announcements.announce(session, "Bravo only", "Secret to Bravo", utcnow(), None, drill.teams["Bravo"])
    alpha = _inbox(client, drill.tokens["Alpha"])
    assert [m["title"] for m in alpha] == ["Alpha only", "Welcome"]
    assert all(m["kind"] == "announcement" and m["read"] is False for m in alpha)
    assert alpha[1]["body_html"] == "<p>Rules <em>apply</em></p>\n"
    assert [m["title"] for m in _inbox(client, drill.tokens["Bravo"])] == ["Bravo only", "Welcome"]


def test_marking_read_is_per_team_and_shown_in_the_nav(app: Any, services: Any, client: Any, drill: Any) -> None:
    with services.database.session() as session:
        for title in ("One", "Two", "Three"):
            announcements.announce(session, title, "", utcnow(), None)
    member = _logged_in(app, "alpha-member")
    nav = member.get("/challenges").get_data(as_text=True)
    assert re.search(r'id="inbox-count"><span class="sr-only">Unread messages</span> <span class="n">3</span>', nav)
    first = _inbox(client, drill.tokens["Alpha"])[-1]["id"]
    marked = client.post("/api/v1/inbox/read", json={"ids": [first, 999999, "x"]}, headers=drill.tokens["Alpha"])
    assert marked.get_json() == {"marked": 1, "unread": 2}
    page = member.get("/inbox").get_data(as_text=True)  # shown: read
    assert page.count('class="badge new"') == 2 and "Three" in page
    assert 'id="inbox-count" hidden' in member.get("/challenges").get_data(as_text=True)
    assert all(m["read"] for m in _inbox(client, drill.tokens["Alpha"]))
    assert not any(m["read"] for m in _inbox(client, drill.tokens["Bravo"]))
    everything = client.post("/api/v1/inbox/read", headers=drill.tokens["Bravo"])
    assert everything.get_json() == {"marked": 3, "unread": 0}


@pytest.mark.parametrize("body", [{"ids": "1"}, {"ids": list(range(1, 300))}, [1]])
def test_bad_read_marks_are_refused(client: Any, drill: Any, body: Any) -> None:
    response = client.post("/api/v1/inbox/read", json=body, headers=drill.tokens["Alpha"])
    assert response.status_code == 400 and response.get_json()["error"]


# --- announcements in several languages ---------------------------------------------------------------


def test_announcements_read_in_the_viewers_language_falling_back_to_english(app: Any, services: Any, client: Any,
                                                                           drill: Any) -> None:
    with services.database.session() as session:
        announcements.announce(session, "Network change", "Use **VPN 2**", utcnow(), None,
                               translations={"ru": {"title": "Смена сети", "body": "Используйте **VPN 2**"},
                                             "zh": {"title": "", "body": ""}})
    ru = _inbox(client, drill.tokens["Alpha"], **{"Accept-Language": "ru"})[0]
    assert (ru["title"], ru["body_html"]) == ("Смена сети", "<p>Используйте <strong>VPN 2</strong></p>\n")
    assert _inbox(client, drill.tokens["Alpha"], **{"Accept-Language": "zh"})[0]["title"] == "Network change"
    board = client.get("/board", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "<strong>Смена сети</strong>" in board and "<strong>Network change</strong>" not in board
    start = json.loads(re.search(r'<script type="application/json" id="snapshot">(.*?)</script>', board, re.S).group(1))
    assert start["announcements"][0]["title"] == "Смена сети"  # where static/js/board.js starts from
    assert "<strong>Network change</strong>" in client.get("/board?kiosk=1", headers={"Accept-Language": "zh"}).get_data(
        as_text=True)


def test_console_announcement_form_takes_other_languages_and_refuses_a_text_without_title(app: Any, client: Any,
                                                                                         drill: Any) -> None:
    chief = _logged_in(app, "chief")
    form = {"csrf_token": chief.csrf, "title": "Lunch", "body": "At noon", "team_id": "",
            "title_ru": "", "body_ru": "В полдень", "title_zh": "午餐", "body_zh": "中午"}
    refused = chief.post("/console/announcements", data=form, follow_redirects=True).get_data(as_text=True)
    assert "the Русский text needs a title as well" in refused
    assert _inbox(client, drill.tokens["Alpha"]) == []
    form["title_ru"] = "Обед"
    chief.post("/console/announcements", data=form)
    assert _inbox(client, drill.tokens["Alpha"], **{"Accept-Language": "zh"})[0]["title"] == "午餐"
    assert _inbox(client, drill.tokens["Alpha"], **{"Accept-Language": "ru"})[0]["title"] == "Обед"


# --- clarifications -------------------------------------------------------------------------------------


def test_a_private_answer_reaches_only_the_asking_team(services: Any, client: Any, drill: Any) -> None:
    asked = _ask(client, drill.tokens["Alpha"], "What port?", challenge_id=drill.ids["Open Door"])
    assert asked.status_code == 201
    qid = asked.get_json()["id"]
    queue = client.get("/api/v1/clarifications", headers=drill.tokens["wc"]).get_json()["clarifications"]
    assert [(q["id"], q["team"], q["answer"], q["challenge"]) for q in queue] == [(qid, "Alpha", None, "Open Door")]
    assert client.get("/api/v1/clarifications", headers=drill.tokens["Bravo"]).get_json() == {"clarifications": []}
    assert _answer(client, drill.tokens["wc"], qid, "Port **8080**.").get_json() == {"id": qid, "published": False}
    alpha = _inbox(client, drill.tokens["Alpha"])
    assert alpha[0]["kind"] == "clarification" and alpha[0]["title"] == "Answer to your team's question about Open Door"
    assert "What port?" in alpha[0]["body_html"] and "<strong>8080</strong>" in alpha[0]["body_html"]
    assert _inbox(client, drill.tokens["Bravo"]) == []
    ru = _inbox(client, drill.tokens["Alpha"], **{"Accept-Language": "ru"})[0]["title"]
    assert ru == "Ответ на вопрос вашей команды по заданию «Открытая дверь»"
    with services.database.session() as session:
        actions = [(a.actor, a.action) for a in session.scalars(select(AuditEntry).where(
            AuditEntry.action.like("clarification.%")).order_by(AuditEntry.id))]
    assert actions == [("team:Alpha", "clarification.ask"), ("wc", "clarification.answer")]


def test_a_published_answer_reaches_every_team_without_the_askers_name(client: Any, drill: Any) -> None:
    qid = _ask(client, drill.tokens["Alpha"], "May we scan the whole /24?").get_json()["id"]
    _answer(client, drill.tokens["chief"], qid, "No: only the hosts listed.", publish=True)
    for team in ("Alpha", "Bravo"):
        message = _inbox(client, drill.tokens[team])[0]
        assert message["title"] == "Clarification for every team"
        assert "May we scan the whole /24?" in message["body_html"] and "only the hosts listed" in message["body_html"]
    bravo = client.get("/api/v1/clarifications", headers=drill.tokens["Bravo"]).get_json()["clarifications"]
    assert [(q["id"], q["own"], q["published"]) for q in bravo] == [(qid, False, True)]
    seen_by_bravo = client.get("/api/v1/clarifications", headers=drill.tokens["Bravo"]).get_data(as_text=True) + \
        client.get("/api/v1/inbox", headers=drill.tokens["Bravo"]).get_data(as_text=True)
    assert "Alpha" not in seen_by_bravo and "team_id" not in seen_by_bravo
    alpha = client.get("/api/v1/clarifications", headers=drill.tokens["Alpha"]).get_json()["clarifications"]
    assert alpha[0]["own"] is True


def test_a_published_answer_about_a_challenge_a_team_cannot_see_does_not_name_it(services: Any, client: Any,
                                                                                 drill: Any) -> None:
    with services.database.session() as session:
        organizer.award(session, drill.teams["Alpha"], 1, "stand-in", utcnow(), None)
    client.post(f"/api/v1/challenges/{drill.ids['Open Door']}/attempts", json={"answer": "DRILL{open}"},
                headers=drill.tokens["Alpha"])
    qid = _ask(client, drill.tokens["Alpha"], "Which room?", challenge_id=drill.ids["Locked Room"]).get_json()["id"]
    _answer(client, drill.tokens["wc"], qid, "The second one.", publish=True)
    assert _inbox(client, drill.tokens["Alpha"])[0]["title"] == "Clarification for every team about Locked Room"
    assert _inbox(client, drill.tokens["Bravo"])[0]["title"] == "Clarification for every team"
    bravo = client.get("/api/v1/clarifications", headers=drill.tokens["Bravo"]).get_json()["clarifications"][0]
    assert (bravo["challenge_id"], bravo["challenge"]) == (None, None)


@pytest.mark.parametrize("body, status", [
    ({"question": ""}, 400), ({"question": "   "}, 400), ({"question": 5}, 400), ({}, 400),
    ({"question": "x" * 2001}, 400), ({"question": "a\x00b"}, 400),
    ({"question": "q", "challenge_id": "1"}, 400), ({"question": "q", "challenge_id": True}, 400),
    ({"question": "q", "challenge_id": 987654}, 404), ({"question": "q", "challenge_id": 2**40}, 404),
])
def test_bad_questions_are_refused_and_change_nothing(services: Any, client: Any, drill: Any, body: dict,
                                                      status: int) -> None:
    response = client.post("/api/v1/clarifications", json=body, headers=drill.tokens["Alpha"])
    assert response.status_code == status and response.get_json()["error"]
    with services.database.session() as session:
        assert session.scalars(select(Clarification)).all() == []


@pytest.mark.parametrize("name, status", [("Later Inject", 403), ("Hidden Box", 404), ("Locked Room", 403)])
def test_a_team_asks_only_about_challenges_it_can_see(client: Any, drill: Any, name: str, status: int) -> None:
    response = _ask(client, drill.tokens["Alpha"], challenge_id=drill.ids[name])
    assert response.status_code == status, response.get_json()
    assert name not in response.get_json()["error"] or name == "Locked Room"


def test_questions_are_rate_limited_per_team(client: Any, drill: Any) -> None:
    for n in range(clarifications.LIMIT):
        assert _ask(client, drill.tokens["Alpha"], f"Question {n}").status_code == 201
    refused = _ask(client, drill.tokens["Alpha"], "One more")
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= clarifications.WINDOW
    assert "10 minutes" in refused.get_json()["error"]
    assert _ask(client, drill.tokens["Bravo"], "Our first").status_code == 201


def test_bad_answers_are_refused(client: Any, drill: Any) -> None:
    qid = _ask(client, drill.tokens["Alpha"]).get_json()["id"]
    for text, publish in (("", False), ("  ", False), (None, False), ("x" * 10_001, False), ("a\x00", False),
                          ("ok", "yes"), ("ok", 1)):
        response = _answer(client, drill.tokens["wc"], qid, text, publish)
        assert response.status_code == 400 and response.get_json()["error"], (text, publish)
    assert _answer(client, drill.tokens["wc"], 987654).status_code == 404
    assert _answer(client, drill.tokens["wc"], qid).status_code == 200
    again = _answer(client, drill.tokens["chief"], qid, "Something else", publish=True)
    assert again.status_code == 409 and "already answered" in again.get_json()["error"]
    assert _inbox(client, drill.tokens["Bravo"]) == []


# --- roles on every new route ------------------------------------------------------------------------


def test_roles_on_every_new_route(app: Any, client: Any, drill: Any) -> None:
    """Anonymous, team A, team B, judge, red team, white cell, organizer: who may do what, and no
    team ever reads another team's question or private answer."""
    qid = _ask(client, drill.tokens["Alpha"], "Alpha's private doubt").get_json()["id"]
    _answer(client, drill.tokens["wc"], qid, "Alpha's private answer")
    pending = _ask(client, drill.tokens["Alpha"], "Alpha's second doubt").get_json()["id"]
    callers = {"anonymous": {}, **{name: drill.tokens[name] for name in ("Alpha", "Bravo", "judy", "reddy", "wc",
                                                                            "chief")}}
    expected = {  # (GET inbox, POST ask, GET clarifications, POST answer)
        "anonymous": (401, 401, 401, 401), "Alpha": (200, 201, 200, 403), "Bravo": (200, 201, 200, 403),
        "judy": (403, 403, 403, 403), "reddy": (403, 403, 403, 403), "wc": (403, 403, 200, 200),
        "chief": (403, 403, 200, 409)}
    for name, headers in callers.items():
        got = (client.get("/api/v1/inbox", headers=headers).status_code,
               _ask(client, headers, f"from {name}").status_code,
               client.get("/api/v1/clarifications", headers=headers).status_code,
               _answer(client, headers, pending, f"answer by {name}").status_code)
        assert got == expected[name], (name, got)
        if name != "Alpha":
            read = client.get("/api/v1/clarifications", headers=headers).get_data(as_text=True) + \
                client.get("/api/v1/inbox", headers=headers).get_data(as_text=True)
            assert ("Alpha's private" in read) == (name in ("wc", "chief")), name
    # The pages: the team inbox for members, the queue for exercise control only.
    pages = {"anonymous": app.test_client(), **{name: _logged_in(app, login) for name, login in (
        ("Alpha", "alpha-member"), ("Bravo", "bravo-member"), ("judy", "judy"), ("reddy", "reddy"), ("wc", "wc"),
        ("chief", "chief"))}}
    pages["anonymous"].csrf = _csrf(pages["anonymous"], "/board")
    expected_pages = {"anonymous": (302, 302), "Alpha": (200, 403), "Bravo": (200, 403), "judy": (302, 403),
                      "reddy": (302, 403), "wc": (302, 200), "chief": (302, 200)}
    for name, browser in pages.items():
        got = (browser.get("/inbox").status_code, browser.get("/console/clarifications/").status_code)
        assert got == expected_pages[name], (name, got)
        posted = browser.post(f"/console/clarifications/{pending}/answer",
                              data={"csrf_token": browser.csrf, "answer": "late"}).status_code
        assert posted in ((302,) if name in ("wc", "chief", "anonymous") else (403,)), (name, posted)
    assert "Alpha's private" not in pages["Bravo"].get("/inbox").get_data(as_text=True)
    assert "Alpha's private answer" in pages["Alpha"].get("/inbox").get_data(as_text=True)
    white_cell = pages["wc"].get("/console/clarifications/").get_data(as_text=True)
    assert "Alpha's second doubt" in white_cell and 'href="/console/"' not in white_cell
    assert pages["wc"].get("/console/").status_code == 403


def test_the_white_cell_answers_from_the_console_and_the_team_asks_from_its_inbox(app: Any, client: Any,
                                                                                  drill: Any) -> None:
    member = _logged_in(app, "alpha-member")
    page = member.get(f"/inbox?challenge={drill.ids['Open Door']}").get_data(as_text=True)
    assert f'<option value="{drill.ids["Open Door"]}" selected>Open Door</option>' in page
    assert "Hidden Box" not in page and "Later Inject" not in page and "Locked Room" not in page
    sent = member.post("/inbox/ask", data={"csrf_token": member.csrf, "question": "Which **host**?",
                                            "challenge_id": str(drill.ids["Open Door"])}, follow_redirects=True)
    assert "Your question is sent to exercise control" in sent.get_data(as_text=True)
    refused = member.post("/inbox/ask", data={"csrf_token": member.csrf, "question": " "}, follow_redirects=True)
    assert "write your question first" in refused.get_data(as_text=True)
    wc = _logged_in(app, "wc")
    queue = wc.get("/console/clarifications/").get_data(as_text=True)
    assert "Question 1 from Alpha" in queue and "1 question waits for an answer." in queue
    wc.post("/console/clarifications/1/answer", data={"csrf_token": wc.csrf, "answer": "The web one.",
                                                       "publish": "1"})
    assert "0 questions wait for an answer." in wc.get("/console/clarifications/").get_data(as_text=True)
    assert _inbox(client, drill.tokens["Bravo"])[0]["title"] == "Clarification for every team about Open Door"
    assert "answered to every team" in member.get("/inbox").get_data(as_text=True)


def test_the_cli_and_the_console_create_white_cell_accounts(app: Any, services: Any) -> None:
    result = app.test_cli_runner().invoke(args=["drill", "create-user", "whitey", "--role", "white_cell"])
    assert result.exit_code == 0 and '"role": "white_cell"' in result.output
    chief = app.test_client()
    with services.database.session() as session:
        _, password, _ = accounts.create_admin(session, "boss")
    chief.post("/login", data={"csrf_token": _csrf(chief, "/login"), "name": "boss", "password": password})
    created = chief.post("/console/staff", data={"csrf_token": _csrf(chief, "/console/staff"), "name": "cell two",
                                                 "role": "white_cell", "team_id": ""}).get_data(as_text=True)
    assert "Account created: cell two (White cell)" in created


# --- live ------------------------------------------------------------------------------------------------


def test_inbox_notices_go_live_to_the_right_teams_only(app: Any, client: Any, drill: Any) -> None:
    socketio = app.extensions["socketio"]
    sockets = {name: socketio.test_client(app, namespace="/live", flask_test_client=_logged_in(app, login))
               for name, login in (("Alpha", "alpha-member"), ("Bravo", "bravo-member"))}
    sockets["observer"] = socketio.test_client(app, namespace="/live")

    def inbox_events() -> dict[str, list[Any]]:
        return {name: [e["args"][0] for e in s.get_received("/live") if e["name"] == "inbox"]
                for name, s in sockets.items()}

    inbox_events()  # the snapshots
    qid = _ask(client, drill.tokens["Alpha"], "Live?").get_json()["id"]
    _answer(client, drill.tokens["wc"], qid, "Private.")
    got = inbox_events()
    assert [m["kind"] for m in got["Alpha"]] == ["clarification"] and got["Bravo"] == [] and got["observer"] == []
    qid = _ask(client, drill.tokens["Bravo"], "Live for all?").get_json()["id"]
    _answer(client, drill.tokens["wc"], qid, "Published.", publish=True)
    got = inbox_events()
    assert len(got["Alpha"]) == len(got["Bravo"]) == 1 and got["observer"] == []
    assert got["Alpha"][0] == {"id": got["Alpha"][0]["id"], "kind": "clarification"}
    for s in sockets.values():
        s.disconnect(namespace="/live")
