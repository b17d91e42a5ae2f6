"""The case file, read once, and the few helpers every generator shares.

Every artefact is a pure function of ``case.yml``: randomness comes from a generator seeded
with the case's seed and the artefact's name, so each artefact is the same bytes on every
run and adding an artefact never changes another one.
"""
from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CASE: dict[str, Any] = yaml.safe_load((HERE / "case.yml").read_text(encoding="utf-8"))
LOCAL = timezone(timedelta(hours=5))


def rng(name: str) -> random.Random:
    """A random generator of its own for one artefact (stable whatever else is built)."""
    digest = hashlib.sha256(f"{CASE['seed']}:{name}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def at(event: str) -> datetime:
    """The UTC time of a named event of the case file."""
    return when(CASE["events"][event])


def when(text: str) -> datetime:
    """An ISO 8601 time of the case file (always with its zone) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def iso(moment: datetime) -> str:
    """UTC, to the second, with a Z: how the case file and most artefacts write time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def person(role: str) -> dict[str, Any]:
    """The case file's entry for one person, by id."""
    return next(p for p in CASE["people"] if p["id"] == role)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
