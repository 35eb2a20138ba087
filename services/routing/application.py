"""Routing's Application: opens cases from intake's events, assigns, proposes, approves."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.routing.domain import Case
from services.routing.rules import DEFAULT_RULES, RuleSet
from shared.case_number import CaseNumber, aggregate_id
from shared.envelope import IntegrationEvent
from shared.errors import NotFound
from shared.eventstore import ServiceApplication
from shared.meta import Meta, caused_by, for_case


class RoutingApplication(ServiceApplication):
    name = "routing"

    def __init__(self, env: dict[str, str], rules: RuleSet = DEFAULT_RULES) -> None:
        super().__init__(env)
        self.rules = rules

    def case(self, number: str) -> Case:
        CaseNumber.parse(number)
        try:
            return self.repository.get(aggregate_id("routing.case", number))
        except AggregateNotFoundError:
            raise NotFound(f"no case {number}") from None

    def policy(self, event: IntegrationEvent) -> list[Any]:
        """Reactions to upstream events; returns the aggregates changed."""
        if event.type == "intake.ComplaintRegistered":
            return self._open_and_assign(event)
        return []

    def _open_and_assign(self, event: IntegrationEvent) -> list[Any]:
        if aggregate_id("routing.case", event.case_number) in self.repository:
            return []
        data = event.data
        meta = caused_by(event)
        case = Case(
            number=data["number"],
            received_at=event.occurred_at,
            channel=data["channel"],
            nature=data["nature"],
            customer=data["complainant"],
            meta=meta,
        )
        rule = self.rules.decide({"channel": case.channel, "nature": case.nature})
        case.assign(unit=rule.unit, rule_id=rule.id, ruleset_version=self.rules.version, meta=meta)
        return [case]

    def propose(
        self, number: str, remedies: list[dict[str, Any]], currency: str, meta: Meta
    ) -> Case:
        case = self.case(number)
        case.propose(remedies, currency, for_case(meta, number))
        self.save(case)
        return case

    def approve(self, number: str, approver_id: str, approver_level: str, meta: Meta) -> Case:
        case = self.case(number)
        case.approve(approver_id, approver_level, for_case(meta, number))
        self.save(case)
        return case
