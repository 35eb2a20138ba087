"""Settlement wiring: settings -> application -> runtime (relay, consumers) -> HTTP."""

from __future__ import annotations

from fastapi import FastAPI

from services.settlement import api
from services.settlement.application import SettlementApplication
from services.settlement.contracts import to_integration
from shared.platform.eventstore import persistence_env
from shared.platform.runtime import ServiceRuntime
from shared.platform.service import application_hooks, create_service
from shared.platform.settings import Settings

#: Domain events that credit or pay the customer, and where their gross amount is.
_MONEY = {
    "CreditNoteIssued": ("refund", "gross"),
    "AllowanceIssued": ("allowance", "gross"),
    "CompensationAgreed": ("compensation", "amount"),
}


def create_app(settings: Settings) -> FastAPI:
    app = SettlementApplication(persistence_env(settings))
    service = create_service(
        ServiceRuntime.for_application(settings, app, to_integration, app.policy),
        "Complaints — settlement",
        [api.router],
        **application_hooks(app),
    )
    service.state.settlements = app
    amounts = service.state.metrics.amounts

    def count_money(events: list) -> None:
        for event in events:
            kind = _MONEY.get(type(event).__name__)
            if kind:
                amounts.labels(kind[0], event.currency).inc(float(getattr(event, kind[1])))

    app.on_recorded.append(count_money)
    return service
