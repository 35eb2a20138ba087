"""Deadline policies (docs/domain §4): which clocks run, how long each is, and when timers fire.

A policy is versioned data (deadline_policy.json). Clock durations depend on the severity, the
unit (per-step limits, 002 §十.2) and whether the customer is foreign. Each running clock has
three timers: a warning before it is due, a reminder to the unit when due (催办), and an
escalation one level up some time after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from services.routing.calendar import BusinessCalendar, Duration

POLICY_FILE = Path(__file__).with_name("deadline_policy.json")

TIMERS = ("warning", "reminder", "escalation")


@dataclass(frozen=True)
class DeadlinePolicy:
    version: str
    calendar: BusinessCalendar
    clocks: dict[str, dict[str, Any]]
    severity: dict[str, dict[str, dict[str, str]]]
    units: dict[str, dict[str, dict[str, str]]]
    warn_before: Duration
    escalate_after: Duration
    confirmation_window: Duration

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeadlinePolicy:
        calendar = data["calendar"]
        policy = cls(
            version=data["version"],
            calendar=BusinessCalendar(
                timezone=calendar["timezone"],
                workdays=frozenset(calendar["workdays"]),
                holidays=frozenset(map(date.fromisoformat, calendar.get("holidays", []))),
                working_days=frozenset(map(date.fromisoformat, calendar.get("working_days", []))),
                official=calendar.get("official", True),
            ),
            clocks=data["clocks"],
            severity=data.get("severity", {}),
            units=data.get("units", {}),
            warn_before=Duration.parse(data["warn_before"]),
            escalate_after=Duration.parse(data["escalate_after"]),
            confirmation_window=Duration.parse(data["confirmation_window"]),
        )
        policy.warn_before.as_timedelta()
        policy.escalate_after.as_timedelta()

        for name in policy.clocks:  # fail at load, not when a clock starts
            for origin in ("domestic", "foreign"):
                policy.duration(name, "level_3", "", origin == "foreign")
        return policy

    def clocks_starting(self, event: str) -> list[str]:
        return [name for name, spec in self.clocks.items() if spec["starts"] == event]

    def duration(self, clock: str, severity: str, unit: str, foreign: bool) -> Duration:
        origin = "foreign" if foreign else "domestic"
        for override in (self.units.get(unit, {}), self.severity.get(severity, {})):
            if clock in override:
                return Duration.parse(override[clock][origin])
        return Duration.parse(self.clocks[clock][origin])

    def due(self, clock: str, start: datetime, severity: str, unit: str, foreign: bool) -> datetime:
        return self.calendar.add(start, self.duration(clock, severity, unit, foreign))

    def timer_times(self, due: datetime) -> dict[str, datetime]:
        """When each timer of a clock due at `due` fires."""
        return {
            "warning": due - self.warn_before.as_timedelta(),
            "reminder": due,
            "escalation": due + self.escalate_after.as_timedelta(),
        }


@cache
def default_policy() -> DeadlinePolicy:
    return DeadlinePolicy.from_dict(json.loads(POLICY_FILE.read_text(encoding="utf-8")))
