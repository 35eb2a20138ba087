"""An injectable clock, so that deadlines and timestamps can be moved by tests.

Every time the system records is timezone-aware UTC. Code asks a `Clock` for "now" instead of
calling `datetime.now()`, and the one clock of a process is installed at its bootstrap.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(tz=UTC)


class ShiftedClock:
    """The wall clock moved by a fixed amount, at real speed (drills and tests).

    Every process of a drill given the same shift reads the same time, so effects never
    appear before their causes across services, as they would with clocks started apart.
    """

    def __init__(self, shift: timedelta) -> None:
        self.shift = shift

    def now(self) -> datetime:
        return datetime.now(tz=UTC) + self.shift


class ManualClock:
    """A clock that only moves when told to; for tests and replays."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = ensure_utc(moment)


def ensure_utc(moment: datetime) -> datetime:
    """Return `moment` in UTC; a naive datetime is refused rather than guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(UTC)


_clock: Clock = SystemClock()


def install_clock(clock: Clock) -> None:
    """Install the process-wide clock (called once at bootstrap, or by a test)."""
    global _clock
    _clock = clock


def now() -> datetime:
    return _clock.now()
