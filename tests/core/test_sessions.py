"""Sessions and tokens (issue #22, part 2): where a login sends you, tokens that can be revoked,
cookies that stay on TLS. Each test tries what a thief with an old token or a crafted link would.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from corekit import team_with_token
from sqlalchemy import select

from scoreboard.drill import accounts, announcements, organizer
from scoreboard.store.models import Team, User, utcnow

ROOT_DIR = Path(__file__).resolve().parents[2]


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(r'name="csrf-token" content="([^"]+)"',
                                                                              page)
    return found.group(1)


def log_in(client: Any, name: str, password: str, query: str = "", **headers: str) -> Any:
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post(f"/login{query}", data={"csrf_token": token, "name": name, "password": password},
                       headers=headers)


@pytest.fixture
def member(services: Any) -> str:
    with services.database.session() as session:
        team = organizer.create_team(session, "Blue", "KZ", "test")
        accounts.create_member(session, team, "blue one", "correct horse")
    return "blue one"


# --- where a login or a language switch sends you ---------------------------------------------


@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/%0D%0A/x", "//evil.example", "/\\evil.example", "https://evil.example/",
    "http:evil.example", "/%0a/evil.example", "javascript:alert(1)", "%2F%2Fevil.example", "/\u2028/evil.example",
])
def test_login_never_sends_you_off_the_site(client: Any, member: str, target: str) -> None:
    reply = log_in(client, member, "correct horse", f"?next={target}")
    assert reply.status_code == 302, reply.get_data(as_text=True)[:300]
    location = reply.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location.split("?")[0] \
        .replace("/challenges", ""), location
    assert not any(ch in location for ch in "\t\r\n\\")


def test_login_keeps_a_same_site_target_with_its_query(client: Any, member: str) -> None:
    reply = log_in(client, member, "correct horse", "?next=/challenges%3Fx%3D1")
    assert reply.headers["Location"] == "/challenges?x=1"
    other = log_in(client.application.test_client(), member, "correct horse",
                   "?next=http://localhost/team")
    assert other.headers["Location"] == "/team"


@pytest.mark.parametrize("referrer", ["https://evil.example/", "/\t/evil.example",
                                      "//evil.example/board", "http://localhost.evil.example/"])
def test_the_language_switch_returns_only_to_this_site(client: Any, referrer: str) -> None:
    reply = client.get("/lang/ru", headers={"Referer": referrer})
    assert reply.status_code == 302 and reply.headers["Location"] == "/"
    assert client.get("/lang/ru", headers={"Referer": "http://localhost/board?kiosk=1"}) \
        .headers["Location"] == "/board?kiosk=1"


# --- cookies behind TLS ------------------------------------------------------------------------


def _session_cookie(reply: Any) -> str:
    return next(h for h in reply.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_the_session_cookie_is_secure_when_the_proxy_says_https(tmp_path: Any, member: str, app: Any) -> None:
    from scoreboard import create_app
    from scoreboard.store.config import Settings

    behind = create_app(Settings(instance=app.instance_path, secret_key="test-secret", tick_seconds=0.2,
                                 proxy_hops=1))
    try:
        tls = behind.test_client()
        reply = log_in(tls, member, "correct horse", **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.9",
                                                                 "Referer": "https://localhost/login"})
        assert reply.status_code == 302 and "Secure" in _session_cookie(reply)
        plain = behind.test_client()
        reply = log_in(plain, member, "correct horse", **{"X-Forwarded-Proto": "http"})
        assert "Secure" not in _session_cookie(reply)
    finally:
        behind.extensions["drillboard"].live.stop()


def test_secure_cookies_is_documented_for_operators() -> None:
    assert "DRILLBOARD_SECURE_COOKIES" in (ROOT_DIR / "README.md").read_text()
    assert "DRILLBOARD_SECURE_COOKIES" in (ROOT_DIR / "docker" / "compose.yml").read_text()


# --- API tokens can be revoked -------------------------------------------------------------------


def _judge(services: Any, name: str = "judy") -> tuple[int, str]:
    with services.database.session() as session:
        user, _, token = accounts.create_staff(session, name, "judge")
        return user.id, token


def _reads(client: Any, token: str) -> int:
    return client.get("/api/v1/judging/reports", headers={"Authorization": f"Bearer {token}"}).status_code


def _console(app: Any, services: Any) -> Any:
    with services.database.session() as session:
        _, password, _ = accounts.create_admin(session, "boss")
    browser = app.test_client()
    assert log_in(browser, "boss", password).status_code == 302
    return browser


def _confirm(browser: Any, path: str) -> str:
    """Open a console action's confirmation page, then press its button; returns the flashed text."""
    page = browser.get(path).get_data(as_text=True)
    assert 'name="confirmed"' in page, page[:500]
    done = browser.post(path, data={"csrf_token": csrf_of(page), "confirmed": "1"}, follow_redirects=True)
    assert done.status_code == 200
    return done.get_data(as_text=True)


def test_a_password_reset_revokes_the_token_even_when_it_was_cached(app: Any, client: Any, services: Any) -> None:
    user_id, token = _judge(services)
    assert _reads(client, token) == 200  # now in the worker's token cache
    text = _confirm(_console(app, services), f"/console/staff/{user_id}/reset")
    assert "New password" in text
    assert _reads(client, token) == 401


def test_disable_then_enable_does_not_bring_an_old_token_back(app: Any, client: Any, services: Any) -> None:
    user_id, token = _judge(services)
    team_id, team_headers = team_with_token(services, "Green")
    assert _reads(client, token) == 200 and client.get("/api/v1/challenges", headers=team_headers).status_code == 200
    console = _console(app, services)
    _confirm(console, f"/console/staff/{user_id}/disable")
    _confirm(console, f"/console/teams/{team_id}/disable")
    page = console.get("/console/staff").get_data(as_text=True)
    console.post(f"/console/staff/{user_id}/enable", data={"csrf_token": csrf_of(page)})
    console.post(f"/console/teams/{team_id}/enable", data={"csrf_token": csrf_of(page)})
    with services.database.session() as session:
        assert not session.get(User, user_id).disabled and not session.get(Team, team_id).disabled
    assert _reads(client, token) == 401
    assert client.get("/api/v1/challenges", headers=team_headers).status_code == 401


def test_the_console_rotates_staff_and_team_tokens_after_a_confirmation(app: Any, client: Any,
                                                                          services: Any) -> None:
    user_id, token = _judge(services)
    team_id, team_headers = team_with_token(services, "Green")
    console = _console(app, services)
    assert f"/console/staff/{user_id}/token" in console.get("/console/staff").get_data(as_text=True)
    assert f"/console/teams/{team_id}/token" in console.get("/console/teams").get_data(as_text=True)
    # The button leads to a question; only its form acts.
    assert console.get(f"/console/staff/{user_id}/token").status_code == 200 and _reads(client, token) == 200
    new_staff = re.search(r"(drb_[\w-]+)", _confirm(console, f"/console/staff/{user_id}/token")).group(1)
    new_team = re.search(r"(drb_[\w-]+)", _confirm(console, f"/console/teams/{team_id}/token")).group(1)
    assert _reads(client, token) == 401 and _reads(client, new_staff) == 200
    assert client.get("/api/v1/challenges", headers=team_headers).status_code == 401
    assert client.get("/api/v1/challenges", headers={"Authorization": f"Bearer {new_team}"}).status_code == 200


def test_the_cli_rotates_a_token_and_every_worker_refuses_the_old_one(app: Any, client: Any, services: Any,
                                                                      tmp_path: Any) -> None:
    """Another process (the CLI) rotates: this worker hears of it from the event stream."""
    def cli(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "DRILLBOARD_INSTANCE": str(services.settings.instance),
               "DRILLBOARD_SECRET_KEY": services.settings.secret_key}
        return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "drill", "rotate-token", *args],
                              cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=120)

    _, token = _judge(services)
    team_id, team_headers = team_with_token(services, "Green")
    assert _reads(client, token) == 200
    out = json.loads(cli("--user", "JUDY").stdout)
    team_out = json.loads(cli("--team", "green").stdout)
    assert out["token"].startswith("drb_") and out["name"] == "judy" and team_out["id"] == team_id
    services.live.pump.drain()  # the worker reads the stream (a serving worker does this within a tick)
    assert _reads(client, token) == 401 and _reads(client, out["token"]) == 200
    assert client.get("/api/v1/challenges", headers=team_headers).status_code == 401
    refused = cli("--user", "nobody")
    both = cli()
    assert refused.returncode == 1 and "nobody" in refused.stderr and both.returncode != 0


# --- a live socket does not outlive its session ---------------------------------------------------


def _socket(app: Any, browser: Any) -> Any:
    return app.extensions["socketio"].test_client(app, namespace="/live", flask_test_client=browser)


def _team_notice(services: Any, team_name: str, title: str) -> None:
    with services.database.session() as session:
        team = session.scalar(select(Team).where(Team.name == team_name))
        announcements.announce(session, title, "private", utcnow(), None, team.id)


def _notices(socket: Any) -> list[str]:
    if not socket.is_connected("/live"):
        return []
    return [event["args"][0]["title"] for event in socket.get_received("/live") if event["name"] == "announcement"]


@pytest.mark.parametrize("ending", ["logout", "team disabled", "password reset"])
def test_an_open_socket_stops_receiving_team_notices_when_the_session_ends(app: Any, services: Any, member: str,
                                                                            ending: str) -> None:
    browser = app.test_client()
    assert log_in(browser, member, "correct horse").status_code == 302
    socket, watcher = _socket(app, browser), _socket(app, app.test_client())
    _team_notice(services, "Blue", "before")
    assert _notices(socket) == ["before"]
    if ending == "logout":
        page = browser.get("/challenges").get_data(as_text=True)
        assert browser.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 302
    else:
        with services.database.session() as session:
            team = session.scalar(select(Team).where(Team.name == "Blue"))
            if ending == "team disabled":
                organizer.set_team_disabled(session, team.id, True, "test")
            else:
                organizer.reset_member_password(session, team.members[0].id, "test")
        if ending == "team disabled":
            with services.database.session() as session:
                organizer.set_team_disabled(session, team.id, False, "test")
    _team_notice(services, "Blue", "after")
    assert _notices(socket) == []
    assert watcher.is_connected("/live")  # observers are not touched
