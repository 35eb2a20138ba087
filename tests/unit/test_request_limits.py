"""Per-caller limits, without a server: the token bucket and the request timeout."""

from __future__ import annotations

import asyncio

import pytest

from shared.auth.limits import RateLimited, RateLimiter
from shared.http import RequestTimeout


def test_a_caller_bursts_up_to_its_allowance_then_waits_while_others_go_on():
    limiter = RateLimiter(per_minute=2)
    limiter.take("clerk-wang")
    limiter.take("clerk-wang")
    with pytest.raises(RateLimited) as refused:
        limiter.take("clerk-wang")
    assert refused.value.retry_after == 30  # one request refills in 60/2 seconds
    limiter.take("clerk-li")


def test_zero_turns_the_limit_off():
    limiter = RateLimiter(per_minute=0)
    for _ in range(1000):
        limiter.take("bench")


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
