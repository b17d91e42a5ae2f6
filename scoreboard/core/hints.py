"""Which hints a team may read: ctfcli's hint prerequisites. Pure functions, no Flask.

A hint with ``requirements`` (other hints' keys) opens only after those are open: a paid hint
can be bought only then, a free one shows only then. A hint already bought stays readable.
"""
from __future__ import annotations

from typing import Any


def _by_key(hints: list[Any]) -> dict[str, Any]:
    return {h.key: h for h in hints if h.key is not None and not h.removed}


def readable(hints: list[Any], unlocked: set[int]) -> set[int]:
    """Ids of the hints a team can read, given the ids it has unlocked."""
    by_key = _by_key(hints)
    known: dict[int, bool] = {}

    def opened(hint: Any, path: frozenset[int]) -> bool:
        if hint.id not in known:
            if hint.id in unlocked:
                known[hint.id] = True
            elif hint.cost or hint.id in path:  # the loader refuses circles; this only guards
                known[hint.id] = False
            else:
                known[hint.id] = all(opened(by_key[k], path | {hint.id}) for k in hint.requirements or [] if k in by_key)
        return known[hint.id]

    return {h.id for h in hints if not h.removed and opened(h, frozenset())}


def required(hint: Any, hints: list[Any]) -> list[Any]:
    """The hints that must be open before ``hint``."""
    by_key = _by_key(hints)
    return [by_key[k] for k in hint.requirements or [] if k in by_key]


def waiting_for(hint: Any, hints: list[Any], unlocked: set[int]) -> list[Any]:
    """The required hints the team has not opened yet; empty when ``hint`` may be unlocked."""
    open_ids = readable(hints, unlocked)
    return [h for h in required(hint, hints) if h.id not in open_ids]
