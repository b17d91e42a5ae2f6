"""Fixtures for the Live suite (Socket.IO and browser tests against a real ``python app.py``).

Starting a server costs seconds, so tests that only add solves of their own (their own teams
and challenges, expectations read from the API) share one server per module
(``shared_server``); tests that change the clock get a fresh ``server``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

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
