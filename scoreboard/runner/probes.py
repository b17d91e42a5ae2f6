"""The checks themselves, as they run inside a check's own process (``sandbox``): each kind turns
one team's service into ``(state, public message, private detail)``.

Built-in kinds say what they found in a few fixed English phrases (marked for translation, so a
page can show them in the reader's language) and put the specifics in the private detail. A
``checker`` is an executable in Hackerdom's protocol, run unchanged: ``check HOST``, then with
``put: true`` ``put HOST FLAG_ID FLAG VULN`` and ``get`` of the flag the service was last given;
its stdout is the public message and its stderr the private one. No Flask, no database here.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import resource
import secrets
import socket
import ssl
import string
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dnslib

from scoreboard.core import availability
from scoreboard.core.answers import compiled
from scoreboard.core.errors import N_

MAX_READ = 1024 * 1024  # what a check reads of an answer at most
USER_AGENT = "Drillboard-checker/1"
FLAG_LETTERS = string.ascii_uppercase + string.digits


@dataclass
class Found:
    state: str
    message: str = ""
    detail: str = ""
    flag_id: str | None = None
    flag: str | None = None


def probe(target: dict[str, Any], deadline: float) -> Found:
    """Check one team's service; ``deadline`` is the monotonic time by which it must answer."""
    kind = target["check"]["kind"]
    try:
        if kind == "checker":
            return run_checker(target, deadline)
        return {"tcp": _tcp, "http": _http, "dns": _dns, "banner": _banner, "smtp": _banner}[kind](target, deadline)
    except TimeoutError as err:
        return Found(availability.DOWN, N_("the service did not answer in time"), repr(err))
    except ConnectionRefusedError as err:
        return Found(availability.DOWN, N_("the connection was refused"), repr(err))
    except OSError as err:
        return Found(availability.DOWN, N_("the service cannot be reached"), repr(err))


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("no time left")
    return left


def _tcp(target: dict[str, Any], deadline: float) -> Found:
    with socket.create_connection((target["host"], target["port"]), timeout=_left(deadline)):
        return Found(availability.UP, N_("the port accepts connections"))


def _http(target: dict[str, Any], deadline: float) -> Found:
    check = target["check"]
    if check.get("tls"):
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # a range's certificates are its own
        connection: Any = http.client.HTTPSConnection(target["host"], target["port"], timeout=_left(deadline),
                                                      context=context)
    else:
        connection = http.client.HTTPConnection(target["host"], target["port"], timeout=_left(deadline))
    try:
        connection.request(check.get("method", "GET"), check.get("path", "/"), headers={"User-Agent": USER_AGENT})
        response = connection.getresponse()
        body = response.read(MAX_READ) if check.get("method") != "HEAD" else b""
    except (http.client.HTTPException, ssl.SSLError) as err:
        return Found(availability.MUMBLE, N_("the service did not speak HTTP"), repr(err))
    finally:
        connection.close()
    if response.status != check.get("status", 200):
        return Found(availability.MUMBLE, N_("the service answered with an unexpected HTTP status"),
                     f"HTTP {response.status}, expected {check.get('status', 200)}")
    pattern = check.get("body_regex")
    if pattern and not compiled(pattern).search(body.decode("utf-8", "replace")):
        return Found(availability.MUMBLE, N_("the page does not hold what it should"),
                     f"body_regex {pattern!r} not found in {len(body)} bytes")
    return Found(availability.UP, N_("the service answers as expected"))


def _dns(target: dict[str, Any], deadline: float) -> Found:
    check = target["check"]
    question = dnslib.DNSRecord.question(check["query"], check.get("type", "A"))
    try:
        reply = dnslib.DNSRecord.parse(question.send(target["host"], target["port"], timeout=_left(deadline)))
    except dnslib.DNSError as err:
        return Found(availability.MUMBLE, N_("the service did not speak DNS"), repr(err))
    answers = [str(rr.rdata).rstrip(".") for rr in reply.rr]
    if not answers:
        return Found(availability.MUMBLE, N_("the name server gave no answer"),
                     f"{check['query']} {check.get('type', 'A')}: {dnslib.RCODE[reply.header.rcode]}")
    expected = check.get("answer")
    if expected is not None and expected.rstrip(".") not in answers:
        return Found(availability.MUMBLE, N_("the name server gave a wrong answer"),
                     f"expected {expected}, got {', '.join(answers)[:500]}")
    return Found(availability.UP, N_("the name server answers as expected"))


def _banner(target: dict[str, Any], deadline: float) -> Found:
    with socket.create_connection((target["host"], target["port"]), timeout=_left(deadline)) as sock:
        sock.settimeout(_left(deadline))
        greeting = b""
        while b"\n" not in greeting and len(greeting) < 4096:
            chunk = sock.recv(1024)
            if not chunk:
                break
            greeting += chunk
    line = greeting.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    if not line:
        return Found(availability.MUMBLE, N_("the service sent no greeting"), "connection closed without a line")
    if not compiled(target["check"].get("expect", ".")).search(line):
        return Found(availability.MUMBLE, N_("the service greeted wrongly"), f"greeting {line[:300]!r}")
    return Found(availability.UP, N_("the service greets as expected"))


# --- checkers in Hackerdom's protocol ------------------------------------------------------------


def new_flag() -> tuple[str, str]:
    """A flag id and a flag as ForcAD makes them: ten lowercase letters; 31 capitals or digits and '='."""
    flag_id = "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
    return flag_id, "".join(secrets.choice(FLAG_LETTERS) for _ in range(31)) + "="


def vuln_of(flag: str, vulns: int) -> int:
    """Which of the service's ``vulns`` places a flag goes to: the same for its put and its get."""
    return int(hashlib.sha256(flag.encode()).hexdigest(), 16) % vulns + 1


def run_checker(target: dict[str, Any], deadline: float) -> Found:
    check, host = target["check"], target["host"]
    entry = Path(target["checker"])
    argv = [str(entry)] if entry.read_bytes()[:2] == b"#!" else [sys.executable, str(entry)]
    memory = int(check.get("memory_mb", 256)) * 1024 * 1024
    act = _Action(argv, entry.parent, memory, deadline)
    found = act("check", host)
    if found.state != availability.UP or not check.get("put"):
        return found
    flag_id, flag = new_flag()
    put = act("put", host, flag_id, flag, str(vuln_of(flag, check.get("vulns", 1))))
    if put.state != availability.UP:
        return put
    old_id, old_flag = target.get("flag_id") or flag_id, target.get("flag") or flag
    got = act("get", host, old_id, old_flag, str(vuln_of(old_flag, check.get("vulns", 1))))
    got.flag_id, got.flag = flag_id, flag
    if got.state == availability.UP:
        got.message, got.detail = found.message or got.message, "\n".join(filter(None, (found.detail, got.detail)))
    return got


class _Action:
    """One checker action within the memory limit, in the check's process group (``sandbox``
    kills the group, so nothing a checker starts outlives the check), stopped at the deadline."""

    def __init__(self, argv: list[str], folder: Path, memory: int, deadline: float) -> None:
        self.argv, self.folder, self.memory, self.deadline = argv, folder, memory, deadline
        # Only what a checker needs: never the drill's secret key or database address.
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(folder),
                    "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}

    def _limits(self) -> None:
        resource.setrlimit(resource.RLIMIT_AS, (self.memory, self.memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def __call__(self, *args: str) -> Found:
        left = self.deadline - time.monotonic()
        if left <= 0:
            return Found(availability.DOWN, N_("the service did not answer in time"), f"no time left for {args[0]}")
        process = subprocess.Popen([*self.argv, *args], cwd=self.folder, env=self.env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   preexec_fn=self._limits)  # noqa: PLW1509 - this process runs no threads
        try:
            out, err = process.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            process.kill()  # what it started may hold its pipes: the sandbox kills the group next
            return Found(availability.DOWN, N_("the service did not answer in time"),
                         f"checker {args[0]} killed after {left:.1f} s")
        text = out[:MAX_READ].decode("utf-8", "replace").strip()
        detail = err[:MAX_READ].decode("utf-8", "replace").strip()
        return Found(availability.state_of_exit(process.returncode), text,
                     f"{args[0]}: exit {process.returncode}" + (f"\n{detail}" if detail else ""))
