"""A range of real services on loopback for the defended-services tests (fixture ``loopback_range``).

Each team gets its own address in a /24 of 127.0.0.0/8 picked at random per range (127.0.0.x is
the demo's, and parallel test runs must not meet), with the demo's own servers on it
(``challenges/drill-demo/range/servers.py``): an HTTP portal with a notes API, a TCP echo, a DNS
responder and an SMTP banner. ``stop(team, service)`` makes one service refuse connections,
``start`` brings it back, ``hang`` makes it accept and never answer, ``set_mode(..., "mumble")``
answer wrongly. ``services_yml()`` writes the matching services.yml for a pack.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RANGE_DIR = ROOT / "challenges" / "drill-demo" / "range"
PORTAL_CHECKER = ROOT / "challenges" / "drill-demo" / "checkers" / "portal.py"
sys.path.insert(0, str(RANGE_DIR))
_writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # keep the pack folder clean
from servers import KINDS, MODES, DnsService, Range, SmtpService  # noqa: E402

sys.dont_write_bytecode = _writes_bytecode

__all__ = ["KINDS", "MODES", "LoopbackRange", "PORTAL_CHECKER", "DEFAULT_LAYOUT", "free_subnet"]

# service name -> (server kind, port): one of each kind, on ports no other test listens on.
DEFAULT_LAYOUT = {"portal": ("http", 8080), "echo": ("echo", 7007), "dns": ("dns", 5353), "mail": ("smtp", 2525)}
# What a built-in check of each server kind expects, in services.yml's terms.
CHECKS: dict[str, dict[str, Any]] = {
    "http": {"kind": "http", "path": "/", "status": 200, "body_regex": "NWA customer portal"},
    "echo": {"kind": "tcp"},
    "dns": {"kind": "dns", "query": "portal.nwa.example", "type": "A", "answer": DnsService.RECORDS["portal.nwa.example."]},
    "smtp": {"kind": "banner", "expect": f"^220 {SmtpService.NAME}"},
}


def free_subnet() -> str:
    """``127.A.B.`` with a random A in 100–199: one of 25,600 /24s, so ranges of parallel tests
    (and the demo's 127.0.0.x) do not share an address."""
    return f"127.{random.randrange(100, 200)}.{random.randrange(256)}."


class LoopbackRange(Range):
    """The demo's servers for ``teams``, team i on ``127.A.B.(i+1)``; ``start`` raises if a port is taken."""

    def __init__(self, teams: list[str], layout: dict[str, tuple[str, int]] | None = None,
                 prefix: str | None = None) -> None:
        prefix = prefix or free_subnet()
        super().__init__({team: f"{prefix}{i + 1}" for i, team in enumerate(teams)}, layout or DEFAULT_LAYOUT)

    def start(self, team: str | None = None, service: str | None = None) -> dict[tuple[str, str], OSError]:
        failed = super().start(team, service)
        if failed:
            (who, what), err = next(iter(failed.items()))
            self.close()
            raise OSError(f"the range could not start {what} of {who}: {err}")
        return failed

    def host(self, team: str) -> str:
        return self.hosts[team]

    def port(self, service: str) -> int:
        return self.layout[service][1]

    def services_yml(self, round_seconds: int = 5, checker: dict[str, str] | None = None,
                     points: int = 1) -> dict[str, Any]:
        """services.yml for this range: each service checked by the built-in check of its kind
        (``checker`` maps a service to a Hackerdom checker's path in the pack instead, with put and
        get: the portal's checker, ``PORTAL_CHECKER``, stores a flag and reads it back)."""
        checker = checker or {}
        services = [{"id": name, "title": name.title(), "port": port, "points": points,
                     "check": {"kind": "checker", "path": checker[name], "put": True} if name in checker
                     else CHECKS[kind]}
                    for name, (kind, port) in self.layout.items()]
        return {"round_seconds": round_seconds, "services": services, "teams": dict(self.hosts)}
