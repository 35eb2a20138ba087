"""Settlement's Application: opens a settlement when routing approves a remedy."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.settlement.domain import Settlement, settlement_id
from shared.case_number import CaseNumber
from shared.envelope import IntegrationEvent
from shared.errors import NotFound
from shared.eventstore import ServiceApplication
from shared.meta import Meta, caused_by, for_case


class SettlementApplication(ServiceApplication):
    name = "settlement"

    def settlement(self, number: str, cycle: int | None = None) -> Settlement:
        """The settlement of a case's cycle; the latest cycle's when none is given."""
        CaseNumber.parse(number)
        if cycle is not None:
            try:
                return self.repository.get(settlement_id(number, cycle))
            except AggregateNotFoundError:
                raise NotFound(f"no settlement for case {number} cycle {cycle}") from None
        latest = None
        for candidate in range(1, 1000):
            if settlement_id(number, candidate) not in self.repository:
                break
            latest = candidate
        if latest is None:
            raise NotFound(f"no settlement for case {number}")
        return self.repository.get(settlement_id(number, latest))

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
        cycle = event.data.get("cycle", 1)
        if settlement_id(event.case_number, cycle) in self.repository:
            return []
        data = event.data
        return [
            Settlement(
                number=event.case_number,
                cycle=cycle,
                customer=data["customer"],
                remedies=data["remedies"],
                total_amount=data["total_amount"],
                currency=data["currency"],
                meta=caused_by(event),
            )
        ]
