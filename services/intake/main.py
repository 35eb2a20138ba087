"""Intake wiring: settings -> application -> runtime (relay) -> HTTP."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import api
from services.intake.application import IntakeApplication
from services.intake.contracts import to_integration
from shared.eventstore import persistence_env
from shared.runtime import ServiceRuntime
from shared.service import application_hooks, create_service
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    app = IntakeApplication(persistence_env(settings), settings.business_timezone)
    return create_service(
        ServiceRuntime.for_application(settings, app, to_integration),
        "Complaints — intake",
        [api.router(app)],
        **application_hooks(app),
    )
