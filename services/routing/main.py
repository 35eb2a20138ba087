"""Routing wiring: settings -> application, views, scheduler -> runtime -> HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.routing import api, read_models
from services.routing.application import RoutingApplication
from services.routing.contracts import to_integration
from services.routing.dependencies import Handling
from services.routing.scheduler import Scheduler
from shared.kernel import clock
from shared.platform.eventstore import persistence_env
from shared.platform.metrics import ServiceMetrics
from shared.platform.runtime import ServiceRuntime
from shared.platform.service import create_service, hooks_with_views
from shared.platform.settings import Settings
from shared.platform.sqlviews import LocalProjector, create_engine


async def refresh_gauges(engine: AsyncEngine, metrics: ServiceMetrics) -> None:
    """Open cases per unit and deadlines at risk, from the queue views, before each scrape."""
    figures = await read_models.gauges(engine, clock.now())
    metrics.set_gauge(
        "complaints_open_cases", "Open cases per unit", ("unit",), figures["open_cases"]
    )
    metrics.set_gauge(
        "complaints_deadlines",
        "Running deadlines missed or due within a day",
        ("state",),
        figures["deadlines"],
    )


def create_app(settings: Settings) -> FastAPI:
    app = RoutingApplication(persistence_env(settings))
    engine = create_engine(settings.storage, "routing-views.sqlite")
    projector = LocalProjector(
        app, engine, read_models.tracking, read_models.project, settings.poll_interval_seconds
    )

    # Timers fire only where routing consumes its upstreams: the scheduler waits until those
    # consumers have caught up (a step may be in their backlog), a guard that means nothing
    # in a process without them (an API-only replica, a relay-only worker). Such a process
    # keeps the queue views fresh instead.
    def run_scheduler() -> Awaitable[None]:
        return scheduler.run()

    work: dict[str, Callable[[], Awaitable[None]]] = (
        {"scheduler": run_scheduler}
        if settings.consumers_enabled
        else {"queue-views": projector.run}
    )
    runtime = ServiceRuntime.for_application(
        settings, app, to_integration, app.policy, background=work, leased=frozenset({"scheduler"})
    )
    scheduler = Scheduler(
        app,
        engine,
        projector,
        settings.scheduler_interval_seconds,
        upstream_caught_up=runtime.consumers_caught_up,
    )
    service = create_service(
        runtime,
        "Complaints — routing",
        [api.router],
        **hooks_with_views(app, engine, read_models.create_tables, projector),
        refresh_metrics=lambda metrics: refresh_gauges(engine, metrics),
    )
    service.state.handling = Handling(app, engine)
    return service
