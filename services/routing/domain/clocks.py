"""The case's deadline clocks: started, paused, resumed, extended, re-baselined, stopped,
and their reminder and escalation timers (002 §十一)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import event

from services.routing.deadlines import DeadlinePolicy
from services.routing.domain.assignment import Assignment
from services.routing.domain.deadline import Clock
from services.routing.domain.state import LADDER, at, iso
from shared.contracts.routing import StopCause
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Conflict, Invalid
from shared.kernel.meta import Meta


class Clocks(Assignment):
    """The case's part that runs its deadline clocks and fires their timers."""

    def start_clocks(
        self, policy: DeadlinePolicy, trigger: str, start: datetime, meta: Meta
    ) -> None:
        for name in policy.clocks_starting(trigger):
            due = policy.due(name, start, self.severity, self.unit or "", self.foreign)
            self._start_clock(name, start, due, policy, meta)

    def _start_clock(
        self, name: str, start: datetime, due: datetime, policy: DeadlinePolicy, meta: Meta
    ) -> None:
        timers = {k: iso(v) for k, v in policy.timer_times(due).items()}
        self._clock_started(
            clock=name,
            started_at=start,
            due=due,
            timers=timers,
            policy_version=policy.version,
            meta=meta,
        )

    class ClockStarted(ClockedAggregate.Event):
        clock: str
        started_at: datetime
        due: datetime
        timers: dict[str, str]
        policy_version: str
        meta: Meta

    @event(ClockStarted)
    def _clock_started(
        self,
        clock: str,
        started_at: datetime,
        due: datetime,
        timers: dict[str, str],
        policy_version: str,
        meta: Meta,
    ) -> None:
        self.clocks[clock] = Clock(started_at, due, _times(timers), self.cycle)

    def _running(self, name: str) -> Clock:
        state = self.clocks.get(name)
        if state is None or state.stopped:
            raise Conflict(f"clock {name!r} is not running on case {self.number}")
        return state

    def pause_clock(self, name: str, reason: str, meta: Meta) -> None:
        if self._running(name).paused:
            raise Conflict(f"clock {name!r} is paused already")
        self._clock_paused(clock=name, at=self.now(), reason=reason, meta=meta)

    class ClockPaused(ClockedAggregate.Event):
        clock: str
        at: datetime
        reason: str
        meta: Meta

    @event(ClockPaused)
    def _clock_paused(self, clock: str, at: datetime, reason: str, meta: Meta) -> None:
        self.clocks[clock] = self.clocks[clock].pause(at)

    def resume_clock(self, name: str, reason: str, meta: Meta) -> None:
        state = self._running(name)
        if not state.paused:
            raise Conflict(f"clock {name!r} is not paused")
        now = self.now()
        due, timers = state.shifted_by_pause(now)
        self._clock_resumed(
            clock=name, at=now, due=due, timers=_texts(timers), reason=reason, meta=meta
        )

    class ClockResumed(ClockedAggregate.Event):
        clock: str
        at: datetime
        due: datetime
        timers: dict[str, str]
        reason: str
        meta: Meta

    @event(ClockResumed)
    def _clock_resumed(
        self,
        clock: str,
        at: datetime,
        due: datetime,
        timers: dict[str, str],
        reason: str,
        meta: Meta,
    ) -> None:
        self.clocks[clock] = self.clocks[clock].resume(due, _times(timers))

    def extend_clock(
        self, name: str, due: datetime, reason: str, policy: DeadlinePolicy, meta: Meta
    ) -> None:
        state = self._running(name)
        if due <= state.due:
            raise Invalid(
                "an extension must move the deadline later", field="due", rule="later_than_current"
            )
        timers = {k: iso(v) for k, v in policy.timer_times(due).items()}
        self._clock_extended(clock=name, due=due, timers=timers, reason=reason, meta=meta)

    class ClockExtended(ClockedAggregate.Event):
        clock: str
        due: datetime
        timers: dict[str, str]
        reason: str
        meta: Meta

    @event(ClockExtended)
    def _clock_extended(
        self, clock: str, due: datetime, timers: dict[str, str], reason: str, meta: Meta
    ) -> None:
        self.clocks[clock] = self.clocks[clock].extend(due, _times(timers), reason)

    def rebaseline(self, policy: DeadlinePolicy, reason: str, meta: Meta) -> list[str]:
        """Apply a changed policy to this open case's running clocks, explicitly."""
        changed = []
        for name, state in self.clocks.items():
            if not state.running or name not in policy.clocks:
                continue
            due = policy.due(name, state.started_at, self.severity, self.unit or "", self.foreign)
            if due != state.due:
                timers = {k: iso(v) for k, v in policy.timer_times(due).items()}
                self._clock_rebaselined(
                    clock=name,
                    due=due,
                    timers=timers,
                    policy_version=policy.version,
                    reason=reason,
                    meta=meta,
                )
                changed.append(name)
        return changed

    class ClockRebaselined(ClockedAggregate.Event):
        clock: str
        due: datetime
        timers: dict[str, str]
        policy_version: str
        reason: str
        meta: Meta

    @event(ClockRebaselined)
    def _clock_rebaselined(
        self,
        clock: str,
        due: datetime,
        timers: dict[str, str],
        policy_version: str,
        reason: str,
        meta: Meta,
    ) -> None:
        self.clocks[clock] = self.clocks[clock].rebaseline(due, _times(timers))

    def stop_clock(
        self,
        name: str,
        meta: Meta,
        cause: StopCause,
        reason: str,
        at: datetime | None = None,
    ) -> None:
        """Stop a clock at the moment its step happened: `at`, the causing upstream event's
        time, or now for a command of routing's own. On time is judged against that moment,
        so a consumer that catches up late does not make an on-time step late."""
        state = self.clocks.get(name)
        if state is None or state.stopped:
            return
        at = at or self.now()
        self._clock_stopped(
            clock=name, at=at, met=at <= state.due, reason=reason, cause=cause, meta=meta
        )

    def _stop_all(self, meta: Meta, cause: StopCause, at: datetime | None) -> None:
        for name in list(self.clocks):
            self.stop_clock(name, meta, cause, cause.value.replace("_", " "), at)

    class ClockStopped(ClockedAggregate.Event):
        """Version 2 adds `cause`; version-1 stops are upcast from their reason's wording."""

        class_version = 2
        clock: str
        at: datetime
        met: bool
        reason: str
        cause: str
        meta: Meta

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            legacy = {"not valid": "not_valid", "withdrawn": "withdrawn", "reopened": "reopened"}
            cause = legacy.get(state["reason"], "completed")
            if state["reason"] == "closed" and state["clock"] != "close":
                cause = "closed"
            state["cause"] = cause

    @event(ClockStopped)
    def _clock_stopped(
        self, clock: str, at: datetime, met: bool, reason: str, cause: str, meta: Meta
    ) -> None:
        state = self.clocks[clock] = self.clocks[clock].stop(at, met)
        if not met:
            self.late_steps.append(
                {
                    "clock": clock,
                    "cycle": state.cycle,
                    "due": state.due,
                    "done_at": at,
                    "extensions": list(state.extensions),
                }
            )

    def due_timers(self, now: datetime) -> list[tuple[str, str]]:
        """(clock, timer) pairs whose time has come and that have not fired yet."""
        return [(name, t) for name, state in self.clocks.items() for t in state.due_timers(now)]

    def fire_due_timers(self, now: datetime, meta: Meta) -> int:
        """Warn, remind (催办) and escalate for every timer due; idempotent by construction.

        Escalation goes one level up per firing, however many clocks are overdue at that
        moment (after a clock jump, three overdue clocks are one overdue period, not three
        levels); the escalation names them all.
        """
        due = self.due_timers(now)
        for name, timer in due:
            self._timer_fired(
                clock=name,
                timer=timer,
                unit=self.unit or "",
                due=self.clocks[name].due,
                level=LADDER[self.escalation_level],
                meta=meta,
            )
        overdue = sorted(name for name, timer in due if timer == "escalation")
        if overdue:
            self.escalate(f"overdue: {', '.join(overdue)}", meta)
        return len(due)

    class TimerFired(ClockedAggregate.Event):
        clock: str
        timer: str
        unit: str
        due: datetime
        meta: Meta
        level: str | None = None

    @event(TimerFired)
    def _timer_fired(
        self,
        clock: str,
        timer: str,
        unit: str,
        due: datetime,
        meta: Meta,
        level: str | None = None,
    ) -> None:
        self.clocks[clock] = self.clocks[clock].fire(timer)


def _times(timers: dict[str, str]) -> dict[str, datetime]:
    """Timers as events carry them (ISO text) -> as a clock holds them."""
    return {k: at(v) for k, v in timers.items()}


def _texts(timers: dict[str, datetime]) -> dict[str, str]:
    return {k: iso(v) for k, v in timers.items()}
