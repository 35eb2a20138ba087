"""Routing wiring: settings -> application -> runtime (relay, consumers) -> HTTP."""

from __future__ import annotations

from fastapi import FastAPI

from services.routing import api
from services.routing.application import RoutingApplication
from services.routing.contracts import to_integration
from shared.eventstore import persistence_env
from shared.runtime import ServiceRuntime
from shared.service import application_hooks, create_service
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    app = RoutingApplication(persistence_env(settings))
    return create_service(
        ServiceRuntime.for_application(settings, app, to_integration, app.policy),
        "Complaints — routing",
        [api.router(app)],
        **application_hooks(app),
    )
