"""Settlement's public contract (what ERP/finance subscribes to)."""

from __future__ import annotations

from typing import Any

from services.settlement.domain import Settlement
from shared.outbox import Published


def to_integration(e: Any) -> Published | None:
    if isinstance(e, Settlement.Opened):
        return Published(
            "settlement.SettlementOpened",
            1,
            e.number,
            e.timestamp,
            {
                "customer": e.customer,
                "remedies": e.remedies,
                "total_amount": e.total_amount,
                "currency": e.currency,
            },
        )
    return None
