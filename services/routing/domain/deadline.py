"""One deadline clock of a case (002 §十一): a value, replaced by each event that moves it.

A clock runs from its start to its due time, with a warning, a reminder (催办) and an
escalation timer around the due time; it can be paused and resumed (the due time and the
timers shift by the pause), extended or re-baselined (new due time, timers fire again), and
stops when its step is done: met if done by the due time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from services.routing.deadlines import TIMERS


class ClockState(StrEnum):
    running = "running"
    paused = "paused"
    stopped = "stopped"


@dataclass(frozen=True)
class Clock:
    started_at: datetime
    due: datetime
    #: When each timer (warning, reminder, escalation) fires.
    timers: dict[str, datetime]
    #: The handling cycle the clock belongs to (a reopened case runs its clocks again).
    cycle: int
    state: ClockState = ClockState.running
    fired: tuple[str, ...] = ()
    paused_at: datetime | None = None
    #: Each extension: {"from": due before, "to": due after, "reason": why}.
    extensions: tuple[dict[str, Any], ...] = ()
    stopped_at: datetime | None = None
    met: bool | None = None

    @property
    def running(self) -> bool:
        return self.state is ClockState.running

    @property
    def paused(self) -> bool:
        return self.state is ClockState.paused

    @property
    def stopped(self) -> bool:
        return self.state is ClockState.stopped

    def due_timers(self, now: datetime) -> list[str]:
        """The timers whose time has come and that have not fired yet (none unless running)."""
        if not self.running:
            return []
        return [t for t in TIMERS if t not in self.fired and self.timers[t] <= now]

    def shifted_by_pause(self, now: datetime) -> tuple[datetime, dict[str, datetime]]:
        """The due time and timers after resuming at `now`: moved by the time paused, and
        never moved earlier (a pause stamped by a clock that was set back since)."""
        assert self.paused_at is not None
        shift: timedelta = max(now - self.paused_at, timedelta(0))
        return self.due + shift, {k: v + shift for k, v in self.timers.items()}

    def pause(self, at: datetime) -> Clock:
        return replace(self, state=ClockState.paused, paused_at=at)

    def resume(self, due: datetime, timers: dict[str, datetime]) -> Clock:
        return replace(self, state=ClockState.running, paused_at=None, due=due, timers=timers)

    def extend(self, due: datetime, timers: dict[str, datetime], reason: str) -> Clock:
        extension = {"from": self.due, "to": due, "reason": reason}
        return replace(
            self, due=due, timers=timers, fired=(), extensions=(*self.extensions, extension)
        )

    def rebaseline(self, due: datetime, timers: dict[str, datetime]) -> Clock:
        return replace(self, due=due, timers=timers, fired=())

    def stop(self, at: datetime, met: bool) -> Clock:
        return replace(self, state=ClockState.stopped, stopped_at=at, met=met)

    def fire(self, timer: str) -> Clock:
        return replace(self, fired=(*self.fired, timer))

    def shown(self) -> dict[str, Any]:
        """The clock as the API shows it: without its timers; stop fields once stopped."""
        shown: dict[str, Any] = {
            "started_at": self.started_at,
            "due": self.due,
            "fired": list(self.fired),
            "state": self.state.value,
            "paused_at": self.paused_at,
            "extensions": list(self.extensions),
            "cycle": self.cycle,
        }
        if self.stopped:
            shown.update(stopped_at=self.stopped_at, met=self.met)
        return shown
