"""Grading and storing do not depend on Redis: a server keeps serving when Redis goes away, says so
in its log, and shares events and limits again when it is back; a first start without Redis still
gives the organizer a password."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers import free_port, http_login
from livekit import ANSWERS, attempt, challenge_ids, scoreboard

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


class Redis:
    """A private redis-server we may stop and start again (never the shared one)."""

    def __init__(self, port: int) -> None:
        self.port, self.process = port, None

    def start(self) -> Redis:
        self.process = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[Redis]:
    redis = Redis(free_port()).start()
    yield redis
    redis.stop()


def test_losing_redis_loses_no_submission(server_factory: Callable[..., Any], private_redis: Redis) -> None:
    server = server_factory({"DRILLBOARD_REDIS_URL": f"redis://127.0.0.1:{private_redis.port}/0"}).start().startex()
    team, headers = server.team_token("Redisless", "KZ")
    ids = challenge_ids(server.base_url, headers=headers)
    assert attempt(server.base_url, ids["Ransom Note"], "wrong", headers=headers)["result"] == "incorrect"

    private_redis.stop()
    assert attempt(server.base_url, ids["Dead Drop Note"], "wrong", headers=headers)["result"] == "incorrect"
    assert attempt(server.base_url, ids["Ransom Note"], ANSWERS["Ransom Note"], headers=headers)["result"] == "correct"
    assert requests.get(server.base_url + "/board", timeout=10).status_code == 200
    deadline = time.monotonic() + 5
    while not any(r["team_id"] == team["id"] and r["solves"] == 1 for r in scoreboard(server.base_url)["standings"]):
        assert time.monotonic() < deadline, "the board did not follow the solve without Redis"
        time.sleep(0.1)
    log = server.log.read_text()
    assert "Redis is unreachable" in log and "Traceback" not in log.split("Redis is unreachable")[0]

    private_redis.start()
    assert attempt(server.base_url, ids["Beacon Home"], ANSWERS["Beacon Home"], headers=headers)["result"] == "correct"
    server.stop()
    with server.log.open() as handle:
        assert "Redis is back" in handle.read()


def test_first_start_without_redis_still_gives_the_organizer_a_password(server_factory: Callable[..., Any],
                                                                         tmp_path: Path) -> None:
    server = server_factory({"DRILLBOARD_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}).start()
    first = server.first_run
    session, response = http_login(server.base_url, "admin", first["admin"]["password"])
    assert response.status_code == 302
    assert session.get(server.base_url + "/console/", timeout=10).status_code == 200
