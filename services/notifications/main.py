"""Notifications wiring: settings -> application, deliveries view, dispatcher -> runtime -> HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications import api, read_models
from services.notifications.application import NotificationsApplication
from services.notifications.channels import WebhookChannel, email_channel
from services.notifications.contracts import to_integration
from services.notifications.dependencies import Notifying
from services.notifications.dispatcher import Dispatcher
from services.notifications.domain import Channel
from shared.platform.eventstore import persistence_env
from shared.platform.metrics import ServiceMetrics
from shared.platform.runtime import ServiceRuntime
from shared.platform.service import create_service, hooks_with_views
from shared.platform.settings import Settings
from shared.platform.sqlviews import LocalProjector, create_engine


async def refresh_gauges(
    engine: AsyncEngine, dispatcher: Dispatcher, metrics: ServiceMetrics
) -> None:
    """Deliveries by status (queued, retrying, sent, parked) and attempts by outcome."""
    counts = await read_models.counts(engine)
    metrics.set_gauge(
        "complaints_deliveries",
        "Deliveries by status",
        ("status",),
        {(status,): count for status, count in counts.items()},
    )
    metrics.set_gauge(
        "complaints_delivery_attempts",
        "Attempts made by this process, by channel and outcome",
        ("channel", "outcome"),
        {key: count for key, count in dispatcher.attempted.items()},
    )


def create_app(settings: Settings) -> FastAPI:
    app = NotificationsApplication.of(persistence_env(settings), settings)
    engine = create_engine(settings.storage, "notifications-views.sqlite")
    projector = LocalProjector(
        app, engine, read_models.tracking, read_models.project, settings.poll_interval_seconds
    )
    dispatcher = Dispatcher(
        app,
        engine,
        projector,
        {
            Channel.email: email_channel(settings.mail),
            Channel.webhook: WebhookChannel(app, settings.delivery_attempt_timeout_seconds),
        },
        settings.delivery_attempt_timeout_seconds,
        settings.delivery_concurrency,
        settings.delivery_per_recipient,
    )
    # Deliveries are attempted where the upstreams are consumed, by one such process at a
    # time (a lease); an API-only replica keeps the deliveries view fresh instead.
    work: dict[str, Callable[[], Awaitable[None]]] = (
        {"dispatcher": dispatcher.run} if settings.consumers_enabled else {"views": projector.run}
    )
    runtime = ServiceRuntime.for_application(
        settings, app, to_integration, app.policy, background=work, leased=frozenset({"dispatcher"})
    )
    service = create_service(
        runtime,
        "Complaints — notifications",
        [api.router],
        **hooks_with_views(app, engine, read_models.create_tables, projector),
        refresh_metrics=lambda metrics: refresh_gauges(engine, dispatcher, metrics),
    )
    service.state.notifying = Notifying(app, engine, settings.delivery_retry_window_seconds)
    return service
