"""Settlement's Application: opens a settlement when routing approves a remedy."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.settlement.domain import Settlement
from shared.case_number import CaseNumber, aggregate_id
from shared.envelope import IntegrationEvent
from shared.errors import NotFound
from shared.eventstore import ServiceApplication
from shared.meta import Meta, caused_by, for_case


class SettlementApplication(ServiceApplication):
    name = "settlement"

    def settlement(self, number: str) -> Settlement:
        CaseNumber.parse(number)
        try:
            return self.repository.get(aggregate_id("settlement.settlement", number))
        except AggregateNotFoundError:
            raise NotFound(f"no settlement for case {number}") from None

    def complete(self, number: str, completed_by: str, meta: Meta) -> Settlement:
        settlement = self.settlement(number)
        settlement.complete(completed_by, for_case(meta, number))
        self.save(settlement)
        return settlement

    def policy(self, event: IntegrationEvent) -> list[Any]:
        if event.type == "routing.RemedyApproved":
            return self._open(event)
        return []

    def _open(self, event: IntegrationEvent) -> list[Any]:
        if aggregate_id("settlement.settlement", event.case_number) in self.repository:
            return []
        data = event.data
        return [
            Settlement(
                number=event.case_number,
                customer=data["customer"],
                remedies=data["remedies"],
                total_amount=data["total_amount"],
                currency=data["currency"],
                meta=caused_by(event),
            )
        ]
