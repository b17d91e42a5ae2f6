"""What one address or one connection may cost the live stream (issue #22).

Anyone may open ``/live`` without logging in, and a snapshot is the largest thing the server
sends (every team's row). Three bounds keep one cheap client from stalling everyone:

- connections per address: the one after ``per_address`` is refused and its transport closed;
- resyncs: a connection that still has something queued has not read the last snapshot yet,
  so asking again gets nothing new; beyond that, resyncs are limited per connection and per
  address in a sliding window;
- what a connection may have queued: a client that does not read (``max_queued`` packets
  waiting) is dropped; it reconnects and starts again from a fresh snapshot.

Counts live in this process: behind the proxy one address always reaches the same worker
(``docker/nginx.conf`` hashes by address). No Flask here.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from scoreboard.store.ratelimit import MemoryLimiter


@dataclass(frozen=True)
class Bounds:
    """The limits, from the settings; tests make them small."""

    per_address: int = 64
    resyncs_per_connection: int = 5
    resyncs_per_address: int = 30
    resync_window: float = 10.0
    max_queued: int = 500


class Guard:
    """Counts connections per address and resyncs per connection and address."""

    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        self._addresses: dict[str, str] = {}  # Socket.IO sid -> the address it came from
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._by_connection = MemoryLimiter(bounds.resyncs_per_connection, bounds.resync_window)
        self._by_address = MemoryLimiter(bounds.resyncs_per_address, bounds.resync_window)

    def admit(self, sid: str, address: str) -> bool:
        """Count a new connection; False (and nothing counted) when its address has too many."""
        with self._lock:
            if self._open[address] >= self.bounds.per_address:
                return False
            self._open[address] += 1
            self._addresses[sid] = address
            return True

    def leave(self, sid: str) -> None:
        """A connection closed: its address may open another."""
        with self._lock:
            address = self._addresses.pop(sid, None)
            if address is None:
                return
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]
        self._by_connection.forget(sid)

    def may_resync(self, sid: str, queued: int) -> bool:
        """Whether a resync earns a snapshot: nothing still queued, and within both windows."""
        if queued:
            return False
        address = self._addresses.get(sid, "")
        slot, _ = self._by_connection.acquire(sid)
        if slot is None:
            return False
        if self._by_address.acquire(address)[0] is None:
            self._by_connection.release(sid, slot)
            return False
        return True

    def overfull(self, queued: int) -> bool:
        """A connection with this many packets waiting is not reading: drop it."""
        return queued > self.bounds.max_queued
