"""Routing's Application: opens and assigns cases from intake's events, runs their clocks,
and takes the handling commands (investigation, proposal, approval, closing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import event
from eventsourcing.persistence import IntegrityError

from services.routing.deadlines import DeadlinePolicy, default_policy
from services.routing.domain import Case
from services.routing.rules import Decision, RuleSet, shipped_rules
from shared.contracts import intake, settlement
from shared.contracts.envelope import IntegrationEvent
from shared.contracts.routing import StopCause
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import CaseNumber, aggregate_id
from shared.kernel.commands import Command
from shared.kernel.errors import Conflict, NotFound
from shared.kernel.meta import SYSTEM_ACTOR, Meta, caused_by, command_meta, for_case
from shared.kernel.principal import Principal
from shared.platform.eventstore import ServiceApplication
from shared.platform.reactions import Reactions

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


class RoutingApplication(ServiceApplication):
    name = "routing"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(self, env: dict[str, str], policy: DeadlinePolicy | None = None) -> None:
        super().__init__(env)
        self.policy_in_force = policy or default_policy()
        #: Reactions to upstream events, typed by their contracts (`shared.platform.reactions`).
        self.policy = self.reactions()

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

    def reactions(self) -> Reactions:
        on_case = self._on_case
        return Reactions(
            {
                intake.ComplaintRegisteredV1: self._open,
                intake.ComplaintAcknowledgedV1: on_case(_acknowledged),
                intake.ComplaintJudgedV1: on_case(_judged),
                intake.ComplaintClassifiedV1: on_case(_classified),
                intake.OutcomeConfirmedV1: on_case(_confirmed),
                intake.ComplaintReopenedV1: on_case(_reopened),
                intake.ComplaintWithdrawnV1: on_case(_withdrawn),
                settlement.SettlementCompletedV1: on_case(_settled),
            }
        )

    def _on_case(self, react: Callable[..., None]) -> Callable[[IntegrationEvent, Any], list[Any]]:
        """A reaction to an event about an existing case (none: nothing to do)."""

        def reaction(event: IntegrationEvent, payload: Any) -> list[Any]:
            try:
                case = self.case(event.case_number)
            except NotFound:
                return []
            react(self, case, event, payload, caused_by(event))
            return [case]

        return reaction

    def _open(self, event: IntegrationEvent, registered: intake.ComplaintRegisteredV1) -> list[Any]:
        """Open the case, assign it by rule, and start its clocks from the complaint's receipt."""
        if aggregate_id("routing.case", event.case_number) in self.repository:
            return []
        meta = caused_by(event)
        case = Case(
            number=registered.number,
            received_at=registered.received_at,
            channel=registered.channel,
            nature=registered.nature,
            severity=registered.severity or "level_3",
            customer=registered.complainant.model_dump(mode="json", exclude_unset=True),
            subject=registered.subject.model_dump(mode="json", exclude_unset=True),
            meta=meta,
        )
        decision = self.rules().decide(case.facts())
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

    def change(self, command: Command[Case], meta: Meta) -> Case:
        """Run one command on the case and save what it recorded."""
        return self.run_command(lambda: self.case(command.number), command, meta)

    def act(self, command: Command[Case], who: Principal) -> Case:
        """A caller's command on the case (`act_on`: authorized as the case then stands)."""
        return self.act_on(lambda: self.case(command.number), command, who)

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


def _acknowledged(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    acknowledged: intake.ComplaintAcknowledgedV1,
    meta: Meta,
) -> None:
    at = event.occurred_at
    case.stop_clock("acknowledge", meta, StopCause.completed, "acknowledged at intake", at)


def _judged(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    judged: intake.ComplaintJudgedV1,
    meta: Meta,
) -> None:
    case.record_validity(valid=judged.valid, reason=judged.reason, meta=meta)
    answered = "answered with the validity judgement"
    case.stop_clock("answer", meta, StopCause.completed, answered, event.occurred_at)
    if not judged.valid and case.is_open:
        case.close_not_valid(judged.reason, meta, event.occurred_at)


def _classified(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    classified: intake.ComplaintClassifiedV1,
    meta: Meta,
) -> None:
    case.reclassify(classified.changes, app.rules(), meta)


def _confirmed(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    confirmed: intake.OutcomeConfirmedV1,
    meta: Meta,
) -> None:
    case.confirm_by_customer(satisfaction=confirmed.satisfaction, meta=meta)
    at = event.occurred_at
    case.stop_clock("customer_confirmation", meta, StopCause.completed, "confirmed", at)


def _reopened(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    reopened: intake.ComplaintReopenedV1,
    meta: Meta,
) -> None:
    if reopened.cycle > case.cycle:
        case.reopen(reopened.cycle, reopened.reason, app.policy_in_force, meta, event.occurred_at)


def _withdrawn(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    withdrawn: intake.ComplaintWithdrawnV1,
    meta: Meta,
) -> None:
    if case.is_open:
        case.withdraw(withdrawn.reason, meta, event.occurred_at)


def _settled(
    app: RoutingApplication,
    case: Case,
    event: IntegrationEvent,
    completed: settlement.SettlementCompletedV1,
    meta: Meta,
) -> None:
    case.mark_settled(app.policy_in_force, meta, event.occurred_at)
