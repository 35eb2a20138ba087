"""Intake wiring: settings -> application, complaint index, evidence -> runtime -> HTTP."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.intake import api, views
from services.intake.application import IntakeApplication
from services.intake.contracts import to_integration
from services.intake.dependencies import Desk
from services.intake.evidence import EvidenceStore
from shared.eventstore import persistence_env
from shared.runtime import ServiceRuntime
from shared.service import create_service
from shared.settings import Settings
from shared.sqlviews import LocalProjector, create_engine
from shared.threads import run_sync

MULTIPART_OVERHEAD = 64 * 1024


def create_app(settings: Settings) -> FastAPI:
    app = IntakeApplication(
        persistence_env(settings),
        settings.business_timezone,
        acknowledge_within=timedelta(hours=settings.acknowledge_within_hours),
        report_final_day=settings.report_final_day,
    )
    engine = create_engine(settings, "intake-views.sqlite")
    projector = LocalProjector(
        app, engine, views.tracking, views.project, settings.poll_interval_seconds
    )
    evidence = EvidenceStore(settings.evidence_dir, settings.evidence_max_bytes)

    async def start() -> None:
        await views.create_tables(engine)
        await projector.catch_up()

    async def close() -> None:
        await run_sync(app.close)
        await engine.dispose()

    async def store_ready() -> bool:
        return await run_sync(app.ping)

    service = create_service(
        ServiceRuntime.for_application(
            settings, app, to_integration, app.policy, background={"complaint-index": projector.run}
        ),
        "Complaints — intake",
        [api.router],
        store_ready=store_ready,
        on_start=start,
        on_close=close,
        larger_bodies={"/evidence": settings.evidence_max_bytes + MULTIPART_OVERHEAD},
    )
    service.state.desk = Desk(
        app, engine, evidence, repeat_window=timedelta(days=settings.repeat_window_days)
    )
    return service
