"""Analytics wiring: read models, its own small event store (alerts, publications), keeper."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import text

from services.analytics import api
from services.analytics.application import AnalyticsApplication
from services.analytics.contracts import to_integration
from services.analytics.dependencies import Reporting
from services.analytics.keeper import ReportKeeper
from services.analytics.policies import BatchClusters
from services.analytics.projection import ProjectionHandler, create_tables
from shared.platform.eventstore import persistence_env
from shared.platform.runtime import ServiceRuntime
from shared.platform.service import create_service
from shared.platform.settings import Settings
from shared.platform.sqlviews import create_engine
from shared.platform.threads import run_sync


def create_app(settings: Settings) -> FastAPI:
    zone = ZoneInfo(settings.business_timezone)
    engine = create_engine(settings.storage, "analytics-views.sqlite")
    events = AnalyticsApplication(persistence_env(settings))
    clusters = BatchClusters(events, settings.batch_cluster_regions, settings.batch_cluster_days)
    handler = ProjectionHandler(engine, settings.business_timezone, clusters.check)
    keeper = ReportKeeper(
        engine, events, zone, settings.report_final_day, settings.report_keeper_interval_seconds
    )

    async def store_ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return await run_sync(events.ping)

    async def close() -> None:
        await run_sync(events.close)
        await engine.dispose()

    service = create_service(
        ServiceRuntime.for_application(
            settings,
            events,
            to_integration,
            background={"report-keeper": keeper.run},
            handler=handler,
            tracked_position=handler.position,
            leased=frozenset({"report-keeper"}),
        ),
        "Complaints — analytics",
        [api.router],
        store_ready=store_ready,
        on_start=lambda: create_tables(engine),
        on_close=close,
    )
    service.state.reporting = Reporting(engine, zone, settings.report_final_day, keeper)
    return service
