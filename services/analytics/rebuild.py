"""Drop the read models and rebuild them from the inbox: the same fold as live projection."""

from __future__ import annotations

import time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.analytics.domain.facts import case_fact, money_rows, payments_by_voucher
from services.analytics.projection import _row
from services.analytics.read_models import DERIVED, case_facts, inbox, money_facts

BATCH = 2000


async def rebuild(engine: AsyncEngine, zone: ZoneInfo) -> dict[str, Any]:
    """One transaction: readers see the old figures until the new ones are complete."""
    async with engine.begin() as conn:
        return await rebuild_in(conn, zone)


async def rebuild_in(conn: AsyncConnection, zone: ZoneInfo) -> dict[str, Any]:
    """Rebuild inside the caller's transaction."""
    started = time.perf_counter()
    events = cases = 0
    for table in DERIVED:
        await conn.execute(delete(table))
    facts: list[dict[str, Any]] = []
    money: list[dict[str, Any]] = []
    current: str | None = None
    envelopes: list[dict[str, Any]] = []

    async def flush_case() -> None:
        nonlocal cases
        fact = case_fact(envelopes, zone)
        if fact is not None:
            facts.append(_row(fact))
            cases += 1
        payments = payments_by_voucher(envelopes)
        for envelope in envelopes:
            money.extend(money_rows(envelope, zone, payments))

    async def flush_rows() -> None:
        if facts:
            await conn.execute(case_facts.insert(), facts)
        if money:
            await conn.execute(money_facts.insert(), money)
        facts.clear()
        money.clear()

    stream = await conn.stream(
        select(inbox.c.case_number, inbox.c.envelope).order_by(inbox.c.case_number)
    )
    async for rows in stream.partitions(BATCH):
        for number, envelope in rows:
            events += 1
            if number != current and envelopes:
                await flush_case()
                envelopes = []
            current = number
            envelopes.append(envelope)
        if len(facts) >= BATCH:
            await flush_rows()
    if envelopes:
        await flush_case()
    await flush_rows()
    seconds = time.perf_counter() - started
    return {
        "events": events,
        "cases": cases,
        "seconds": round(seconds, 3),
        "events_per_second": round(events / seconds) if seconds else None,
    }


async def rebuild_from_settings(settings: Any) -> dict[str, Any]:
    """The CLI's entry: `complaints rebuild analytics` (the service may keep running)."""
    from shared.platform.sqlviews import create_engine

    engine = create_engine(settings.storage, "analytics-views.sqlite")
    try:
        return await rebuild(engine, ZoneInfo(settings.business_timezone))
    finally:
        await engine.dispose()
