"""Analytics wiring: read models, its own small event store (alerts, publications), keeper."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.analytics import api, versions
from services.analytics.alerts import AnalyticsApplication
from services.analytics.contracts import to_integration
from services.analytics.projection import ProjectionHandler, cluster_regions, create_tables
from services.analytics.store import answered_requests
from shared import clock
from shared.contracts.intake import ComplaintRegisteredV1
from shared.envelope import SYSTEM_ACTOR, IntegrationEvent
from shared.eventstore import persistence_env
from shared.meta import caused_by, command_meta
from shared.runtime import ServiceRuntime
from shared.service import create_service
from shared.settings import Settings
from shared.sqlviews import answer_once, create_engine
from shared.threads import run_sync

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    zone = ZoneInfo(settings.business_timezone)
    engine = create_engine(settings, "analytics-views.sqlite")
    events = AnalyticsApplication(persistence_env(settings))
    window = timedelta(days=settings.batch_cluster_days)

    async def check_cluster(
        conn: AsyncConnection, event: IntegrationEvent, registered: ComplaintRegisteredV1
    ) -> None:
        batch, region = registered.subject.batch, registered.subject.region
        if not (batch and region):
            return
        regions = await cluster_regions(conn, batch, event.occurred_at, window)
        regions.setdefault(region, [])
        if event.case_number not in regions[region]:
            regions[region].append(event.case_number)
        if len(regions) >= settings.batch_cluster_regions:
            await run_sync(
                events.raise_alert, batch, regions, settings.batch_cluster_days, caused_by(event)
            )

    handler = ProjectionHandler(engine, settings.business_timezone, check_cluster)

    async def keep() -> dict[str, Any]:
        """Store the report versions now due, then publish them; what this call stored.

        A replayed request (Idempotency-Key) stores and publishes nothing again.
        """
        now = clock.now()
        due = [
            version
            for month in await versions.months_with_cases(engine, now, zone)
            if (
                version := await versions.due_month(
                    engine, month, now, settings.report_final_day, zone
                )
            )
        ]
        if weekly := await versions.due_week(engine, now, zone):
            due.append(weekly)
        stored: list[dict[str, Any]] = []

        async def store(conn: AsyncConnection) -> dict[str, Any]:
            stored.extend(await versions.store(conn, due))
            return {"stored": [{k: v[k] for k in ("period", "version", "kind")} for v in stored]}

        try:
            answer = await answer_once(engine, answered_requests, store)
        except IntegrityError:
            return {"stored": []}  # another keeper stored them first, and publishes them
        for version in stored:
            body = version["body"]
            headline = {
                k: body.get(k)
                for k in ("received", "closed", "open_at_month_end", "valid_rate")
                if k in body
            }
            await run_sync(
                events.publish,
                version["period"],
                version["version"],
                version["kind"],
                headline,
                command_meta(SYSTEM_ACTOR),
            )
        return answer

    async def keeper_loop() -> None:
        while True:
            try:
                await keep()
            except Exception:
                log.exception("report keeper failed; retrying")
            await asyncio.sleep(settings.report_keeper_interval_seconds)

    async def store_ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return await run_sync(events.ping)

    async def close() -> None:
        await run_sync(events.close)
        await engine.dispose()

    return create_service(
        ServiceRuntime.for_application(
            settings,
            events,
            to_integration,
            background={"report-keeper": keeper_loop},
            handler=handler,
            tracked_position=handler.position,
        ),
        "Complaints — analytics",
        [api.router(engine, zone, settings.report_final_day, keep)],
        store_ready=store_ready,
        on_start=lambda: create_tables(engine),
        on_close=close,
    )
