"""The business calendar: when a deadline of N hours, days or working days falls due.

Working days skip days off and keep the local time of day, so a complaint received on
Friday 16:00 with 3 working days is due Wednesday 16:00 (local) in an ordinary week.

Which days are worked comes from China's official calendar, public holidays and make-up
working days (调休) alike, through the maintained `chinesecalendar` package rather than a
hand-kept list; the deadline policy may add days off and working days of its own (a site's
own holiday, or next year's arrangement before the package covers it), and those win.
Outside the years the package covers, and for `official: false`, the policy's weekdays
decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

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


@cache
def official_years() -> range:
    """The years China's official calendar package knows."""
    known = chinese_calendar.holidays.keys()
    return range(min(known).year, max(known).year + 1)


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Asia/Shanghai"
    #: Weekdays worked where the official calendar does not decide (Monday = 0).
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    #: The policy's own days off and working days; they win over everything else.
    holidays: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)
    #: Follow China's official calendar (public holidays and 调休) where it covers the year.
    official: bool = True

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.holidays:
            return False
        if self.official and day.year in official_years():
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() in self.workdays

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
