"""Per-caller rate limit: a token bucket per token subject, in this process.

Each subject may burst up to a minute's allowance and then refills continuously. Limits are
per process: with N replicas behind a balancer a caller gets up to N times the rate, so a
deployment that needs one global limit puts it in the gateway as well.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

#: Buckets kept before idle ones are forgotten, so unknown subjects cannot grow memory.
MAX_TRACKED = 10_000


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit reached; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60
        self._buckets: dict[str, _Bucket] = {}

    def take(self, subject: str) -> None:
        """Spend one request of `subject`'s allowance, or raise `RateLimited`. 0 means off."""
        if not self.capacity:
            return
        now = time.monotonic()
        bucket = self._buckets.get(subject)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._forget_full(now)
            bucket = self._buckets[subject] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens < 1:
            raise RateLimited(math.ceil((1 - bucket.tokens) / self.per_second))
        bucket.tokens -= 1

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: forgetting them changes nothing."""
        refill = self.capacity / self.per_second
        self._buckets = {s: b for s, b in self._buckets.items() if now - b.updated < refill}
