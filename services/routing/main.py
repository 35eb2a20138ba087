"""Routing wiring: settings -> application, views, scheduler -> runtime -> HTTP."""

from __future__ import annotations

from fastapi import FastAPI

from services.routing import api, views
from services.routing.application import RoutingApplication
from services.routing.contracts import to_integration
from services.routing.dependencies import Handling
from services.routing.scheduler import Scheduler
from shared import clock
from shared.eventstore import persistence_env
from shared.runtime import ServiceRuntime
from shared.service import application_hooks, create_service
from shared.settings import Settings
from shared.sqlviews import LocalProjector, create_engine


def create_app(settings: Settings) -> FastAPI:
    app = RoutingApplication(persistence_env(settings))
    engine = create_engine(settings, "routing-views.sqlite")
    projector = LocalProjector(
        app, engine, views.tracking, views.project, settings.poll_interval_seconds
    )
    runtime = ServiceRuntime.for_application(
        settings, app, to_integration, app.policy, background={"scheduler": lambda: scheduler.run()}
    )
    scheduler = Scheduler(
        app,
        engine,
        projector,
        settings.scheduler_interval_seconds,
        upstream_caught_up=runtime.consumers_caught_up,
    )
    hooks = application_hooks(app)

    async def start() -> None:
        await views.create_tables(engine)
        await projector.catch_up()

    async def refresh(metrics) -> None:
        figures = await views.gauges(engine, clock.now())
        metrics.set_gauge(
            "complaints_open_cases", "Open cases per unit", ("unit",), figures["open_cases"]
        )
        metrics.set_gauge(
            "complaints_deadlines",
            "Running deadlines missed or due within a day",
            ("state",),
            figures["deadlines"],
        )

    async def close() -> None:
        await hooks["on_close"]()
        await engine.dispose()

    service = create_service(
        runtime,
        "Complaints — routing",
        [api.router],
        store_ready=hooks["store_ready"],
        on_start=start,
        on_close=close,
        refresh_metrics=refresh,
    )
    service.state.handling = Handling(app, engine)
    return service
