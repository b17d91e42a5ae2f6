"""Fixtures for the Live suite (Socket.IO and browser tests against a real ``python app.py``).

Starting a server costs seconds, so tests that only add solves of their own (their own teams
and challenges, expectations read from the API) share one server per module
(``shared_server``); tests that change the clock get a fresh ``server``.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from livekit import LiveClient

ROOT_CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"


def _server_class() -> type:
    """``Server`` from tests/conftest.py (both conftest modules are named ``conftest``)."""
    spec = importlib.util.spec_from_file_location("_drillboard_tests_conftest", ROOT_CONFTEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Server


Server = _server_class()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One demo-seeded server for a whole module; tests using it only add their own solves."""
    srv = Server(tmp_path_factory.mktemp("live-shared") / "server-instance").start()
    yield srv
    srv.stop()


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
