"""Notifications' own events -> public integration events (shared/contracts/notifications.py)."""

from __future__ import annotations

from typing import Any

from services.notifications.domain import Delivery
from shared.contracts import notifications as c
from shared.platform.outbox import contract_for


def _sent(e: Any) -> c.MessageSentV1:
    return c.MessageSentV1(
        delivery_id=str(e.originator_id),
        channel=e.channel,
        audience=e.audience,
        about_event_id=e.event_id,
        about_event_type=e.event_type,
        attempt=e.attempt,
        status_code=e.status_code,
    )


def _parked(e: Any) -> c.DeliveryParkedV1:
    return c.DeliveryParkedV1(
        delivery_id=str(e.originator_id),
        channel=e.channel,
        audience=e.audience,
        about_event_id=e.event_id,
        about_event_type=e.event_type,
        attempts=e.attempt,
        reason=e.reason,
    )


to_integration = contract_for(
    {
        Delivery.Sent: ("notifications.MessageSent", _sent),
        Delivery.Parked: ("notifications.DeliveryParked", _parked),
    }
)
