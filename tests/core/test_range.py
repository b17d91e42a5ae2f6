"""The loopback range (tests/range.py, the demo's servers) and the demo portal's Hackerdom checker.

What a check of a defended service would see: each team's services answer on the team's own
address; one stopped service refuses connections while every other keeps answering; a hung one
accepts and never answers; a mumbling one answers wrongly; the checker turns each into its exit
status as ForcAD reads it.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from typing import Any

import dnslib
import pytest
import requests
from range import PORTAL_CHECKER, LoopbackRange

TEAMS = ["Team A", "Team B"]


def http(rng: Any, team: str, path: str = "/", note: dict[str, str] | None = None) -> requests.Response:
    url = f"http://{rng.host(team)}:{rng.port('portal')}{path}"
    session = requests.Session()
    session.trust_env = False  # no proxy between the test and the range
    return session.post(url, json=note, timeout=5) if note else session.get(url, timeout=5)


def greeting(rng: Any, team: str, timeout: float = 5) -> bytes:
    with socket.create_connection((rng.host(team), rng.port("mail")), timeout=timeout) as sock:
        return sock.recv(200)


def echo(rng: Any, team: str, line: bytes) -> bytes:
    with socket.create_connection((rng.host(team), rng.port("echo")), timeout=5) as sock:
        sock.sendall(line + b"\n")
        return sock.makefile("rb").readline()


def resolve(rng: Any, team: str, name: str, timeout: float = 5) -> dnslib.DNSRecord:
    answer = dnslib.DNSRecord.question(name).send(rng.host(team), rng.port("dns"), timeout=timeout)
    return dnslib.DNSRecord.parse(answer)


def refused(rng: Any, team: str, service: str) -> bool:
    try:
        socket.create_connection((rng.host(team), rng.port(service)), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def checker(*args: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, str(PORTAL_CHECKER), *args], capture_output=True, text=True, timeout=30)
    return done.returncode, done.stdout.strip(), done.stderr.strip()


def test_every_kind_of_service_answers_on_each_teams_own_address(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    assert len(set(rng.hosts.values())) == 2 and all(h.startswith("127.") for h in rng.hosts.values())
    for team in TEAMS:
        assert "NWA customer portal" in http(rng, team).text
        assert greeting(rng, team).startswith(b"220 mail.nwa.example ESMTP")
        assert echo(rng, team, b"ping 42") == b"ping 42\n"
        record = resolve(rng, team, "portal.nwa.example")
        assert [str(rr.rdata) for rr in record.rr] == ["192.0.2.10"]
        assert resolve(rng, team, "nothing.nwa.example").header.rcode == dnslib.RCODE.NXDOMAIN


def test_the_portal_keeps_each_teams_notes_apart(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    assert http(rng, "Team A", "/api/notes", {"id": "n1", "note": "FLAG{a}"}).status_code == 201
    assert http(rng, "Team A", "/api/notes/n1").json() == {"id": "n1", "note": "FLAG{a}"}
    assert http(rng, "Team B", "/api/notes/n1").status_code == 404
    assert http(rng, "Team A", "/api/notes", {"id": "a/b", "note": "x"}).status_code == 400


def test_stopping_one_service_leaves_every_other_answering_and_start_brings_it_back(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    http(rng, "Team A", "/api/notes", {"id": "kept", "note": "FLAG{kept}"})
    rng.stop("Team A", "portal")
    assert rng.state("Team A", "portal") == "down"
    assert refused(rng, "Team A", "portal")
    assert http(rng, "Team B", "/").status_code == 200
    assert greeting(rng, "Team A").startswith(b"220 ")
    rng.start("Team A", "portal")
    assert rng.state("Team A", "portal") == "up"
    assert http(rng, "Team A", "/api/notes/kept").json()["note"] == "FLAG{kept}"  # stored data survives


def test_a_service_stopping_under_checks_never_lets_one_in_without_an_answer(loopback_range: Any) -> None:
    """A check connecting while the service stops finds it up (a whole greeting) or down (refused,
    reset): never let in and closed without a word, which a check would call a mumble."""
    rng = loopback_range(TEAMS)
    seen: dict[str, int] = {"greeted": 0, "refused": 0, "silent": 0}
    stopping = threading.Event()

    def check() -> None:
        while not stopping.is_set():
            try:
                said = greeting(rng, "Team A", timeout=2)
            except OSError:
                seen["refused"] += 1
                continue
            seen["greeted" if said.startswith(b"220 ") else "silent"] += 1

    for _ in range(5):
        stopping.clear()
        checking = threading.Thread(target=check)
        checking.start()
        time.sleep(0.05)  # checks under way when the stop comes
        rng.stop("Team A", "mail")
        time.sleep(0.05)
        stopping.set()
        checking.join()
        rng.start("Team A", "mail")
    assert seen["silent"] == 0, seen
    assert seen["greeted"] and seen["refused"], seen


def test_a_hung_service_accepts_and_never_answers_until_released(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    rng.hang("Team A", "mail")
    with socket.create_connection((rng.host("Team A"), rng.port("mail")), timeout=0.5) as held:
        with pytest.raises(TimeoutError):
            held.recv(200)
        assert greeting(rng, "Team B").startswith(b"220 ")
        rng.set_mode("Team A", "mail", "up")
        held.settimeout(5)
        assert held.recv(200).startswith(b"220 ")


def test_a_hung_service_that_is_stopped_cuts_its_waiting_clients(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    rng.hang("Team A", "portal")
    with socket.create_connection((rng.host("Team A"), rng.port("portal")), timeout=5) as held:
        held.sendall(b"GET / HTTP/1.0\r\n\r\n")
        rng.stop("Team A", "portal")
        try:
            assert held.recv(200) == b""
        except ConnectionResetError:
            pass
    rng.start("Team A", "portal")  # back up, and answering again: a start clears the hang
    assert http(rng, "Team A").status_code == 200


def test_a_hung_dns_responder_drops_queries(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    rng.hang("Team B", "dns")
    with pytest.raises(TimeoutError):
        resolve(rng, "Team B", "portal.nwa.example", timeout=0.5)
    assert resolve(rng, "Team A", "portal.nwa.example").rr


def test_a_mumbling_service_answers_wrongly(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    for service in rng.layout:
        rng.set_mode("Team A", service, "mumble")
    assert http(rng, "Team A").status_code == 502
    assert greeting(rng, "Team A").startswith(b"554 ")
    assert echo(rng, "Team A", b"ping") == b"ERR\n"
    assert [str(rr.rdata) for rr in resolve(rng, "Team A", "portal.nwa.example").rr] == ["192.0.2.66"]
    with pytest.raises(ValueError):
        rng.set_mode("Team A", "mail", "sideways")


def test_close_frees_every_address(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    rng.close()
    for team in TEAMS:
        assert refused(rng, team, "portal") and refused(rng, team, "mail")
        with socket.socket() as again:
            again.bind((rng.host(team), rng.port("portal")))  # nothing holds it any more


def test_a_taken_port_fails_the_start_naming_the_service() -> None:
    rng = LoopbackRange(TEAMS)
    with socket.socket() as squatter:
        squatter.bind((rng.host("Team B"), rng.port("mail")))
        squatter.listen()
        with pytest.raises(OSError, match="mail of Team B"):
            rng.start()
    assert refused(rng, "Team A", "portal")  # what had started was stopped again


def test_services_yml_names_every_service_and_team_host(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    doc = rng.services_yml(round_seconds=3, checker={"portal": "checkers/portal.py"})
    assert doc["round_seconds"] == 3 and doc["teams"] == rng.hosts
    by_id = {s["id"]: s for s in doc["services"]}
    assert by_id["portal"]["check"] == {"kind": "checker", "path": "checkers/portal.py", "put": True}
    assert {by_id[s]["check"]["kind"] for s in ("echo", "dns", "mail")} == {"tcp", "dns", "banner"}
    assert all(s["port"] == rng.port(s["id"]) for s in doc["services"])


def test_the_portal_checker_speaks_hackerdoms_protocol(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    host = rng.host("Team A")
    assert checker("check", host)[0] == 101
    status, flag_id, _ = checker("put", host, "3f2a", "FLAG{portal}", "1")
    assert (status, flag_id) == (101, "3f2a")  # the flag id ForcAD passes back to get
    assert checker("get", host, flag_id, "FLAG{portal}", "1")[0] == 101
    assert checker("get", host, flag_id, "FLAG{other}", "1")[:2] == (102, "A stored note was changed")
    assert checker("get", rng.host("Team B"), flag_id, "FLAG{portal}", "1")[:2] == (102, "A stored note is missing")
    rng.set_mode("Team A", "portal", "corrupt")
    assert checker("get", host, flag_id, "FLAG{portal}", "1")[0] == 102
    rng.set_mode("Team A", "portal", "mumble")
    assert checker("check", host)[:2] == (103, "Portal front page is wrong")
    assert checker("put", host, "x", "FLAG{y}", "1")[0] == 103
    rng.stop("Team A", "portal")
    status, public, private = checker("check", host)
    assert (status, public) == (104, "Portal is unreachable") and "refused" in private
    assert checker("frobnicate", host)[0] == 110
    assert checker("get", host)[0] == 110


def test_the_checker_says_down_when_the_portal_hangs(loopback_range: Any) -> None:
    rng = loopback_range(TEAMS)
    rng.hang("Team B", "portal")
    status, public, private = checker("check", rng.host("Team B"))
    assert (status, public) == (104, "Portal is unreachable") and "timed out" in private

