"""The demo's range launcher (challenges/drill-demo/range/launch.py) and pack.yml's ``range``.

An organizer takes one team's service down from the command line while the range serves, and
brings it back; the range ends with the server that started it, however that server ends.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from helpers import wait_until
from range import LoopbackRange

from scoreboard.packs import range_launcher
from scoreboard.packs.problems import PackError

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ROOT / "challenges" / "drill-demo" / "range" / "launch.py"
TEAMS = ["Team A", "Team B"]


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


def launch(control: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(LAUNCH), "--control", str(control), *args], capture_output=True,
                          text=True, timeout=30)


@pytest.fixture
def served(tmp_path: Path) -> Any:
    """launch.py serving a services.yml of two teams on a fresh 127.A.B.x subnet, as app.py starts it."""
    plan = LoopbackRange(TEAMS, {"portal": ("http", 8080), "mail": ("smtp", 2525)})  # only its hosts are used
    services = plan.services_yml(checker={"portal": "checkers/portal.py"})
    (tmp_path / "services.yml").write_text(yaml.safe_dump(services))
    control = tmp_path / "instance" / range_launcher.CONTROL_FILE
    process = subprocess.Popen([sys.executable, str(LAUNCH), "--control", str(control), "serve", "--services",
                                str(tmp_path / "services.yml"), "--watch-stdin"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_until(lambda: control.with_name("range-status.json").exists(), what="the range to start")
    yield plan, control, process
    range_launcher.stop(process)


def test_an_organizer_takes_one_service_down_and_brings_it_back(served: Any) -> None:
    plan, control, _ = served
    a, b = plan.host("Team A"), plan.host("Team B")
    assert answers(a, 8080) and answers(b, 8080) and answers(a, 2525)
    done = launch(control, "stop", "Team A", "portal")
    assert done.returncode == 0 and "Team A: portal" in done.stdout and "down" in done.stdout
    wait_until(lambda: not answers(a, 8080), what="Team A's portal to go down")
    assert answers(b, 8080) and answers(a, 2525)
    assert "portal down" in launch(control, "status").stdout
    assert launch(control, "start", "Team A", "portal").returncode == 0
    wait_until(lambda: answers(a, 8080), what="Team A's portal to come back")


def test_a_hung_service_is_told_apart_from_a_stopped_one(served: Any) -> None:
    plan, control, _ = served
    assert launch(control, "hang", "Team B", "mail").returncode == 0
    host = plan.host("Team B")

    def silent() -> bool:
        with socket.create_connection((host, 2525), timeout=0.3) as sock:
            try:
                return not sock.recv(100)
            except TimeoutError:
                return True

    wait_until(silent, what="Team B's mail to hang")
    assert launch(control, "start", "Team B", "mail").returncode == 0
    wait_until(lambda: not silent(), what="Team B's mail to answer again")


def test_an_unknown_team_or_service_is_refused_naming_the_known_ones(served: Any) -> None:
    _, control, _ = served
    done = launch(control, "stop", "Team Z", "portal")
    assert done.returncode == 2 and "Team A, Team B" in done.stderr and "portal, mail" in done.stderr
    assert not control.exists()  # nothing was recorded


def test_without_a_running_range_a_command_says_so(tmp_path: Path) -> None:
    done = launch(tmp_path / "range-control.json", "stop", "Team A", "portal")
    assert done.returncode == 1 and "No range is running" in done.stderr


def test_the_range_ends_with_the_process_that_holds_its_pipe(served: Any) -> None:
    plan, control, process = served
    process.stdin.close()  # what the server's death does to the pipe
    assert process.wait(15) == 0
    assert not answers(plan.host("Team A"), 8080)
    assert not control.with_name("range-status.json").exists()


def test_the_range_stops_on_sigterm(served: Any) -> None:
    plan, _, process = served
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(15) == 0
    assert not answers(plan.host("Team B"), 2525)


def test_what_a_portal_stored_survives_a_restart_of_the_range(served: Any, tmp_path: Path) -> None:
    """The checks get last round's flag back from the portal: a range restarted with the server
    (a new release, a moved machine) kept it, as a real service's database would, and no team
    is found CORRUPT for the platform's own restart."""
    plan, control, process = served
    portal = f"http://{plan.host('Team A')}:8080/api/notes"
    stored = requests.post(portal, json={"id": "round-7", "note": "DRILL{kept}"}, timeout=5)
    assert stored.status_code in (200, 201)
    range_launcher.stop(process)
    assert process.returncode == 0
    again = subprocess.Popen([sys.executable, str(LAUNCH), "--control", str(control), "serve", "--services",
                              str(tmp_path / "services.yml"), "--watch-stdin"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: control.with_name("range-status.json").exists(), what="the range to start again")
        kept = requests.get(portal + "/round-7", timeout=5)
        assert kept.status_code == 200 and kept.json()["note"] == "DRILL{kept}"
        assert requests.get(portal + "/round-8", timeout=5).status_code == 404
    finally:
        range_launcher.stop(again)


def test_a_notes_file_not_of_the_ranges_shape_is_said_and_left_aside(tmp_path: Path) -> None:
    plan = LoopbackRange(TEAMS, {"portal": ("http", 8080)})
    (tmp_path / "services.yml").write_text(yaml.safe_dump(plan.services_yml(checker={"portal": "checkers/portal.py"})))
    control = tmp_path / "instance" / range_launcher.CONTROL_FILE
    control.parent.mkdir(parents=True)
    control.with_name("range-notes.json").write_text('{"Team A": ["not", "a", "service map"]}')
    process = subprocess.Popen([sys.executable, str(LAUNCH), "--control", str(control), "serve", "--services",
                                str(tmp_path / "services.yml"), "--watch-stdin"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: control.with_name("range-status.json").exists(), what="the range to start")
        assert answers(plan.host("Team A"), 8080)
    finally:
        range_launcher.stop(process)
    assert "is not a notes file of the range; the portals start empty" in process.stdout.read()


def test_a_range_started_by_the_server_leaves_ctrl_c_to_the_server(served: Any) -> None:
    """Ctrl-C in the server's terminal reaches the range too; the server stops it after its
    checker, so a check never finds the range gone before the checker stopped."""
    plan, _, process = served
    os.kill(process.pid, signal.SIGINT)
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(2)
    assert answers(plan.host("Team A"), 8080)


def test_pack_yml_range_must_name_a_script_inside_the_pack(make_pack: Any) -> None:
    from scoreboard.packs import read_folder

    challenge = {"one": {"name": "One", "category": "c", "description": "d", "value": 10, "flags": ["x"]}}
    for value, message in (("../outside.py", "lies outside the pack"), ("range/none.py", "is not a file"),
                           (7, "must be the path of a script")):
        with pytest.raises(PackError, match=message):
            read_folder(make_pack(challenge, {"id": "p", "range": value}))
    folder = make_pack(challenge, {"id": "p", "range": "range/go.py"}, files={"range/go.py": "print()"})
    assert read_folder(folder, strict=True).id == "p"
    assert range_launcher.script_of(folder) == ("p", (folder / "range" / "go.py").resolve())


def test_the_demo_pack_names_its_range_and_its_services_file() -> None:
    pack_id, script = range_launcher.script_of(ROOT / "challenges" / "drill-demo")
    assert pack_id == "drill-demo" and script == LAUNCH
    services = yaml.safe_load((ROOT / "challenges" / "drill-demo" / "services.yml").read_text())
    assert [s["id"] for s in services["services"]] == ["portal", "mail"]
    teams = [line.split(",")[0] for line in (ROOT / "challenges" / "sample-teams.csv").read_text().splitlines()[1:]]
    assert list(services["teams"]) == teams
    assert len(set(services["teams"].values())) == len(teams)
