"""Routing's aggregate: the handling of one case."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from services.routing.authority import LEVELS, covers, required_level
from shared.case_number import aggregate_id
from shared.errors import Conflict, Invalid
from shared.eventstore import ClockedAggregate
from shared.meta import Meta
from shared.money import Money


class Case(ClockedAggregate):
    @staticmethod
    def create_id(number: str, **_: Any) -> Any:
        return aggregate_id("routing.case", number)

    @event("Opened")
    def __init__(
        self,
        number: str,
        received_at: datetime,
        channel: str,
        nature: str,
        customer: dict[str, Any],
        meta: Meta,
    ) -> None:
        self.number = number
        self.received_at = received_at
        self.channel = channel
        self.nature = nature
        self.customer = customer
        self.unit: str | None = None
        self.remedies: list[dict[str, Any]] = []
        self.total: Money | None = None
        self.status = "open"

    @event("Assigned")
    def assign(self, unit: str, rule_id: str, ruleset_version: str, meta: Meta) -> None:
        self.unit = unit
        self.status = "assigned"

    def propose(self, remedies: list[dict[str, Any]], currency: str, meta: Meta) -> None:
        if self.status not in ("assigned", "proposed"):
            raise Conflict(f"case {self.number} is {self.status}; a remedy cannot be proposed")
        if not remedies:
            raise Invalid("at least one remedy is needed", field="remedies", rule="min_items")
        total = sum(
            (Money(Decimal(r["amount"]), currency) for r in remedies), Money(Decimal(0), currency)
        ).rounded()
        self._proposed(
            remedies=remedies, total_amount=str(total.amount), currency=currency, meta=meta
        )

    @event("RemedyProposed")
    def _proposed(
        self, remedies: list[dict[str, Any]], total_amount: str, currency: str, meta: Meta
    ) -> None:
        self.remedies = remedies
        self.total = Money(Decimal(total_amount), currency)
        self.status = "proposed"

    def approve(self, approver_id: str, approver_level: str, meta: Meta) -> None:
        if self.status != "proposed" or self.total is None:
            raise Conflict(f"case {self.number} is {self.status}; nothing to approve")
        if approver_level not in LEVELS:
            raise Invalid(
                f"unknown authority level {approver_level!r}", field="approver_level", rule="enum"
            )
        required = required_level(self.total.amount, self.total.currency)
        if not covers(approver_level, required):
            raise Conflict(
                f"{self.total} needs approval by {required}; {approver_level} cannot approve it"
            )
        self._approved(
            approver_id=approver_id,
            approver_level=approver_level,
            required_level=required,
            remedies=self.remedies,
            total_amount=str(self.total.amount),
            currency=self.total.currency,
            customer=self.customer,
            unit=self.unit or "",
            meta=meta,
        )

    @event("RemedyApproved")
    def _approved(
        self,
        approver_id: str,
        approver_level: str,
        required_level: str,
        remedies: list[dict[str, Any]],
        total_amount: str,
        currency: str,
        customer: dict[str, Any],
        unit: str,
        meta: Meta,
    ) -> None:
        self.status = "approved"
