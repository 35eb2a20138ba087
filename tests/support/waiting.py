"""Waiting on a condition with a deadline, instead of fixed sleeps."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

#: A server asked to wait 20 s or more answers "when it happens" well before this: the
#: bound tells a wake from the wait's end with room for a loaded CI machine's pauses; it
#: does not time the server.
ANSWERED_BEFORE_THE_WAIT_ENDS = 10


async def eventually(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    """Poll `check` (sync or async) until it returns something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached within {timeout}s: {what or check} (last: {last!r})")


def wait_until(
    check: Callable[[], Any], timeout: float = 60, what: str = "", interval: float = 0.1
) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)

    raise AssertionError(f"not reached within {timeout}s: {what or check} (last: {last!r})")
