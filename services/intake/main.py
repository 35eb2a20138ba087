"""Intake wiring: settings -> application, complaint index, evidence -> runtime -> HTTP."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.intake import api, read_models
from services.intake.application import IntakeApplication
from services.intake.contracts import to_integration
from services.intake.dependencies import Desk
from services.intake.evidence import EvidenceStore
from shared.platform.eventstore import persistence_env
from shared.platform.runtime import ServiceRuntime
from shared.platform.service import create_service, hooks_with_views
from shared.platform.settings import Settings
from shared.platform.sqlviews import LocalProjector, create_engine, create_sync_engine

MULTIPART_OVERHEAD = 64 * 1024


def create_app(settings: Settings) -> FastAPI:
    app = IntakeApplication(
        persistence_env(settings),
        settings.business_timezone,
        acknowledge_within=timedelta(hours=settings.acknowledge_within_hours),
        report_final_day=settings.report_final_day,
    )
    engine = create_engine(settings.storage, "intake-views.sqlite")
    index = create_sync_engine(settings.storage, "intake-views.sqlite")
    projector = LocalProjector(
        app, engine, read_models.tracking, read_models.project, settings.poll_interval_seconds
    )
    evidence = EvidenceStore(settings.evidence_dir, settings.evidence_max_bytes)

    service = create_service(
        ServiceRuntime.for_application(
            settings, app, to_integration, app.policy, background={"complaint-index": projector.run}
        ),
        "Complaints — intake",
        [api.router],
        **hooks_with_views(app, engine, read_models.create_tables, projector, blocking=index),
        larger_bodies={"/evidence": settings.evidence_max_bytes + MULTIPART_OVERHEAD},
    )
    service.state.desk = Desk(
        app, engine, index, evidence, repeat_window=timedelta(days=settings.repeat_window_days)
    )
    return service
