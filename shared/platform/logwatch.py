"""Waiting for a service's log to grow, instead of polling it.

Whoever follows the log (the HTTP feed serving a downstream consumer, the relay, the local
projector) reads it, and when it had nothing new, waits here. Every transaction this
process records wakes the waiters at once (`appended`, called from whichever thread
recorded); on PostgreSQL, so does every other process's (`shared.platform.pg_wakeups`).
Where nothing tells (SQLite written by a CLI command, a listener reconnecting), a waiter
also looks at the log's head every `recheck` seconds: one cheap query,
shared by all the waiters of the process, where idle polling read a page and answered an
HTTP request several times a second.

A waiter takes the `generation` before it reads the log and waits for a later one (it moves
as soon as a transaction is recorded), so an append that lands between its read and its
wait is never missed. A reader waiting for one
case to change (`Prefer: wait`, see `shared.platform.http.read_waiting`) takes `case_changed` before
it reads, and is woken only by records about that case. Woken, it lingers a few
milliseconds (`LINGER_SECONDS`, as a Kafka producer's linger.ms does) so that a busy system
moves pages of events rather than one event per round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterable

#: How long a woken waiter lets further records gather before it reads.
LINGER_SECONDS = 0.03
#: How often a waiter looks at the head for what another process recorded, unless it says.
RECHECK_SECONDS = 1.0


class _Waiters:
    """The waiters of one event loop (a process has one; tests may drive an app from
    several, and an asyncio.Event belongs to the loop it is awaited on)."""

    def __init__(self) -> None:
        self.changed: asyncio.Event | None = None
        #: One event per case someone waits on; gone when no waiter holds it any more.
        self.cases: weakref.WeakValueDictionary[str, asyncio.Event] = weakref.WeakValueDictionary()
        #: The log's head as last looked at, and when (loop time): shared by every waiter.
        self.head: int | None = None
        self.head_at = float("-inf")
        self.looking = asyncio.Lock()

    async def look(self, head: Callable[[], Awaitable[int]], fresh_for: float) -> int:
        """The log's head, looked at once for all this loop's waiters within `fresh_for`
        seconds: a service followed by four consumers' feeds, its projector and its relay
        asks the store once a second while idle, not six times."""
        loop = asyncio.get_running_loop()
        async with self.looking:
            if self.head is None or loop.time() - self.head_at >= fresh_for:
                self.head = await head()
                self.head_at = loop.time()
            return self.head

    def wake(self, cases: frozenset[str] | None) -> None:
        """Wake the followers, and the readers waiting on `cases` (None: on any case)."""
        if self.changed is not None:
            self.changed.set()
            self.changed = None
        for number in list(self.cases) if cases is None else cases:
            changed = self.cases.pop(number, None)
            if changed is not None:
                changed.set()


class LogWatch:
    def __init__(self) -> None:
        self.generation = 0
        #: The server is stopping: requests waiting for news answer with what they have.
        self.closing = False
        self._lock = threading.Lock()
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Waiters] = (
            weakref.WeakKeyDictionary()
        )

    def appended(self, cases: Iterable[str] | None = ()) -> None:
        """A transaction was recorded, about these cases (any thread); None when which cases
        is not known, and every reader waiting on a case should look again."""
        with self._lock:
            self.generation += 1
            loops = list(self._loops.items())
        numbers = None if cases is None else frozenset(cases)
        for loop, waiters in loops:
            if not loop.is_closed():
                loop.call_soon_threadsafe(waiters.wake, numbers)

    def _waiters(self) -> _Waiters:
        loop = asyncio.get_running_loop()
        with self._lock:
            waiters = self._loops.get(loop)
            if waiters is None:
                waiters = self._loops[loop] = _Waiters()
        return waiters

    def close(self) -> None:
        """The server stops taking requests: wake every waiter, and let the requests that
        wait for news (feeds, `Prefer: wait`) answer now rather than hold the graceful
        shutdown for up to their whole wait."""
        self.closing = True
        self.appended(None)

    def waits_on_cases(self) -> bool:
        """Whether a reader of this process waits on a case now (any thread)."""
        with self._lock:
            loops = list(self._loops.values())
        return any(len(waiters.cases) for waiters in loops)

    def case_changed(self, number: str) -> asyncio.Event:
        """Set at the next record about the case in this process (take it before reading)."""
        waiters = self._waiters()
        changed = waiters.cases.get(number)
        if changed is None:
            changed = waiters.cases[number] = asyncio.Event()
        return changed

    async def wait(
        self, since: int, seconds: float, recheck: float, head: Callable[[], Awaitable[int]]
    ) -> None:
        """Return when the generation moved past `since`, the log's head moved (looked at
        every `recheck` seconds), or `seconds` passed, whichever is first."""
        waiters = self._waiters()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        # Looked at now, not taken from the shared look: a head read before this waiter's own
        # read of the log could already include what it has not seen.
        start_head = await waiters.look(head, fresh_for=0)
        while self.generation == since:
            left = deadline - loop.time()
            if left <= 0:
                return
            if waiters.changed is None:
                waiters.changed = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiters.changed.wait(), min(left, recheck))
            if self.generation == since and await waiters.look(head, recheck) != start_head:
                break
        await asyncio.sleep(LINGER_SECONDS)
