"""A caller's rate limit holds for the service as a whole, however many replicas serve it.

Two replicas of intake on PostgreSQL each build their limiter from the same settings; the
caller's allowance is spent in the service's database, so what one replica granted the
other does not grant again.
"""

from __future__ import annotations

import asyncio

import pytest

from shared.platform.auth.limits import RateLimited, SharedRateLimiter, rate_limiter
from tests.conftest import settings_from


@pytest.fixture
async def replicas(production_env):
    settings = settings_from(production_env, "intake", rate_limit_per_minute=6)
    first, second = (
        rate_limiter(settings.storage, settings.rate_limit_per_minute),
        rate_limiter(settings.storage, settings.rate_limit_per_minute),
    )
    assert isinstance(first, SharedRateLimiter)
    yield first, second
    await first.close()
    await second.close()


async def test_what_one_replica_granted_the_other_does_not_grant_again(replicas):
    first, second = replicas
    for replica in (first, second, first, second, first, second):
        await replica.take("clerk-wang")
    with pytest.raises(RateLimited) as refused:
        await second.take("clerk-wang")
    assert 1 <= refused.value.retry_after <= 10  # a token refills every 60/6 seconds
    with pytest.raises(RateLimited):
        await first.take("clerk-wang")
    await first.take("clerk-li")  # another caller's allowance is untouched


async def test_replicas_spending_at_once_grant_exactly_the_allowance(replicas):

    async def spend(replica: SharedRateLimiter) -> bool:
        try:
            await replica.take("bulk-importer")
        except RateLimited:
            return False
        return True

    granted = await asyncio.gather(*(spend(r) for _ in range(10) for r in replicas))
    assert sum(granted) == 6
