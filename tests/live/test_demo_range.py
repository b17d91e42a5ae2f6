"""``python app.py`` with the demo drill starts the demo's range beside it, and ends it with itself.

The range binds 127.0.0.2–11 (services.yml); a parallel test's server may hold them already, so
these tests watch the range's process rather than its ports.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import wait_until

LAUNCH = Path(__file__).resolve().parents[2] / "challenges" / "drill-demo" / "range" / "launch.py"


def ranges_of(pid: int) -> list[int]:
    """Child processes of ``pid`` running the demo's range script."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    found = []
    for child in children:
        try:
            if str(LAUNCH) in Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0"):
                found.append(int(child))
        except OSError:
            continue
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return True
    return state == "Z"


@pytest.fixture
def ranged(server_factory: Any) -> Any:
    """A demo server that runs its range (test servers leave it off unless asked)."""
    return server_factory({"DRILLBOARD_RANGE": "1"}).start()


def test_the_demo_drill_serves_its_range_until_the_server_ends(ranged: Any) -> None:
    server = ranged
    assert "Range:" in server.log.read_text()
    launcher = wait_until(lambda: ranges_of(server.process.pid), what="the range's process")[0]
    server.stop()
    wait_until(lambda: gone(launcher), what="the range to end with the server")


def test_a_server_killed_outright_takes_its_range_along(ranged: Any) -> None:
    server = ranged
    launcher = wait_until(lambda: ranges_of(server.process.pid), what="the range's process")[0]
    server.process.kill()
    server.process.wait(10)
    wait_until(lambda: gone(launcher), what="the range to end with its killed server")


def test_drillboard_range_0_leaves_the_range_off(server_factory: Any) -> None:
    srv = server_factory({"DRILLBOARD_RANGE": "0"}).start()
    assert "Range:" not in srv.log.read_text()
    assert not ranges_of(srv.process.pid)
