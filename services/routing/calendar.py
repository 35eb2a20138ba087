"""The business calendar: when a deadline of N hours, days or working days falls due.

Working days skip weekends and configured holidays and keep the local time of day, so a
complaint received on Friday 16:00 with 3 working days is due Wednesday 16:00 (local).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(h|d|wd)$")


class DurationError(ValueError):
    pass


@dataclass(frozen=True)
class Duration:
    """A policy duration: `24h` (hours), `3d` (calendar days) or `3wd` (working days)."""

    amount: float
    unit: str

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _DURATION.match(text)
        if not match:
            raise DurationError(f"{text!r} is not a duration like 24h, 3d or 3wd")
        return cls(float(match.group(1)), match.group(2))

    def as_timedelta(self) -> timedelta:
        """Hours and calendar days only: offsets like 'warn 8h before' are plain time."""
        if self.unit == "wd":
            raise DurationError("working days are not a fixed length of time")
        return timedelta(hours=self.amount) if self.unit == "h" else timedelta(days=self.amount)

    def __str__(self) -> str:

        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit}"


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Asia/Shanghai"
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def add(self, start: datetime, duration: Duration) -> datetime:
        if duration.unit == "h":
            return start + timedelta(hours=duration.amount)
        if duration.unit == "d":
            return start + timedelta(days=duration.amount)
        return self._add_working_days(start, duration.amount)

    def _add_working_days(self, start: datetime, amount: float) -> datetime:
        zone = ZoneInfo(self.timezone)
        local = start.astimezone(zone)
        whole, fraction = int(amount), amount - int(amount)
        day = local.date()
        while not self.is_working_day(day):  # received on a day off: the clock starts next day
            day += timedelta(days=1)
            local = datetime.combine(day, datetime.min.time(), zone).replace(hour=9)
        remaining = whole
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        due = datetime.combine(day, local.timetz().replace(tzinfo=None), zone)
        return (due + timedelta(days=fraction)).astimezone(start.tzinfo)
