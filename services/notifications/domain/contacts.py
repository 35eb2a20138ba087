"""Whom to write to about a case, as upstream events said."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.meta import Meta


class CaseContacts(ClockedAggregate):
    """What notifications must remember of a case from earlier events: whom to write to.

    Later events (an acknowledgement, a reminder) do not repeat the customer's address or
    the unit handling the case; this keeps them, as the upstream events said.
    """

    @staticmethod
    def create_id(number: str, **_: Any) -> UUID:
        return aggregate_id("notifications.case-contacts", number)

    class Noted(ClockedAggregate.Created):
        number: str
        customer_name: str
        customer_address: str | None
        language: str
        meta: Meta

    @event(Noted)
    def __init__(
        self,
        number: str,
        customer_name: str,
        customer_address: str | None,
        language: str,
        meta: Meta,
    ) -> None:
        self.number = number
        self.customer_name = customer_name
        self.customer_address = customer_address
        self.language = language
        self.unit: str | None = None

    def note_unit(self, unit: str, meta: Meta) -> None:
        if unit != self.unit:
            self._unit_noted(unit=unit, meta=meta)

    class UnitNoted(ClockedAggregate.Event):
        unit: str
        meta: Meta

    @event(UnitNoted)
    def _unit_noted(self, unit: str, meta: Meta) -> None:
        self.unit = unit
