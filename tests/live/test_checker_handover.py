"""One checker runner per drill: of two ``drill checker`` processes one leads; kill -9 it and the
other takes over within a round, and the rounds go on."""
from __future__ import annotations

import json
import os
import signal
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import wait_until
from livekit import ROOT

LEADS = "now runs the drill's service checks"
ROUND_SECONDS = 5


class _Accept(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"220 ready\r\n")


@pytest.fixture
def service() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.41", 0), _Accept)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _runner(srv: Any, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "drill", "checker"], cwd=ROOT,
                            env=srv.env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))


def test_killing_the_leading_runner_hands_the_rounds_to_another(server_factory: Any, make_pack: Any,
                                                                  tmp_path: Path, service: int) -> None:
    srv = server_factory(env={"DRILLBOARD_CHECKER": "0"})
    pack = make_pack({"f/flag": {"name": "Flag", "value": 10, "flags": ["DRILL{x}"]}}, {"id": "range"})
    (pack / "services.yml").write_text(yaml.safe_dump({
        "round_seconds": ROUND_SECONDS, "teams": {"Blue": "127.0.0.41"},
        "services": [{"id": "echo", "title": "Echo", "port": service, "points": 1,
                      "check": {"kind": "banner", "timeout": 2}}]}))
    srv.instance.mkdir(parents=True, exist_ok=True)
    srv.cli("load-pack", str(pack))
    srv.cli("create-team", "Blue", "--country", "KZ")
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    runners = [_runner(srv, logs[0]), _runner(srv, logs[1])]
    try:
        def round_number() -> int:
            return json.loads(srv.cli("checker", "show").stdout)["round"]

        wait_until(lambda: round_number() >= 1, timeout=60, what="the first round")
        leader = next(i for i, log in enumerate(logs) if LEADS in log.read_text())
        other = 1 - leader
        assert LEADS not in logs[other].read_text()  # exactly one leads
        os.kill(runners[leader].pid, signal.SIGKILL)
        runners[leader].wait(10)
        before = round_number()
        wait_until(lambda: LEADS in logs[other].read_text(), timeout=30, what="the other runner to take the lead")
        wait_until(lambda: round_number() > before, timeout=60, what="a round run by the new leader")
    finally:
        for process in runners:
            process.kill()
            process.wait(10)
