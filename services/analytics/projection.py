"""Projection of integration events into analytics' read models.

Each event type sets only the columns it knows about, by upsert, so events of one case may
arrive in any order across the services' topics and the row still converges.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.analytics.store import case_facts, dead_letters, metadata, tracking
from shared.bus import Delivery
from shared.envelope import IntegrationEvent, as_datetime
from shared.sqlviews import advance_tracking, tracked_position, upsert


class _AlreadyProcessed(Exception):
    """Rolls back a transaction whose tracking position was recorded before."""


class ProjectionHandler:
    def __init__(self, engine: AsyncEngine, business_timezone: str) -> None:
        self.engine = engine
        self.zone = ZoneInfo(business_timezone)

    async def is_processed(self, stream: str, position: int) -> bool:
        recorded = await self.position(stream)
        return recorded is not None and recorded >= position

    async def position(self, stream: str) -> int | None:
        async with self.engine.connect() as conn:
            return await tracked_position(conn, tracking, stream)

    async def handle(self, event: IntegrationEvent, stream: str) -> bool:
        try:
            async with self.engine.begin() as conn:
                if not await advance_tracking(conn, tracking, stream, event.position):
                    raise _AlreadyProcessed
                await self._project(conn, event)
        except _AlreadyProcessed:
            return False
        return True

    async def record_dead_letter(self, delivery: Delivery, reason: str) -> None:
        async with self.engine.begin() as conn:
            if delivery.event is not None and not await advance_tracking(
                conn, tracking, delivery.stream, delivery.event.position
            ):
                return
            statement = upsert(conn, dead_letters).values(
                source=delivery.source,
                stream=delivery.stream,
                position=delivery.event.position if delivery.event else None,
                reason=reason[:4000],
                raw=delivery.raw.decode("utf-8", "replace")[:100_000],
                recorded_at=datetime.now(tz=UTC),
            )
            await conn.execute(statement.on_conflict_do_nothing())

    async def _project(self, conn: AsyncConnection, event: IntegrationEvent) -> None:
        columns = self._columns(event)
        if columns:
            statement = upsert(conn, case_facts).values(case_number=event.case_number, **columns)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[case_facts.c.case_number], set_=columns
                )
            )

    def _columns(self, event: IntegrationEvent) -> dict[str, Any]:
        data = event.data
        if event.type == "intake.ComplaintRegistered":
            received_at = as_datetime(data["received_at"])
            return {
                "received_at": received_at,
                "received_month": received_at.astimezone(self.zone).strftime("%Y-%m"),
                "channel": data["channel"],
                "nature": data["nature"],
            }
        if event.type == "routing.CaseAssigned":
            return {"unit": data["unit"]}
        if event.type == "routing.RemedyApproved":
            return {
                "approved_amount": Decimal(data["total_amount"]),
                "currency": data["currency"],
                "approved_at": event.occurred_at,
            }
        if event.type == "settlement.SettlementOpened":
            return {"settlement_opened_at": event.occurred_at}
        return {}


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
