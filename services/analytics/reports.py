"""Reports over the read models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.analytics.store import case_facts


async def monthly(engine: AsyncEngine, month: str) -> dict[str, Any]:
    """The month's figures (a complaint counts in the business-time month it was received)."""
    in_month = case_facts.c.received_month == month
    async with engine.connect() as conn:
        received = (await conn.execute(select(func.count()).where(in_month))).scalar_one()
        by_channel = dict(
            (
                await conn.execute(
                    select(case_facts.c.channel, func.count())
                    .where(in_month)
                    .group_by(case_facts.c.channel)
                )
            ).all()
        )
        by_unit = dict(
            (
                await conn.execute(
                    select(case_facts.c.unit, func.count())
                    .where(in_month, case_facts.c.unit.is_not(None))
                    .group_by(case_facts.c.unit)
                )
            ).all()
        )
        approved = (
            await conn.execute(
                select(func.count()).where(in_month, case_facts.c.approved_at.is_not(None))
            )
        ).scalar_one()
        settled = (
            await conn.execute(
                select(func.count()).where(in_month, case_facts.c.settlement_opened_at.is_not(None))
            )
        ).scalar_one()
    return {
        "month": month,
        "received": received,
        "by_channel": by_channel,
        "by_unit": by_unit,
        "approved": approved,
        "settlements_opened": settled,
    }
