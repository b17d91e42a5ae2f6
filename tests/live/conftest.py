"""Fixtures for the Live suite (Socket.IO and browser tests against a real ``python app.py``)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from livekit import LiveClient


@pytest.fixture
def live() -> Iterator[Callable[..., LiveClient]]:
    """Open /live sockets (``live(base_url, cookie=None, label=...)``); all are closed afterwards."""
    clients: list[LiveClient] = []

    def connect(base_url: str, cookie: str | None = None, label: str = "observer") -> LiveClient:
        client = LiveClient(base_url, cookie=cookie, label=label)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


@pytest.fixture
def join_codes(server: Any) -> dict[str, str]:
    """Seeded team name -> join code (from the server's first-run.json)."""
    return {team["name"]: team["join_code"] for team in server.first_run["teams"]}
