"""Password and join-code guessing is slowed down per name and per address."""
from __future__ import annotations

import re
from typing import Any

from scoreboard import accounts, organizer


def _csrf(client: Any, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _member(services: Any, name: str, password: str) -> str:
    with services.database.session() as session:
        team = organizer.create_team(session, f"Team of {name}", "KZ", "test")
        accounts.create_member(session, team, name, password)
        return team.join_code


def _login(client: Any, name: str, password: str, address: str = "10.9.9.1") -> Any:
    return client.post("/login", data={"csrf_token": _csrf(client, "/login"), "name": name, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_ten_wrong_passwords_lock_that_name_for_a_while(app: Any, services: Any) -> None:
    _member(services, "alice", "correct horse")
    client = app.test_client()
    for _ in range(10):
        assert _login(client, "alice", "guess", address="10.0.0.1").status_code == 401
    # Even the right password waits now, from another address too: the name is what is guessed.
    locked = _login(client, "alice", "correct horse", address="10.0.0.2")
    assert locked.status_code == 429
    assert "Too many failed logins; try again in" in locked.get_data(as_text=True)
    # A padded, differently cased spelling is the same name.
    assert _login(client, "  ALICE ", "correct horse", address="10.0.0.3").status_code == 429


def test_other_people_are_not_locked_out(app: Any, services: Any) -> None:
    _member(services, "alice", "correct horse")
    _member(services, "bob", "battery staple")
    client = app.test_client()
    for _ in range(10):
        _login(client, "alice", "guess", address="10.0.0.1")
    assert _login(app.test_client(), "bob", "battery staple", address="10.0.0.9").status_code == 302


def test_guessing_join_codes_is_slowed_per_address(app: Any, services: Any) -> None:
    code = _member(services, "alice", "correct horse")
    client = app.test_client()

    def join(join_code: str, name: str, address: str) -> Any:
        return client.post("/join", environ_base={"REMOTE_ADDR": address}, data={
            "csrf_token": _csrf(client, "/join"), "join_code": join_code, "name": name,
            "password": "password123", "confirm": "password123"})

    # An address gets five times the per-name allowance: a whole team may share one NAT address.
    for attempt in range(50):
        assert join(f"wrong-{attempt}", "mallory", "10.6.6.6").status_code == 400
    blocked = join(code, "mallory", "10.6.6.6")
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    assert join(code, "carol", "10.7.7.7").status_code == 302  # someone else joins normally


def test_a_shared_address_is_not_locked_by_one_teammates_typos(app: Any, services: Any) -> None:
    _member(services, "alice", "correct horse")
    _member(services, "bob", "battery staple")
    client = app.test_client()
    for _ in range(10):
        _login(client, "alice", "typo", address="10.1.1.1")
    assert _login(client, "bob", "battery staple", address="10.1.1.1").status_code == 302
    for _ in range(40):
        _login(client, f"nobody{_}", "guess", address="10.1.1.1")
    assert _login(client, "bob", "battery staple", address="10.1.1.1").status_code == 429
