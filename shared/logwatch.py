"""Waiting for a service's log to grow, instead of polling it.

Whoever follows the log (the HTTP feed serving a downstream consumer, the relay, the local
projector) reads it, and when it had nothing new, waits here. Every transaction this
process records wakes the waiters at once (`appended`, called from whichever thread
recorded). Another process writing the same store (a second replica, a CLI command) cannot
wake them, so a waiter also looks at the log's head every `recheck` seconds: one cheap query,
where idle polling read a page and answered an HTTP request several times a second.

A waiter takes the `generation` before it reads the log and waits for a later one, so an
append that lands between its read and its wait is never missed. A reader waiting for one
case to change (`Prefer: wait`, see `shared.http.read_waiting`) takes `case_changed` before
it reads, and is woken only by records about that case. Woken, it lingers a few
milliseconds (`LINGER_SECONDS`, as a Kafka producer's linger.ms does) so that a busy system
moves pages of events rather than one event per round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable, Iterable

#: How long a woken waiter lets further records gather before it reads.
LINGER_SECONDS = 0.03
#: How often a waiter looks at the head for what another process recorded, unless it says.
RECHECK_SECONDS = 1.0


class LogWatch:
    def __init__(self) -> None:
        self.generation = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        #: One event per case someone waits on; gone when no waiter holds it any more.
        self._cases: weakref.WeakValueDictionary[str, asyncio.Event] = weakref.WeakValueDictionary()

    def appended(self, cases: Iterable[str] = ()) -> None:
        """This process recorded a transaction, about these cases (any thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._bump, frozenset(cases))

    def _bump(self, cases: frozenset[str]) -> None:
        self.generation += 1
        if self._changed is not None:
            self._changed.set()
            self._changed = None
        for number in cases:
            changed = self._cases.pop(number, None)
            if changed is not None:
                changed.set()

    def case_changed(self, number: str) -> asyncio.Event:
        """Set at the next record about the case in this process (take it before reading)."""
        self.bind()
        changed = self._cases.get(number)
        if changed is None:
            changed = self._cases[number] = asyncio.Event()
        return changed

    def bind(self) -> None:
        """Called on the event loop before the first read that may wait."""
        self._loop = asyncio.get_running_loop()

    async def wait(
        self, since: int, seconds: float, recheck: float, head: Callable[[], Awaitable[int]]
    ) -> None:
        """Return when the generation moved past `since`, the log's head moved (looked at
        every `recheck` seconds), or `seconds` passed, whichever is first."""
        self.bind()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        start_head = await head()
        while self.generation == since:
            left = deadline - loop.time()
            if left <= 0:
                return
            if self._changed is None:
                self._changed = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, recheck))
            if self.generation == since and await head() != start_head:
                break
        await asyncio.sleep(LINGER_SECONDS)
