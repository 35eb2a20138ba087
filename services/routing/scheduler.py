"""The durable scheduler: fires warnings, reminders (催办) and escalations when they are due.

Durable because nothing lives in memory: the timer index is a projection of the case events,
and whether a timer fired is decided by the case aggregate itself (a `TimerFired` event).
Killed anywhere, a restarted scheduler catches the index up and fires what is due and not
yet recorded — no reminder lost, none doubled. Each tick reads only the due rows of the
index, never every open case.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from services.routing import read_models
from services.routing.application import RoutingApplication
from shared.kernel import clock
from shared.platform.sqlviews import LocalProjector
from shared.platform.threads import run_sync

log = logging.getLogger(__name__)

BATCH = 200
#: However quiet it looks, a full tick at least this often: a store written by another
#: process (an API replica on SQLite) moves no generation here.
FULL_TICK_SECONDS = 10.0


@dataclass
class TickReport:
    due_cases: int
    fired: int
    seconds: float


@dataclass(eq=False)
class Scheduler:
    app: RoutingApplication
    engine: AsyncEngine
    projector: LocalProjector
    interval: float
    upstream_caught_up: Callable[[], bool] = lambda: True
    #: What the last full tick saw: this process's log generation, when the next timer
    #: falls due, and when (monotonic) it ran.
    _seen_generation: int = field(default=-1, init=False)
    _next_due: datetime | None = field(default=None, init=False)
    _full_at: float = field(default=float("-inf"), init=False)

    def quiet(self) -> bool:
        """Nothing recorded since the last full tick and no timer due yet: skip the store.

        Compared with the clock every tick, so a clock that jumps past a due time fires at
        the next tick as before."""
        if self._seen_generation != self.app.watch.generation:
            return False
        if time.monotonic() - self._full_at >= FULL_TICK_SECONDS:
            return False
        return self._next_due is None or clock.now() < self._next_due

    async def tick(self) -> TickReport:
        """Fire what is due, once the upstream events are in: a backlog of intake's events
        (routing was down or behind) may hold the very step that stops a clock on time,
        and a reminder fired before reading it would be a false one."""
        started = time.perf_counter()
        if not self.upstream_caught_up() or self.quiet():
            return TickReport(0, 0, time.perf_counter() - started)
        generation = self.app.watch.generation
        await self.projector.catch_up()
        now = clock.now()
        numbers = await read_models.due_cases(self.engine, now, BATCH)
        fired = await run_sync(self.app.fire_due_timers, numbers, now) if numbers else 0
        if not fired:  # what fired moves the generation: the next tick looks again
            self._seen_generation = generation
            self._next_due = await read_models.next_timer(self.engine)
            self._full_at = time.monotonic()
        return TickReport(len(numbers), fired, time.perf_counter() - started)

    async def run(self) -> None:
        while True:
            try:
                report = await self.tick()
                if report.fired:
                    log.info(
                        "scheduler fired %d timers on %d cases", report.fired, report.due_cases
                    )
            except Exception:
                log.exception("scheduler tick failed; retrying")
            await asyncio.sleep(self.interval)
