"""Sessions and tokens (issue #22, part 2): where a login sends you, tokens that can be revoked,
cookies that stay on TLS. Each test tries what a thief with an old token or a crafted link would.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from scoreboard.drill import accounts, organizer


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
    from conftest import ROOT

    assert "DRILLBOARD_SECURE_COOKIES" in (ROOT / "README.md").read_text()
    assert "DRILLBOARD_SECURE_COOKIES" in (ROOT / "docker" / "compose.yml").read_text()
