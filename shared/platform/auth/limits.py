"""Per-caller rate limit: a token bucket per token subject.

Each subject may burst up to a minute's allowance and then refills continuously. On the
embedded default (one process per service) the buckets live in the process. On PostgreSQL,
where a service may run as several replicas behind one address, the buckets live in the
service's own database, so a caller gets the configured rate from the service as a whole,
not that rate per replica: one statement per request spends a token atomically (the row lock
serialises replicas) and reads the database's clock, so replicas' clocks need not agree.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

from shared.platform.schema_lock import SCHEMA_LOCK
from shared.platform.settings import StoreSettings

log = logging.getLogger(__name__)

#: Buckets kept in a process before idle ones are forgotten, so unknown subjects cannot grow
#: memory.
MAX_TRACKED = 10_000


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit reached; retry after {retry_after} s")
        self.retry_after = retry_after


class RateLimiter(Protocol):
    async def take(self, subject: str) -> None:
        """Spend one request of `subject`'s allowance, or raise `RateLimited`."""
        ...

    async def close(self) -> None: ...


def rate_limiter(store: StoreSettings, per_minute: int) -> RateLimiter:
    """The limiter of the service's deployment: shared by its replicas on PostgreSQL."""
    if store.postgres and per_minute:
        return SharedRateLimiter(store.database_url(), per_minute)
    return LocalRateLimiter(per_minute)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class LocalRateLimiter:
    """Buckets in this process: 0 per minute means off."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60
        self._buckets: dict[str, _Bucket] = {}

    async def take(self, subject: str) -> None:
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

    async def close(self) -> None:
        return None


_CREATE = """
CREATE TABLE IF NOT EXISTS rate_limit_buckets (
    subject text PRIMARY KEY,
    tokens double precision NOT NULL,
    updated timestamptz NOT NULL
)"""

# Refill by the time since the last spend, spend one if a whole token is there; no row back
# means refused (and the bucket is left as it was).
_SPEND = """
INSERT INTO rate_limit_buckets AS b (subject, tokens, updated)
VALUES ($1, $2 - 1, clock_timestamp())
ON CONFLICT (subject) DO UPDATE SET
    tokens = LEAST($2, b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.updated) * $3) - 1,
    updated = clock_timestamp()
WHERE LEAST($2, b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.updated) * $3) >= 1
RETURNING tokens"""

_WAIT = """
SELECT (1 - LEAST($2, tokens + EXTRACT(EPOCH FROM clock_timestamp() - updated) * $3)) / $3
FROM rate_limit_buckets WHERE subject = $1"""

# Buckets idle for a whole refill are full again: deleting them changes nothing.
_FORGET = """
DELETE FROM rate_limit_buckets
WHERE updated < clock_timestamp() - make_interval(secs => $1 / $2)"""

#: How often (in requests) a replica forgets the full buckets.
FORGET_EVERY = 5_000


class SharedRateLimiter:
    """Buckets in a table of the service's database, spent by every replica alike.

    If the database cannot be reached the request is let through (and logged): the limit
    protects the service, and a request that needs the store fails on its own anyway.
    """

    def __init__(self, dsn: str, per_minute: int) -> None:
        self.dsn = dsn
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60
        self._pool: Any = None
        self._opening = asyncio.Lock()
        self._taken = 0

    async def take(self, subject: str) -> None:
        import asyncpg

        try:
            pool = await self._opened()
            async with pool.acquire() as connection:
                if await connection.fetchval(_SPEND, subject, self.capacity, self.per_second):
                    await self._forget_now_and_then(connection)
                    return
                wait = await connection.fetchval(_WAIT, subject, self.capacity, self.per_second)
        except (OSError, TimeoutError, asyncpg.PostgresError) as error:
            log.warning("rate limit: the shared buckets are out of reach (%s); let through", error)
            return
        raise RateLimited(max(1, math.ceil(wait or 1)))

    async def _opened(self) -> Any:
        import asyncpg

        async with self._opening:
            if self._pool is None:
                pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=4, timeout=5)
                try:
                    async with pool.acquire() as connection, connection.transaction():
                        # Replicas start together: one creates the table, the others wait
                        # and find it (`shared.platform.schema_lock`); side by side, the
                        # slower CREATE failed on the table's type and the limit let through.
                        await connection.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
                        await connection.execute(_CREATE)
                except BaseException:
                    await pool.close()
                    raise
                self._pool = pool
        return self._pool

    async def _forget_now_and_then(self, connection: Any) -> None:
        self._taken += 1
        if self._taken % FORGET_EVERY == 0:
            await connection.execute(_FORGET, self.capacity, self.per_second)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
