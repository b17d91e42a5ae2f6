"""Defended services' rules: what a check's outcome means, SLA arithmetic, and when each team is
checked within a round. No Flask, no database, no network here.

States follow Hackerdom's checker protocol (as ForcAD runs it): a checker's exit code 101 is
``up``, 102 ``corrupt`` (the service lost the data it was given), 103 ``mumble`` (it answers,
but wrongly), 104 ``down`` and 110 ``error`` (the checker itself failed: the organizers' fault,
not the team's). Built-in checks answer with the same states.
"""
from __future__ import annotations

import hashlib

UP, CORRUPT, MUMBLE, DOWN, ERROR = "up", "corrupt", "mumble", "down", "error"
STATES = (UP, CORRUPT, MUMBLE, DOWN, ERROR)
EXIT_CODES = {101: UP, 102: CORRUPT, 103: MUMBLE, 104: DOWN, 110: ERROR}
# A team is checked at a moment spread over the first half of each round (``offset``), so the
# checks of forty teams do not arrive at once; the second half is for the last of them to finish.
# (Spread over a quarter, forty teams' Python checkers asked for twice the cores of a small runner
# host at the start of every round, and timed out: bench/checks.py.)
JITTER_SHARE = 0.5
# At most this share of a round may one service's check take (its ``timeout``): jitter plus the
# slowest check still ends inside the round.
TIMEOUT_SHARE = 0.5
MIN_ROUND_SECONDS, MAX_ROUND_SECONDS = 5, 3600
MAX_MESSAGE = 1000  # a check's public message (a checker's stdout), as stored and shown
MAX_DETAIL = 4000  # its private detail (stderr, the exception), organizers only


def state_of_exit(code: int | None) -> str:
    """A checker's exit code as a state; any other code (a crash, a kill) is the checker's error."""
    return EXIT_CODES.get(code, ERROR) if code is not None else ERROR


def verdict(states: list[str]) -> str:
    """The state of a check made of several actions (check, put, get): the first that is not up,
    as ForcAD decides; up when every action was."""
    return next((state for state in states if state != UP), UP)


def sla(up: int, counted: int) -> float:
    """Rounds up over rounds run (excluded rounds count in neither). Before any round has run a
    team has missed nothing: 1.0."""
    return round(up / counted, 4) if counted else 1.0


def offset(team_id: int, round_number: int, round_seconds: float) -> float:
    """Seconds after a round's start at which ``team_id`` is checked: spread evenly over the
    first ``JITTER_SHARE`` of the round and different each round, yet the same for every runner
    (a runner that takes over mid-drill keeps the schedule)."""
    digest = hashlib.sha256(f"{team_id}:{round_number}".encode()).digest()
    fraction = int.from_bytes(digest[:4], "big") / 2**32
    return fraction * JITTER_SHARE * round_seconds


def default_timeout(round_seconds: int) -> float:
    """A check's time budget when services.yml names none: ten seconds, or what the round allows."""
    return min(10.0, round_seconds * TIMEOUT_SHARE)


def clip(text: str, limit: int) -> str:
    """Output of a check cut to what is stored (a checker may print megabytes)."""
    text = text.replace("\0", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"
