"""Counting wrong attempts in a sliding window, per team and challenge.

In one process the window lives in memory; with Redis configured every worker shares it, so
a team cannot multiply its allowance by spreading requests over workers.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Any


class MemoryLimiter:
    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Seconds to wait before the next attempt counts; 0 when allowed now."""
        now = time.time() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 0
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) < self.limit:
                return 0
            return max(1, int(hits[0] + self.window - now + 0.999))

    def hit(self, key: str, now: float | None = None) -> None:
        with self._lock:
            self._hits[key].append(time.time() if now is None else now)


class RedisLimiter(MemoryLimiter):
    """The same window in a Redis sorted set shared by all workers."""

    def __init__(self, client: Any, limit: int, window: float) -> None:
        super().__init__(limit, window)
        self.client = client

    def _key(self, key: str) -> str:
        return f"drillboard:wrong:{key}"

    def retry_after(self, key: str, now: float | None = None) -> int:
        now = time.time() if now is None else now
        name = self._key(key)
        pipe = self.client.pipeline()
        pipe.zremrangebyscore(name, 0, now - self.window)
        pipe.zrange(name, 0, 0, withscores=True)
        pipe.zcard(name)
        _, oldest, count = pipe.execute()
        if count < self.limit or not oldest:
            return 0
        return max(1, int(oldest[0][1] + self.window - now + 0.999))

    def hit(self, key: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        name = self._key(key)
        pipe = self.client.pipeline()
        pipe.zadd(name, {f"{now:.6f}:{id(pipe)}": now})
        pipe.expire(name, int(self.window) + 1)
        pipe.execute()
