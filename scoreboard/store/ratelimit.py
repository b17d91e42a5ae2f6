"""Sliding windows: at most ``limit`` events per ``window`` seconds for each key.

Checking and counting are one atomic step (``acquire`` takes a slot or says how long to wait),
so twenty requests racing in cannot all slip under the limit; a slot that turns out not to
count (a right answer, a failed write) is handed back with ``release``. In one process the
windows live in memory; with Redis every worker shares them. If Redis is lost, a worker falls
back to its own memory (and says so in the log) instead of failing the request. No Flask here.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import defaultdict
from typing import Any

log = logging.getLogger(__name__)


class MemoryLimiter:
    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._slots: dict[str, dict[str, float]] = defaultdict(dict)
        self._lock = threading.Lock()

    def _wait(self, oldest: float, now: float) -> int:
        return max(1, int(oldest + self.window - now + 0.999))

    def acquire(self, key: str, now: float | None = None) -> tuple[str | None, int]:
        """Take a slot: (its id, 0), or (None, seconds to wait) when the window is full."""
        now = time.time() if now is None else now
        with self._lock:
            slots = self._slots[key]
            for slot, at in list(slots.items()):
                if at <= now - self.window:
                    del slots[slot]
            if len(slots) >= self.limit:
                return None, self._wait(min(slots.values()), now)
            slot = secrets.token_hex(8)
            slots[slot] = now
            return slot, 0

    def release(self, key: str, slot: str | None) -> None:
        """Hand a slot back: what it was taken for did not count."""
        if slot is None:
            return
        with self._lock:
            self._slots.get(key, {}).pop(slot, None)

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Seconds before the next slot frees up; 0 when one is free now."""
        now = time.time() if now is None else now
        with self._lock:
            live = [at for at in self._slots.get(key, {}).values() if at > now - self.window]
        return self._wait(min(live), now) if len(live) >= self.limit else 0

    def forget(self, key: str) -> None:
        """Drop a key's window at once (a closed connection): keys that come and go must not pile up."""
        with self._lock:
            self._slots.pop(key, None)


# Prune, check and add in one step on the Redis server: no two workers can both take the last slot.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return false
"""


class RedisLimiter(MemoryLimiter):
    """The same windows in Redis sorted sets shared by all workers."""

    def __init__(self, client: Any, limit: int, window: float, prefix: str = "drillboard") -> None:
        super().__init__(limit, window)
        self.client, self.prefix = client, prefix
        self._script = client.register_script(_ACQUIRE)
        self._down_since: float | None = None

    def _name(self, key: str) -> str:
        return f"{self.prefix}:window:{key}"

    def _lost(self) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.error("Redis is unreachable: rate limits fall back to this worker's memory until it returns",
                      exc_info=True)

    def _back(self) -> None:
        if self._down_since is not None:
            log.warning("Redis is back: rate limits are shared again")
            self._down_since = None

    def acquire(self, key: str, now: float | None = None) -> tuple[str | None, int]:
        now = time.time() if now is None else now
        slot = secrets.token_hex(8)
        try:
            oldest = self._script(keys=[self._name(key)],
                                  args=[now, self.window, self.limit, f"r:{slot}", int(self.window) + 1])
        except Exception:  # noqa: BLE001 - checking answers must not depend on Redis
            self._lost()
            return super().acquire(key, now)
        self._back()
        if oldest is None:
            return f"r:{slot}", 0
        return None, self._wait(float(oldest), now)

    def release(self, key: str, slot: str | None) -> None:
        if slot is None:
            return
        if not slot.startswith("r:"):
            super().release(key, slot)  # taken from memory while Redis was away
            return
        try:
            self.client.zrem(self._name(key), slot)
        except Exception:  # noqa: BLE001 - the slot simply expires with its window
            self._lost()

    def retry_after(self, key: str, now: float | None = None) -> int:
        now = time.time() if now is None else now
        try:
            live = self.client.zrangebyscore(self._name(key), now - self.window, "+inf", withscores=True)
        except Exception:  # noqa: BLE001
            self._lost()
            return super().retry_after(key, now)
        return self._wait(min(score for _, score in live), now) if len(live) >= self.limit else 0
