"""Password and join-code guessing is slowed down per name and address, and locks nobody out."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from helpers import csrf, login, organizer_account

from scoreboard.drill import accounts, organizer
from scoreboard.store.ratelimit import MemoryLimiter


def _member(services: Any, name: str, password: str) -> str:
    with services.database.session() as session:
        team = organizer.create_team(session, f"Team of {name}", "KZ", "test")
        accounts.create_member(session, team, name, password)
        return team.join_code


def _login(client: Any, name: str, password: str, address: str = "10.9.9.1") -> Any:
    return login(client, name, password, environ_base={"REMOTE_ADDR": address})


def test_guessing_one_name_from_one_address_is_slowed(app: Any, services: Any) -> None:
    _member(services, "alice", "correct horse")
    client = app.test_client()
    for _ in range(10):
        assert _login(client, "alice", "guess", address="10.0.0.1").status_code == 401
    slowed = _login(client, "alice", "correct horse", address="10.0.0.1")
    assert slowed.status_code == 429
    assert "Too many failed logins; try again in" in slowed.get_data(as_text=True)
    # A padded, differently cased spelling is the same name.
    assert _login(client, "  ALICE ", "guess", address="10.0.0.1").status_code == 429


def test_the_owner_of_a_guessed_name_logs_in_from_elsewhere(app: Any, services: Any) -> None:
    _member(services, "alice", "correct horse")
    client = app.test_client()
    for _ in range(10):
        _login(client, "alice", "guess", address="10.0.0.1")
    assert _login(app.test_client(), "alice", "correct horse", address="10.0.0.2").status_code == 302


def test_the_organizer_is_never_locked_out_from_a_teams_address(app: Any, services: Any) -> None:
    password = organizer_account(services, "chief")
    _member(services, "bob", "battery staple")
    client = app.test_client()
    for i in range(60):  # a team behind one NAT address sprays names
        _login(client, f"nobody{i}", "guess", address="10.1.1.1")
    assert _login(client, "bob", "battery staple", address="10.1.1.1").status_code == 429  # the address is slowed
    for _ in range(3):
        _login(client, "chief", "guess", address="10.1.1.1")
    assert _login(app.test_client(), "chief", password, address="10.1.1.1").status_code == 302


def test_a_shared_address_is_not_locked_by_one_teammates_typos(app: Any, services: Any) -> None:
    _member(services, "alice", "correct horse")
    _member(services, "bob", "battery staple")
    client = app.test_client()
    for _ in range(10):
        _login(client, "alice", "typo", address="10.1.1.1")
    assert _login(client, "bob", "battery staple", address="10.1.1.1").status_code == 302


def test_racing_wrong_passwords_do_not_slip_under_the_limit(app: Any, services: Any) -> None:
    organizer_account(services, "chief")

    def guess(i: int) -> int:
        return _login(app.test_client(), "chief", f"guess-{i}", address="10.2.2.2").status_code

    with ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(guess, range(30)))
    assert codes.count(401) == 10 and codes.count(429) == 20, codes


def test_guessing_join_codes_is_slowed_per_address(app: Any, services: Any) -> None:
    code = _member(services, "alice", "correct horse")
    client = app.test_client()

    def join(join_code: str, name: str, address: str) -> Any:
        return client.post("/join", environ_base={"REMOTE_ADDR": address}, data={
            "csrf_token": csrf(client, "/join"), "join_code": join_code, "name": name,
            "password": "password123", "confirm": "password123"})

    # An address gets five times the per-name allowance: a whole team may share one NAT address.
    for attempt in range(50):
        assert join(f"wrong-{attempt}", "mallory", "10.6.6.6").status_code == 400
    blocked = join(code, "mallory", "10.6.6.6")
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    assert join(code, "carol", "10.7.7.7").status_code == 302  # someone else joins normally


def test_a_window_slides_one_more_try_at_a_time() -> None:
    window = MemoryLimiter(limit=3, window=60)
    taken = [window.acquire("k", now=t)[0] for t in (0, 10, 20)]
    assert all(taken)
    assert window.acquire("k", now=30) == (None, 30)  # the oldest ages out at 60
    assert window.acquire("k", now=61)[0] is not None  # one more, not three
    assert window.acquire("k", now=62)[0] is None
    window.release("k", taken[1])  # a slot handed back (the guess was right) frees at once
    assert window.acquire("k", now=63)[0] is not None
