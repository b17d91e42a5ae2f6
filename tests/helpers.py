"""Helpers every suite shares (importable as ``helpers``: tests/ is on the path through its conftest).

The CSRF token of a page, logging in through the form (test client or browser), loading a pack
into the app's database, waiting on a condition instead of sleeping a fixed time, and what keeps
pytest-xdist workers apart (their number, their own ports).
"""
from __future__ import annotations

import itertools
import os
import random
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import expect
from requests.adapters import HTTPAdapter

PASSWORD = "correct horse battery"
# Ports for the servers tests start: below the kernel's ephemeral range (32768-60999 on Linux), which
# bind(0) and outgoing connections draw from, cut into one slice per pytest-xdist worker.
_PORTS, _PORT_SLICES = range(20000, 32000), 16
_SLICE = len(_PORTS) // _PORT_SLICES
_port_steps = itertools.count(random.randrange(_SLICE))  # from a random place: two runs on one machine seldom meet
_CSRF = (re.compile(r'name="csrf_token" value="([^"]+)"'), re.compile(r'<meta name="csrf-token" content="([^"]+)"'))


def csrf_from(html: str) -> str:
    """The CSRF token of a page: its form's hidden field, else the ``csrf-token`` meta tag."""
    for pattern in _CSRF:
        match = pattern.search(html)
        if match:
            return match.group(1)
    raise AssertionError("no CSRF token in the page")


def csrf(client: Any, path: str = "/login") -> str:
    """The CSRF token of the page at ``path``, read through a Flask test client."""
    return csrf_from(client.get(path).get_data(as_text=True))


def login(client: Any, name: str, password: str = PASSWORD, **options: Any) -> Any:
    """Log a test client in through the login form; ``options`` go to ``client.post``."""
    return client.post("/login", data={"csrf_token": csrf(client), "name": name, "password": password}, **options)


def logged_in(app: Any, name: str, password: str = PASSWORD) -> tuple[Any, str]:
    """A fresh test client logged in through the form, with its session's CSRF token."""
    client = app.test_client()
    token = csrf(client)
    client.post("/login", data={"csrf_token": token, "name": name, "password": password})
    return client, token


def organizer_account(services: Any, name: str = "chief") -> str:
    """An organizer account (role ``admin``) in the app's database; returns its password."""
    from scoreboard.drill import accounts

    with services.database.session() as session:
        return accounts.create_admin(session, name)[1]


def load_pack(services: Any, path: Path, **options: Any) -> Any:
    """Load a pack folder or zip into the app's database, as ``drill load-pack`` does; the diff."""
    from scoreboard import packs

    with services.database.session() as session:
        return packs.load(session, path, services.settings.files_dir, **options)


def browser_login(page: Any, base: str, name: str, password: str = PASSWORD) -> None:
    """Log a playwright page in through the login form, and wait until the login is done (the page
    has left /login): a ``goto`` straight after the click could cancel the form's POST."""
    page.goto(base + "/login")
    page.locator("main input[name=name]").fill(name)
    page.locator("main input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login(\?|$)"), timeout=10_000)


def eventually(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 3.0) -> Any:
    """What ``read`` returns once ``done`` holds (or, at the deadline, its last value for the assert)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "the condition") -> Any:
    """Poll ``condition`` until it is truthy and return its value; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class FreshConnections(HTTPAdapter):
    """A ``requests`` adapter that sends every request on a new connection."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.poolmanager.clear()  # the idle connections are closed here, by the client, not reused
        return super().send(request, **kwargs)


def http_session() -> requests.Session:
    """A ``requests`` session that sends every request on a new connection.

    The servers under test close a keep-alive connection left idle for their header deadline
    (10 s). A test that pauses about that long (a browser flow, a wait for events) would send its
    next request on a connection the server is closing at that moment and lose it ("Remote end
    closed connection without response"); browsers send such a request again, ``requests`` does not.
    (A ``Connection: close`` header is no cure: ``requests`` may still send the next request on
    the connection the server is about to close: 13 requests of 3,000 here.)
    """
    http = requests.Session()
    for scheme in ("http://", "https://"):
        http.mount(scheme, FreshConnections())
    return http


def http_login(base_url: str, name: str, password: str = PASSWORD) -> tuple[Any, Any]:
    """A ``requests`` session logged in to a running server through the form, with the login's response."""
    http = http_session()
    page = http.get(base_url + "/login", timeout=10)
    response = http.post(base_url + "/login", data={"csrf_token": csrf_from(page.text), "name": name,
                                                    "password": password}, allow_redirects=False, timeout=10)
    return http, response


def worker_number() -> int:
    """This pytest-xdist worker's number (``gw2`` is 2; 0 without xdist): what keeps workers' ports,
    databases and Redis dbs apart."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def free_port() -> int:
    """A loopback port nobody listens on, for a server this test starts.

    Not the kernel's pick (``bind(0)``): two workers' picks may coincide before either server
    binds, and the loser's readiness check then reaches the winner's server. Each worker walks its
    own slice of ``_PORTS`` instead, skipping ports that are taken."""
    first = _PORTS.start + worker_number() % _PORT_SLICES * _SLICE
    for _ in range(_SLICE):
        port = first + next(_port_steps) % _SLICE
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise AssertionError(f"no free port in {first}..{first + _SLICE - 1}")


def drop_first(dropped: list[str]) -> Callable[[Any], None]:
    """A Playwright route handler: the first request it sees is cut as a dropped connection would
    be (its address noted in ``dropped``), every later one goes through."""

    def handle(route: Any) -> None:
        if dropped:
            route.continue_()
        else:
            dropped.append(route.request.url)
            route.abort("connectionreset")

    return handle
