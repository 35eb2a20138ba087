"""Per-caller limits, without a server: the token bucket and the request timeout."""

from __future__ import annotations

import asyncio

import pytest

from shared.platform.auth.limits import LocalRateLimiter, RateLimited
from shared.platform.http import RequestTimeout


async def test_a_caller_bursts_up_to_its_allowance_then_waits_while_others_go_on():
    limiter = LocalRateLimiter(per_minute=2)
    await limiter.take("clerk-wang")
    await limiter.take("clerk-wang")
    with pytest.raises(RateLimited) as refused:
        await limiter.take("clerk-wang")
    assert refused.value.retry_after == 30  # one request refills in 60/2 seconds
    await limiter.take("clerk-li")


async def test_zero_turns_the_limit_off():
    limiter = LocalRateLimiter(per_minute=0)
    for _ in range(1000):
        await limiter.take("bench")


async def test_a_request_that_outlives_the_timeout_is_answered_503():
    async def slow(scope, receive, send):
        await asyncio.sleep(5)

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    await RequestTimeout(slow, seconds=0.05)({"type": "http", "path": "/"}, receive, send)
    assert sent[0]["status"] == 503
