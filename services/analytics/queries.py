"""Loading what a report needs: live from the read models, or as known at a past time."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.analytics.domain.facts import case_fact, money_rows, payments_by_voucher
from services.analytics.read_models import case_facts, inbox, money_facts


async def live(
    engine: AsyncEngine, start: datetime, end: datetime, months: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Facts of every case open at some moment in [start, end), and the months' money."""
    c = case_facts.c
    query = select(case_facts).where(
        c.received_at < end, or_(c.closed_at.is_(None), c.closed_at >= start)
    )
    async with engine.connect() as conn:
        facts = [dict(r._mapping) for r in (await conn.execute(query)).all()]
        money = [
            dict(r._mapping)
            for r in (
                await conn.execute(select(money_facts).where(money_facts.c.month.in_(months)))
            ).all()
        ]
    return facts, money


async def as_of(
    engine: AsyncEngine, moment: datetime, zone: ZoneInfo
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Everything folded again from the inbox events recorded up to `moment`."""
    by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
    async with engine.connect() as conn:
        rows = await conn.stream(
            select(inbox.c.case_number, inbox.c.envelope).where(inbox.c.recorded_at <= moment)
        )
        async for number, envelope in rows:
            by_case[number].append(envelope)
    facts, money = [], []
    for envelopes in by_case.values():
        fact = case_fact(envelopes, zone)
        if fact is not None:
            facts.append(fact)
        payments = payments_by_voucher(envelopes)
        for envelope in envelopes:
            money.extend(money_rows(envelope, zone, payments))
    return facts, money
