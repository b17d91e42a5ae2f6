"""Slowing down password and join-code guessing, without letting it lock anybody out.

A failed login counts against the pair (name, address): one attacker can slow guesses of one
name from their own address and nothing else. A failed login or join code also counts against
the address as a whole (guess spraying), except for organizers' names: a team behind one NAT
address can never keep the organizer out of the console. Windows slide, so a throttled guesser
gets one more try each time an old failure ages out. Every check takes its slot before the
password is checked, so guesses racing in cannot all slip under the limit. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from scoreboard.store.ratelimit import MemoryLimiter


@dataclass
class Ticket:
    """The slots one guess holds; a right guess hands them back, a wrong one keeps them."""

    held: list[tuple[MemoryLimiter, str, str]] = field(default_factory=list)

    def right(self) -> None:
        for limiter, key, slot in self.held:
            limiter.release(key, slot)
        self.held.clear()


def take(windows: list[tuple[MemoryLimiter, str]]) -> tuple[Ticket | None, int]:
    """A ticket holding one slot in each window, or (None, seconds to wait) if one is full."""
    ticket = Ticket()
    for limiter, key in windows:
        slot, wait = limiter.acquire(key)
        if slot is None:
            ticket.right()  # nothing was tried: give back what was taken
            return None, wait
        ticket.held.append((limiter, key, slot))
    return ticket, 0


def login_windows(pairs: MemoryLimiter, addresses: MemoryLimiter, name_key: str, address: str | None,
                  organizer: bool) -> list[tuple[MemoryLimiter, str]]:
    windows = [(pairs, f"login:{name_key}@{address}")]
    if not organizer:
        windows.append((addresses, f"ip:{address}"))
    return windows


def join_windows(addresses: MemoryLimiter, address: str | None) -> list[tuple[MemoryLimiter, str]]:
    return [(addresses, f"ip:{address}")]
