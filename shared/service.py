"""Builds a service's FastAPI app: kernel middleware, health, feed, and the runtime lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from shared.http import (
    BodyLimit,
    correlation_middleware,
    feed_router,
    health_router,
    install_error_handlers,
)
from shared.runtime import ServiceRuntime
from shared.threads import run_sync


def application_hooks(app) -> dict[str, Callable[[], Awaitable]]:
    """Readiness and shutdown of an event-sourced application, off the event loop."""
    return {
        "store_ready": lambda: run_sync(app.ping),
        "on_close": lambda: run_sync(app.close),
    }


def create_service(
    runtime: ServiceRuntime,
    title: str,
    routers: list[APIRouter],
    store_ready: Callable[[], Awaitable[bool]],
    on_start: Callable[[], Awaitable[None]] | None = None,
    on_close: Callable[[], Awaitable[None]] | None = None,
    larger_bodies: dict[str, int] | None = None,
) -> FastAPI:
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
            if on_close:
                await on_close()

    app = FastAPI(title=title, version="1", lifespan=lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    correlation_middleware(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, larger=larger_bodies)

    async def readiness() -> dict[str, bool]:
        try:
            store = await asyncio.wait_for(store_ready(), timeout=5)
        except Exception:
            store = False
        return {"store": store, "bus": runtime.tasks_alive()}

    app.include_router(health_router(settings.service.value, readiness))
    if runtime.outbox is not None:
        app.include_router(feed_router(runtime.outbox))
    for router in routers:
        app.include_router(router)
    return app
