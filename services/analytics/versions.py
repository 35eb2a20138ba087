"""Report versions: provisional until the final day, then frozen; later events amend.

A month's report is available from the 1st of the next month, made final on the configured
day (the 10th, 002 §九.10) and stored; if events arriving later change the figures, an
amended version is stored beside it. Nothing stored is ever rewritten. The weekly summary of
the previous ISO week is published every Monday (003 §5.3).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.analytics import queries
from services.analytics.domain import reports
from services.analytics.read_models import case_facts, report_versions
from shared.kernel.periods import final_at, next_month


def stage(month: str, now: datetime, final_day: int, zone: ZoneInfo) -> str:
    start_next, _ = reports.month_bounds(next_month(month), zone)
    if now < start_next:
        return "not_available"
    return "provisional" if now < final_at(month, final_day, zone) else "final"


async def compute_month(engine: AsyncEngine, month: str, zone: ZoneInfo) -> dict[str, Any]:
    start, end = reports.month_bounds(month, zone)
    facts, money = await queries.live(engine, start, end, [month])
    return reports.monthly(facts, money, month, zone)


def week_start(week: str, zone: ZoneInfo) -> datetime:
    """Monday 00:00 of ISO week `week` (`2026-W49`) in the business time zone."""
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    return datetime.combine(monday, time(), zone)


async def compute_week(engine: AsyncEngine, week: str, zone: ZoneInfo) -> dict[str, Any]:
    start = week_start(week, zone)
    facts, money = await queries.live(engine, start, start + timedelta(days=7), [])
    return reports.weekly(facts, money, week, zone)


async def stored(engine: AsyncEngine, period: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(report_versions)
                .where(report_versions.c.period == period)
                .order_by(report_versions.c.version)
            )
        ).all()
    return [dict(r._mapping) for r in rows]


async def due_month(
    engine: AsyncEngine, month: str, now: datetime, final_day: int, zone: ZoneInfo
) -> dict[str, Any] | None:
    """The final version when due, or an amended one when the figures changed; to store."""
    if stage(month, now, final_day, zone) != "final":
        return None
    body = await compute_month(engine, month, zone)
    versions = await stored(engine, month)
    if versions and versions[-1]["body"] == body:
        return None
    version = {
        "period": month,
        "version": len(versions) + 1,
        "kind": "amended" if versions else "final",
        "created_at": now,
        "body": body,
    }
    return version


async def due_week(engine: AsyncEngine, now: datetime, zone: ZoneInfo) -> dict[str, Any] | None:
    """On Monday or later, last ISO week's summary, once; to store."""
    local = now.astimezone(zone).date()
    last_week = local - timedelta(days=7)
    year, number, _ = last_week.isocalendar()
    week = f"{year}-W{number:02d}"
    if await stored(engine, week):
        return None
    body = await compute_week(engine, week, zone)
    return {"period": week, "version": 1, "kind": "weekly", "created_at": now, "body": body}


async def store(conn: AsyncConnection, due: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store the due versions in the caller's transaction.

    When two keepers race (the periodic one and an operator's `POST /admin/reports/keep`,
    or two replicas), the unique (period, version) key fails the later transaction whole,
    and that keeper learns it has nothing new to publish.
    """
    if due:
        await conn.execute(report_versions.insert(), due)
    return due


async def months_with_cases(engine: AsyncEngine, now: datetime, zone: ZoneInfo) -> list[str]:
    async with engine.connect() as conn:
        first = (await conn.execute(select(func.min(case_facts.c.received_month)))).scalar()
    if first is None:
        return []
    this_month = now.astimezone(zone).strftime("%Y-%m")
    months: list[str] = []
    month = first
    while month <= this_month and len(months) < 240:
        months.append(month)
        month = next_month(month)
    return months
