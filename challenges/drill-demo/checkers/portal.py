#!/usr/bin/env python3
"""Checker of the NWA customer portal, in Hackerdom's checker protocol (the one ForcAD runs).

    portal.py check HOST                     is the portal up and itself?
    portal.py put HOST FLAG_ID FLAG VULN     store FLAG as a note; prints the flag id for get
    portal.py get HOST FLAG_ID FLAG VULN     is FLAG still there under FLAG_ID?

Exit status: 101 OK, 102 CORRUPT (the flag is gone or changed), 103 MUMBLE (the service answers
wrongly), 104 DOWN (no connection, or a timeout), 110 CHECK FAILED (the checker itself broke).
The public message (shown to teams) is on stdout, the private one (for organizers) on stderr.
``put`` prints the id the note is stored under: ForcAD's default ("hackerdom") checkers return
it that way and get it back as FLAG_ID; it is the FLAG_ID it was given, so an engine that keeps
its own id works too. Stdlib only, so any Python 3 runs it unchanged; the portal listens on
``PORT`` of every team's host, as in a real attack-defense game.
"""
from __future__ import annotations

import json
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, NoReturn

PORT = 8080
TIMEOUT = 3  # seconds per request: well inside a 10 s round
OK, CORRUPT, MUMBLE, DOWN, CHECK_FAILED = 101, 102, 103, 104, 110
FRONT_PAGE_MARK = "NWA customer portal"
# No proxy from the environment: the checker talks to the team's host directly.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def finish(status: int, public: str = "", private: str = "") -> NoReturn:
    print(public, flush=True)
    print(private, file=sys.stderr, flush=True)
    sys.exit(status)


def request(host: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    """(status, body) of one request to the portal; DOWN when it cannot be reached in time."""
    url = f"http://{host}:{PORT}{path}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with OPENER.open(req, timeout=TIMEOUT) as response:
            return response.status, response.read(65536)
    except urllib.error.HTTPError as err:
        return err.code, err.read(65536)
    except (TimeoutError, urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        finish(DOWN, "Portal is unreachable", f"{url}: {reason}")


def check(host: str) -> NoReturn:
    status, body = request(host, "/")
    if status != 200 or FRONT_PAGE_MARK.encode() not in body:
        finish(MUMBLE, "Portal front page is wrong", f"GET / answered {status}: {body[:200]!r}")
    finish(OK)


def put(host: str, flag_id: str, flag: str, vuln: str) -> NoReturn:
    status, body = request(host, "/api/notes", {"id": flag_id, "note": flag})
    try:
        stored = json.loads(body)["id"]
    except (ValueError, KeyError, TypeError):
        stored = None
    if status != 201 or stored != flag_id:
        finish(MUMBLE, "Could not store a note", f"POST /api/notes (vuln {vuln}) answered {status}: {body[:200]!r}")
    finish(OK, flag_id)


def get(host: str, flag_id: str, flag: str, vuln: str) -> NoReturn:
    status, body = request(host, "/api/notes/" + urllib.parse.quote(flag_id, safe=""))
    if status == 404:
        finish(CORRUPT, "A stored note is missing", f"note {flag_id} (vuln {vuln}): 404")
    try:
        note = json.loads(body)["note"] if status == 200 else None
    except (ValueError, KeyError, TypeError):
        finish(MUMBLE, "Portal answers garbage", f"GET note {flag_id}: {body[:200]!r}")
    if status != 200:
        finish(MUMBLE, "Could not read a note", f"GET note {flag_id} answered {status}")
    if note != flag:
        finish(CORRUPT, "A stored note was changed", f"note {flag_id}: {note!r} is not the flag")
    finish(OK)


ACTIONS = {"check": (check, 1), "put": (put, 4), "get": (get, 4)}


def main(argv: list[str]) -> NoReturn:
    action, arity = ACTIONS.get(argv[1] if len(argv) > 1 else "", (None, 0))
    if action is None or len(argv) != 2 + arity:
        finish(CHECK_FAILED, "Checker usage error", f"usage: {argv[0]} check HOST | put|get HOST FLAG_ID FLAG VULN")
    try:
        action(*argv[2:])
    except SystemExit:
        raise
    except Exception:  # noqa: BLE001 - the checker's own bug is CHECK FAILED, never a verdict on the team
        finish(CHECK_FAILED, "Checker failed", traceback.format_exc())


if __name__ == "__main__":
    main(sys.argv)
