"""The routing rule set in force, as an event-sourced aggregate: changed only by publishing
a new version, so which rules assigned a case is in the log."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.meta import Meta

RULES_ID = aggregate_id("routing.rule-set", "current")


class RoutingRuleSet(ClockedAggregate):
    """The rule set in force, changed only by publishing a new version (an event)."""

    @staticmethod
    def create_id(**_: Any) -> Any:
        return RULES_ID

    class Published(ClockedAggregate.Created):
        ruleset: dict[str, Any]
        meta: Meta

    @event(Published)
    def __init__(self, ruleset: dict[str, Any], meta: Meta) -> None:
        self.ruleset = ruleset

    class Republished(ClockedAggregate.Event):
        ruleset: dict[str, Any]
        meta: Meta

    @event(Republished)
    def publish(self, ruleset: dict[str, Any], meta: Meta) -> None:
        self.ruleset = ruleset
