"""Builders for test stories: applications on in-memory stores, requests, envelopes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.analytics.application import AnalyticsApplication
from services.intake.application import IntakeApplication, Registration
from services.intake.taxonomy import shipped_taxonomy
from services.routing.application import RoutingApplication
from services.settlement.application import SettlementApplication
from shared.kernel.meta import Actor, command_meta
from shared.platform.settings import Settings

#: The taxonomies shipped with the product, as the intake application holds them.
TAXONOMY = shipped_taxonomy()

IN_MEMORY: dict[str, str] = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
CLERK = Actor(id="clerk-wang", role="clerk")


def intake_app() -> IntakeApplication:
    return IntakeApplication(dict(IN_MEMORY), "Asia/Shanghai")


def routing_app() -> RoutingApplication:
    return RoutingApplication(dict(IN_MEMORY))


def settlement_app() -> SettlementApplication:
    return SettlementApplication(dict(IN_MEMORY))


def analytics_app() -> AnalyticsApplication:
    return AnalyticsApplication(dict(IN_MEMORY))


def registration(**changes: Any) -> Registration:
    values: dict[str, Any] = {
        "received_at": datetime(2026, 11, 5, 2, 0, tzinfo=UTC),
        "channel": "phone",
        "nature": "quality",
        "complainant": {"name": "Zhang San", "type": "key_account", "customer_id": "C-1001"},
        "subject": {
            "part_no": "PCB-7731",
            "batch": "2645",
            "quantity_inspected": 500,
            "quantity_defective": 12,
        },
        "description": "solder bridges on connector J3",
        "demands": {"remedy": "return", "amount": None, "currency": None},
        "taken_by": "clerk-wang",
    }
    values.update(changes)
    return Registration(**values)


def clerk_meta() -> dict[str, Any]:
    return command_meta(CLERK)


def lifespan_run_by_the_test_client(app: FastAPI) -> Any:
    """`app` for schemathesis, whose ASGI transport runs the app's lifespan itself, on a
    loop of its own, until the test ends: where a `TestClient` already runs it, that was a
    second start of the same runtime (a second set of its background work), stopped at each
    test's teardown from that other loop, 10 s a test. The lifespan's messages are answered
    here; requests go on to the app the test client started."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            await send({"type": f"{message['type']}.complete"})
            if message["type"] == "lifespan.shutdown":
                return

    return asgi


def service_app(service: str, folder: Path, **settings: Any) -> FastAPI:
    """A service's whole HTTP app on SQLite in `folder`, consumers off and unlimited rate:
    for tests that drive it in-process (schemathesis, the access matrix)."""
    from importlib import import_module

    values: dict[str, Any] = {"consumers_enabled": False, "rate_limit_per_minute": 0, **settings}
    return import_module(f"services.{service}.main").create_app(
        Settings(
            service=service, data_dir=folder / "data", evidence_dir=folder / "evidence", **values
        )
    )
