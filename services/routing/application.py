"""Routing's Application: opens and assigns cases from intake's events, runs their clocks,
and takes the handling commands (investigation, proposal, approval, closing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import event
from eventsourcing.persistence import IntegrityError

from services.routing.deadlines import DeadlinePolicy, default_policy
from services.routing.domain import Case
from services.routing.rules import Decision, RuleSet, case_facts, shipped_rules
from shared.aggregate import ClockedAggregate
from shared.case_number import CaseNumber, aggregate_id
from shared.contracts.routing import StopCause
from shared.envelope import SYSTEM_ACTOR, IntegrationEvent
from shared.errors import Conflict, NotFound
from shared.eventstore import ServiceApplication
from shared.meta import Meta, caused_by, command_meta, for_case

RULES_ID = aggregate_id("routing.rule-set", "current")


class RoutingRuleSet(ClockedAggregate):
    """The rule set in force, changed only by publishing a new version (an event)."""

    @staticmethod
    def create_id(**_: Any) -> Any:
        return RULES_ID

    @event("Published")
    def __init__(self, ruleset: dict[str, Any], meta: Meta) -> None:
        self.ruleset = ruleset

    @event("Republished")
    def publish(self, ruleset: dict[str, Any], meta: Meta) -> None:
        self.ruleset = ruleset


class RoutingApplication(ServiceApplication):
    name = "routing"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(self, env: dict[str, str], policy: DeadlinePolicy | None = None) -> None:
        super().__init__(env)
        self.policy_in_force = policy or default_policy()

    # Queries --------------------------------------------------------------------------------

    def case(self, number: str) -> Case:
        CaseNumber.parse(number)
        try:
            return self.repository.get(aggregate_id("routing.case", number))
        except AggregateNotFoundError:
            raise NotFound(f"no case {number}") from None

    def case_streams(self, number: str) -> list[UUID]:
        stream = aggregate_id("routing.case", number)
        return [stream] if stream in self.repository else []

    def rules(self) -> RuleSet:
        try:
            stored: RoutingRuleSet = self.repository.get(RULES_ID)
        except AggregateNotFoundError:
            return shipped_rules()
        return RuleSet.from_dict(stored.ruleset)

    def dry_run(self, facts: dict[str, Any]) -> Decision:
        return self.rules().decide(facts)

    # Rules ----------------------------------------------------------------------------------

    def publish_rules(self, data: dict[str, Any], meta: Meta) -> RuleSet:
        ruleset = RuleSet.from_dict(data)
        if ruleset.version == self.rules().version:
            raise Conflict(
                f"rule set version {ruleset.version} is in force already; publish a new version",
                field="version",
                rule="new_version",
            )
        try:
            stored: RoutingRuleSet = self.repository.get(RULES_ID)
            stored.publish(ruleset.to_dict(), meta)
        except AggregateNotFoundError:
            stored = RoutingRuleSet(ruleset=ruleset.to_dict(), meta=meta)
        self.save(stored)
        return ruleset

    # Policy: reactions to intake's and settlement's events ----------------------------------

    def policy(self, event: IntegrationEvent) -> list[Any]:
        if event.type == "intake.ComplaintRegistered":
            return self._open(event)
        reaction = _REACTIONS.get(event.type)
        if reaction is None:
            return []
        try:
            case = self.case(event.case_number)
        except NotFound:
            return []
        reaction(self, case, event, caused_by(event))
        return [case]

    def _open(self, event: IntegrationEvent) -> list[Any]:
        if aggregate_id("routing.case", event.case_number) in self.repository:
            return []
        data = event.data
        meta = caused_by(event)
        case = Case(
            number=data["number"],
            received_at=event.occurred_at,
            channel=data["channel"],
            nature=data["nature"],
            severity=data.get("severity") or "level_3",
            customer=data["complainant"],
            subject=data.get("subject") or {},
            meta=meta,
        )
        decision = self.rules().decide(
            case_facts(case.channel, case.nature, case.severity, case.customer, case.subject)
        )
        case.assign(
            unit=decision.rule.unit,
            role=decision.rule.role,
            rule_id=decision.rule.id,
            ruleset_version=decision.version,
            trace=decision.trace,
            meta=meta,
        )
        case.start_clocks(self.policy_in_force, "received", case.received_at, meta)
        case.start_clocks(self.policy_in_force, "assigned", event.recorded_at, meta)
        if case.severity == "level_1":
            case.escalate("level 1: senior management at once (003 §5.1.3)", meta, to_top=True)
        return [case]

    # Commands -------------------------------------------------------------------------------

    def change(self, number: str, command: str, meta: Meta, **arguments: Any) -> Case:
        """Run one command method of the case and save what it recorded."""
        return self.run_command(lambda: self.case(number), number, command, meta, **arguments)

    # Scheduler ------------------------------------------------------------------------------

    def fire_due_timers(self, numbers: list[str], now: datetime) -> int:
        """Fire what is due on these cases; a case changed concurrently waits for next tick."""
        fired = 0
        for number in numbers:
            case = self.case(number)
            meta = for_case(command_meta(SYSTEM_ACTOR), number)
            count = case.fire_due_timers(now, meta)
            if count:
                try:
                    self.save(case)
                except IntegrityError:
                    continue
                fired += count
        return fired


def _acknowledged(app: RoutingApplication, case: Case, event: IntegrationEvent, meta: Meta) -> None:
    at = event.occurred_at
    case.stop_clock("acknowledge", meta, StopCause.completed, "acknowledged at intake", at)


def _judged(app: RoutingApplication, case: Case, event: IntegrationEvent, meta: Meta) -> None:
    case.record_validity(valid=event.data["valid"], reason=event.data["reason"], meta=meta)
    if not event.data["valid"] and case.is_open:
        case.close_not_valid(event.data["reason"], meta, event.occurred_at)


def _confirmed(app: RoutingApplication, case: Case, event: IntegrationEvent, meta: Meta) -> None:
    case.confirm_by_customer(satisfaction=event.data["satisfaction"], meta=meta)
    at = event.occurred_at
    case.stop_clock("customer_confirmation", meta, StopCause.completed, "confirmed", at)


def _reopened(app: RoutingApplication, case: Case, event: IntegrationEvent, meta: Meta) -> None:
    if event.data["cycle"] > case.cycle:
        case.reopen(
            event.data["cycle"], event.data["reason"], app.policy_in_force, meta, event.occurred_at
        )


def _withdrawn(app: RoutingApplication, case: Case, event: IntegrationEvent, meta: Meta) -> None:
    if case.is_open:
        case.withdraw(event.data["reason"], meta, event.occurred_at)


def _settled(app: RoutingApplication, case: Case, event: IntegrationEvent, meta: Meta) -> None:
    case.mark_settled(app.policy_in_force, meta, event.occurred_at)


_REACTIONS = {
    "intake.ComplaintAcknowledged": _acknowledged,
    "intake.ComplaintJudged": _judged,
    "intake.OutcomeConfirmed": _confirmed,
    "intake.ComplaintReopened": _reopened,
    "intake.ComplaintWithdrawn": _withdrawn,
    "settlement.SettlementCompleted": _settled,
}
