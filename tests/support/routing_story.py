"""A routing case told as a story: registered at intake, then handled step by step."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.intake.contracts import to_integration as intake_contract
from services.routing.authority import shipped_authority
from services.routing.commands import Propose, RecordInvestigation
from shared.contracts.envelope import IntegrationEvent
from shared.kernel import clock
from shared.kernel.meta import Actor, command_meta
from shared.platform.outbox import OutboxReader
from tests.support.builders import clerk_meta, intake_app, registration, routing_app

#: The authority shipped with the product, as the application holds it.
AUTHORITY = shipped_authority()

HANDLER = command_meta(Actor(id="qa-liu", role="handler"))
MANAGER = command_meta(Actor(id="mgr-li", role="manager"))


def registered_event(**changes: Any) -> IntegrationEvent:
    intake = intake_app()
    intake.register(registration(**changes), clerk_meta())
    return (
        OutboxReader("intake", intake.recorder, intake.mapper, intake_contract).read(0, 9).events[0]
    )


def opened(**changes: Any):
    """A routing app with one case opened from intake's registration; returns (app, number)."""
    routing = routing_app()
    event = registered_event(**changes)
    routing.save(*routing.policy(event))
    return routing, event.case_number


def upstream(
    number: str,
    type_: str,
    data: dict[str, Any],
    producer: str = "intake",
    at: datetime | None = None,
) -> IntegrationEvent:
    moment = at or clock.now()
    return IntegrationEvent(
        event_id=uuid.uuid4(),
        type=type_,
        schema_version=1,
        case_number=number,
        occurred_at=moment,
        recorded_at=moment,
        producer=producer,
        position=99,
        correlation_id=uuid.uuid4(),
        actor={"id": "someone", "role": "clerk"},
        data=data,
    )


def react(routing, event: IntegrationEvent) -> None:
    routing.save(*routing.policy(event))


def investigated(routing, number: str) -> None:
    routing.change(
        RecordInvestigation(
            number,
            problem={"what": "solder bridges", "where": "J3"},
            five_whys=["bridges", "paste too thick", "stencil worn"],
            fishbone={"machine": ["stencil worn"]},
            root_cause="worn stencil",
            responsible_parties=[
                {"kind": "internal_unit", "name": "SMT", "share": "70"},
                {"kind": "supplier", "name": "StencilCo", "share": "30"},
            ],
        ),
        HANDLER,
    )


def proposed(
    routing, number: str, amount: str = "2400.00", currency: str = "CNY", actions: bool = True
) -> None:
    routing.change(
        Propose(
            number,
            remedies=[{"kind": "compensation", "amount": amount}],
            currency=currency,
            actions=[
                {
                    "kind": "corrective",
                    "description": "replace stencil",
                    "owner": "pe-zhao",
                    "due": "2026-12-01",
                }
            ]
            if actions
            else [],
            authority=AUTHORITY,
        ),
        HANDLER,
    )
