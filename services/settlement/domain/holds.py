"""The receivables hold on the complained part numbers, released when the case ends."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.meta import Meta


class ReceivableHold(ClockedAggregate):
    """Receivables of the complained part numbers are held out of the salesperson's
    collection-rate bonus while the complaint is open (002 §十三.2(3))."""

    @staticmethod
    def create_id(number: str, **_: Any) -> Any:
        return aggregate_id("settlement.receivable-hold", number)

    class Placed(ClockedAggregate.Created):
        number: str
        customer: dict[str, Any]
        part_nos: list[str]
        meta: Meta

    @event(Placed)
    def __init__(
        self, number: str, customer: dict[str, Any], part_nos: list[str], meta: Meta
    ) -> None:
        self.number = number
        self.released = False

    def release(self, reason: str, normal_collection: bool, meta: Meta) -> bool:
        if self.released:
            return False
        self._released(reason=reason, normal_collection=normal_collection, meta=meta)
        return True

    class Released(ClockedAggregate.Event):
        reason: str
        normal_collection: bool
        meta: Meta

    @event(Released)
    def _released(self, reason: str, normal_collection: bool, meta: Meta) -> None:
        self.released = True
