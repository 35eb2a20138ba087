"""Settlement's aggregate: the money side of one approved remedy."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from shared.case_number import aggregate_id
from shared.errors import Conflict
from shared.eventstore import ClockedAggregate
from shared.meta import Meta


class Settlement(ClockedAggregate):
    @staticmethod
    def create_id(number: str, cycle: int = 1, **_: Any) -> Any:
        """One settlement per handling cycle: a reopened case is settled again."""
        return settlement_id(number, cycle)

    @event("Opened")
    def __init__(
        self,
        number: str,
        customer: dict[str, Any],
        remedies: list[dict[str, Any]],
        total_amount: str,
        currency: str,
        meta: Meta,
        cycle: int = 1,
    ) -> None:
        self.number = number
        self.cycle = cycle

        self.customer = customer
        self.remedies = remedies
        self.total_amount = total_amount
        self.currency = currency
        self.status = "open"

    def complete(self, completed_by: str, meta: Meta) -> None:
        if self.status != "open":
            raise Conflict(f"settlement {self.number} is {self.status}")
        self._completed(
            completed_by=completed_by,
            total_amount=self.total_amount,
            currency=self.currency,
            meta=meta,
        )

    @event("Completed")
    def _completed(self, completed_by: str, total_amount: str, currency: str, meta: Meta) -> None:
        self.status = "completed"


def settlement_id(number: str, cycle: int) -> Any:
    key = number if cycle == 1 else f"{number}#{cycle}"
    return aggregate_id("settlement.settlement", key)
