"""The business day every test lives on: a fixed date, at real speed.

Tests tell stories on fixed dates (a complaint received on 5 November, a month boundary at
the end of October), and the product refuses to register into a month whose report is
final. So the tests do not read the calendar: the process clock, in the test process and in
every service process it starts, is the wall clock shifted onto `TEST_DAY`, the same shift
for all, so effects never appear before their causes across processes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.kernel.clock import ShiftedClock

#: 10:00 in Shanghai on 6 November 2026: October's report is not final until the 10th.
TEST_DAY = datetime(2026, 11, 6, 2, 0, tzinfo=UTC)
#: When the routing stories' complaints arrive, on a stopped clock: Thursday 10:00 in Shanghai.
RECEIVED = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
#: Fixed once per test session.
SHIFT = TEST_DAY - datetime.now(UTC)


def business_clock(later: timedelta = timedelta(0)) -> ShiftedClock:
    """The session's clock (optionally `later`), as installed in the test process."""
    return ShiftedClock(SHIFT + later)


def clock_env(later: timedelta = timedelta(0)) -> dict[str, str]:
    """The same clock for a service process."""
    return {"COMPLAINTS_CLOCK_SHIFT_SECONDS": str((SHIFT + later).total_seconds())}
