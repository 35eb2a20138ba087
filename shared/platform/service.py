"""Builds a service's FastAPI app: kernel middleware, health, feed, and the runtime lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypedDict

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.platform.audit.http import audit_router
from shared.platform.auth.access import Access
from shared.platform.http import (
    BodyLimit,
    Correlated,
    Degradations,
    KillBeforeAnswer,
    ReplayedHeader,
    RequestTimeout,
    dead_letter_router,
    feed_router,
    headers_once,
    health_router,
    install_error_handlers,
    plain_parameters,
    withheld_router,
)
from shared.platform.metrics import Refresh, ServiceMetrics
from shared.platform.metrics import install as install_metrics
from shared.platform.openapi import document_problems
from shared.platform.runtime import ServiceRuntime
from shared.platform.settings import Settings
from shared.platform.sqlviews import LocalProjector
from shared.platform.threads import run_sync

log = logging.getLogger(__name__)


class ApplicationHooks(TypedDict):
    store_ready: Callable[[], Awaitable[bool]]
    on_close: Callable[[], Awaitable[None]]


def application_hooks(app: Any) -> ApplicationHooks:
    """Readiness and shutdown of an event-sourced application, off the event loop."""
    return {
        "store_ready": lambda: run_sync(app.ping),
        "on_close": lambda: run_sync(app.close),
    }


class ViewedApplicationHooks(ApplicationHooks):
    on_start: Callable[[], Awaitable[None]]
    views: Sequence[LocalProjector]


def hooks_with_views(
    app: Any,
    engine: AsyncEngine,
    create_tables: Callable[[AsyncEngine], Awaitable[None]],
    projector: LocalProjector,
    blocking: Engine | None = None,
) -> ViewedApplicationHooks:
    """Those of an application with SQL views of its own log: before serving, the views are
    migrated and caught up (so a list agrees with the store); after, the engine is closed,
    and `blocking`, the views' engine for worker threads (`sqlviews.create_sync_engine`).

    A view that cannot catch up does not keep the service from starting: its commands and
    reads of the store do not need it. `/ready` says `degraded` naming it, and its projector
    keeps trying (`LocalProjector.failure`)."""

    async def start() -> None:
        await create_tables(engine)
        try:
            await projector.catch_up()
        except Exception:
            log.exception("view %s could not catch up; serving, and retrying", projector.stream)

    async def close() -> None:
        await run_sync(app.close)
        await engine.dispose()
        if blocking is not None:
            blocking.dispose()

    return {
        "store_ready": lambda: run_sync(app.ping),
        "on_start": start,
        "on_close": close,
        "views": (projector,),
    }


def create_service(
    runtime: ServiceRuntime,
    title: str,
    routers: list[APIRouter],
    store_ready: Callable[[], Awaitable[bool]],
    on_start: Callable[[], Awaitable[None]] | None = None,
    on_close: Callable[[], Awaitable[None]] | None = None,
    larger_bodies: dict[str, int] | None = None,
    refresh_metrics: Refresh | None = None,
    views: Sequence[LocalProjector] = (),
) -> FastAPI:
    """A service's FastAPI app: the platform's conventions around the service's routers."""
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if on_start:
            await on_start()
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            await app.state.access.limiter.close()
            if on_close:
                await on_close()

    app = FastAPI(
        title=title,
        version="1",
        lifespan=lifespan,
        dependencies=[Depends(headers_once), Depends(plain_parameters)],
    )
    document_problems(app)
    app.state.runtime = runtime
    app.state.access = Access(settings)
    install_error_handlers(app)
    app.add_middleware(Correlated, service=settings.service.value)
    _install_limits(app, settings, larger_bodies)
    app.state.metrics = _install_metrics(app, runtime, refresh_metrics, views)
    _include_platform_routes(app, runtime, store_ready, views)
    for router in routers:
        app.include_router(router)
    return app


def _install_limits(app: FastAPI, settings: Settings, larger_bodies: dict[str, int] | None) -> None:
    """Body size, request time, replayed answers, test faults and the browsers allowed."""
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, larger=larger_bodies)
    app.add_middleware(RequestTimeout, seconds=settings.request_timeout_seconds)
    app.add_middleware(ReplayedHeader)
    if settings.fault_kill_before_answer:
        app.add_middleware(KillBeforeAnswer, after=settings.fault_kill_before_answer)
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "If-Match",
                "If-None-Match",
                "Prefer",
                "X-Correlation-ID",
            ],
            expose_headers=["Location", "ETag", "Idempotent-Replayed", "Preference-Applied"],
            max_age=600,
        )


def _install_metrics(
    app: FastAPI,
    runtime: ServiceRuntime,
    refresh_metrics: Refresh | None,
    views: Sequence[LocalProjector],
) -> ServiceMetrics:
    metrics = ServiceMetrics(runtime.settings.service.value)
    metrics.watch(runtime)
    if runtime.app is not None:

        def count_appended(events: Sequence[Any]) -> None:
            for appended in events:
                metrics.appended.labels(type(appended).__qualname__).inc()

        runtime.app.on_recorded.append(count_appended)

    async def refresh(metrics: ServiceMetrics) -> None:
        if views:
            await metrics.refresh_views(views)
        if refresh_metrics:
            await refresh_metrics(metrics)

    install_metrics(app, metrics, refresh)
    return metrics


def _include_platform_routes(
    app: FastAPI,
    runtime: ServiceRuntime,
    store_ready: Callable[[], Awaitable[bool]],
    views: Sequence[LocalProjector],
) -> None:
    """Health and readiness, the feed and withheld events, dead letters, audit."""

    async def readiness() -> dict[str, bool]:
        try:
            store = await asyncio.wait_for(store_ready(), timeout=5)
        except Exception:
            store = False
        return {"store": store, "bus": runtime.tasks_alive()}

    async def degradations() -> Degradations:
        withheld = 0
        if runtime.app is not None:
            withheld = await run_sync(runtime.app.unrepaired_withheld)
        failing = {view.stream: view.failure for view in views if view.failure}
        sealing = runtime.sealer.failure if runtime.sealer is not None else None
        return Degradations(withheld, failing, sealing)

    app.include_router(health_router(runtime.settings.service.value, readiness, degradations))
    if runtime.outbox is not None:
        app.include_router(
            feed_router(runtime.outbox, runtime.app, runtime.settings.feed_max_wait_seconds)
        )
        app.include_router(withheld_router(runtime.app))
    if runtime.handler is not None:
        app.include_router(dead_letter_router(runtime.handler))
    if runtime.app is not None:
        app.include_router(audit_router(runtime.app, runtime.settings.audit))
