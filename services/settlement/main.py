"""Settlement wiring: settings -> application -> runtime (relay, consumers) -> HTTP."""

from __future__ import annotations

from fastapi import FastAPI

from services.settlement import api
from services.settlement.application import SettlementApplication
from services.settlement.contracts import to_integration
from services.settlement.metrics import money_counter
from shared.platform.eventstore import persistence_env
from shared.platform.runtime import ServiceRuntime
from shared.platform.service import application_hooks, create_service
from shared.platform.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    app = SettlementApplication(persistence_env(settings))
    service = create_service(
        ServiceRuntime.for_application(settings, app, to_integration, app.policy),
        "Complaints — settlement",
        [api.router],
        **application_hooks(app),
    )
    service.state.settlements = app
    app.on_recorded.append(money_counter(service.state.metrics.amounts))
    return service
