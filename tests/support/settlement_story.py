"""A settlement told as a story: routing approves, finance books what follows."""

from __future__ import annotations

import uuid
from typing import Any

from shared.contracts.envelope import IntegrationEvent
from shared.kernel import clock
from shared.kernel.meta import Actor, command_meta
from tests.support.builders import settlement_app

FINANCE = command_meta(Actor(id="fin-zhou", role="finance"))
CUSTOMER = {"name": "Zhang San", "type": "key_account", "customer_id": "C-1001"}


def approval(
    number: str = "2611-0001",
    remedies: list[dict[str, Any]] | None = None,
    currency: str = "CNY",
    customer: dict[str, Any] | None = None,
    cycle: int = 1,
) -> IntegrationEvent:
    remedies = (
        remedies
        if remedies is not None
        else [
            {
                "kind": "return",
                "amount": "2400.00",
                "quantity": 12,
                "unit_price": "200.00",
                "part_no": "PCB-7731",
                "tax_rate": "0.13",
            }
        ]
    )
    now = clock.now()
    return IntegrationEvent(
        event_id=uuid.uuid4(),
        type="routing.RemedyApproved",
        schema_version=1,
        case_number=number,
        occurred_at=now,
        recorded_at=now,
        producer="routing",
        position=7,
        correlation_id=uuid.uuid4(),
        actor={"id": "mgr-li", "role": "manager"},
        data={
            "approver_id": "mgr-li",
            "approver_level": "manager",
            "required_level": "manager",
            "remedies": remedies,
            "total_amount": "2400.00",
            "currency": currency,
            "customer": customer or CUSTOMER,
            "unit": "quality_management",
            "responsible_parties": [],
            "cycle": cycle,
            "subject": {},
        },
    )


def opened(**changes: Any):
    app = settlement_app()
    event = approval(**changes)
    app.save(*app.policy(event))
    return app, event.case_number


def act(app, command):
    """Finance gives the settlement `command`."""
    return app.act(command, FINANCE)
