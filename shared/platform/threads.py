"""Running the synchronous eventsourcing library from asyncio, safely across shutdown.

Cancelling a task that awaits a worker thread does not stop the thread. If shutdown then
closed the store, the thread would use a closed connection (with SQLite, a crash). So
background work runs its blocking calls through `run_sync`, which keeps each call's
future, and shutdown `drain`s them before stores are closed.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_in_flight: set[asyncio.Future[Any]] = set()


async def run_sync(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn` in a worker thread, in a copy of the caller's context (as FastAPI's own
    thread pool does), so the request's correlation id and Idempotency-Key go with it."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    future = loop.run_in_executor(None, functools.partial(context.run, fn, *args, **kwargs))
    _in_flight.add(future)
    future.add_done_callback(_in_flight.discard)
    return await asyncio.shield(future)


#: How long shutdown waits for blocking calls still in worker threads.
DRAIN_SECONDS = 30


async def drain() -> None:
    """Wait for this event loop's blocking calls still running in worker threads.

    Only this loop's: where one process runs several services, each on a loop of its own
    (in-process tests do), a future of another loop completes on that loop's thread and
    would never wake this one, whose wait then lasted its whole `DRAIN_SECONDS`.
    """
    loop = asyncio.get_running_loop()
    pending = [f for f in _in_flight if not f.done() and f.get_loop() is loop]
    if pending:
        await asyncio.wait(pending, timeout=DRAIN_SECONDS)
