"""Report months and when they become final: one rule for analytics, which freezes the
monthly report, and intake, which refuses to register into a frozen month unnoticed.

The month is the business's local month; the previous month's report is final on the
configured day of the next month (the 10th, seed 002 §九.10), at local midnight.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo


def month_of(moment: datetime, zone: ZoneInfo) -> str:
    """`YYYY-MM`: the local month `moment` falls in.

    Formatted by hand: analytics asks this of every money event it folds or rebuilds, and
    `strftime` costs twice as much.
    """
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def next_month(month: str) -> str:
    year, number = (int(x) for x in month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def final_at(month: str, final_day: int, zone: ZoneInfo) -> datetime:
    """When `month`'s report becomes final."""
    year, number = (int(x) for x in next_month(month).split("-"))
    return datetime.combine(date(year, number, final_day), time(), zone)
