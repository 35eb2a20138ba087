"""Analytics wiring: settings -> SQL read models -> runtime (consumers) -> HTTP."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

from services.analytics import api
from services.analytics.projection import ProjectionHandler, create_tables
from shared.runtime import ServiceRuntime
from shared.service import create_service
from shared.settings import Settings
from shared.sqlviews import create_engine


def create_app(settings: Settings) -> FastAPI:
    engine = create_engine(settings, "analytics.sqlite")
    handler = ProjectionHandler(engine, settings.business_timezone)

    async def store_ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    return create_service(
        ServiceRuntime(settings, handler=handler, tracked_position=handler.position),
        "Complaints — analytics",
        [api.router(engine)],
        store_ready=store_ready,
        on_start=lambda: create_tables(engine),
        on_close=engine.dispose,
    )
