"""Settlement's domain events -> public integration events (what ERP/finance subscribes to)."""

from __future__ import annotations

from typing import Any

from services.settlement.domain import Settlement
from shared.contracts.settlement import SettlementCompletedV1, SettlementOpenedV1
from shared.outbox import Published


def to_integration(e: Any) -> Published | None:
    if isinstance(e, Settlement.Opened):
        data = SettlementOpenedV1(
            customer=e.customer,
            remedies=e.remedies,
            total_amount=e.total_amount,
            currency=e.currency,
        )
        return Published(
            "settlement.SettlementOpened", 1, e.number, e.timestamp, data.model_dump(mode="json")
        )
    if isinstance(e, Settlement.Completed):
        data = SettlementCompletedV1(
            total_amount=e.total_amount, currency=e.currency, completed_by=e.completed_by
        )
        return Published(
            "settlement.SettlementCompleted",
            1,
            e.meta["case_number"],
            e.timestamp,
            data.model_dump(mode="json"),
        )
    return None
