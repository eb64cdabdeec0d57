"""Token buckets for write requests, per account and per client address.

Each key has a bucket of ``burst`` tokens refilled at ``rate`` per second; a
write takes one.  An empty bucket refuses with 429 and the seconds until a
token is back (the Retry-After).  Buckets live in memory, per server process
(with several ``--workers`` each has its own); idle full buckets are dropped
so the table stays bounded.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from marketplace.errors import ApiError


@dataclass(frozen=True)
class Limit:
    rate: float  # tokens per second
    burst: int

    @property
    def enabled(self) -> bool:
        return self.rate > 0 and self.burst > 0


class RateLimitedError(ApiError):
    def __init__(self, retry_after: int, scope: str) -> None:
        super().__init__(429, "Too many requests",
                         f"too many write requests from this {scope}; retry in "
                         f"{retry_after} s", "rate_limited", retry_after=retry_after)
        self.retry_after = retry_after


class Buckets:
    MAX_KEYS = 50_000

    def __init__(self, limit: Limit, scope: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.scope = scope
        self.clock = clock
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> None:
        """Take one token for ``key`` or raise RateLimitedError."""
        if not self.limit.enabled:
            return
        now = self.clock()
        with self._lock:
            tokens, at = self._state.get(key, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - at) * self.limit.rate)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                raise RateLimitedError(max(1, math.ceil((1.0 - tokens) / self.limit.rate)),
                                  self.scope)
            self._state[key] = (tokens - 1.0, now)
            if len(self._state) > self.MAX_KEYS:
                self._prune(now)

    def _prune(self, now: float) -> None:
        full = [k for k, (tok, at) in self._state.items()
                if tok + (now - at) * self.limit.rate >= self.limit.burst]
        for k in full:
            del self._state[k]
        if len(self._state) > self.MAX_KEYS:  # still too many: forget the oldest half
            for k, _ in sorted(self._state.items(), key=lambda kv: kv[1][1])[
                    :len(self._state) // 2]:
                del self._state[k]
