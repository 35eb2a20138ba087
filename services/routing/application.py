"""Routing's Application: opens and assigns cases from intake's events, runs their clocks,
and takes the handling commands (investigation, proposal, approval, closing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.routing.authority import Authority, shipped_authority
from services.routing.deadlines import DeadlinePolicy, default_policy
from services.routing.domain import Case
from services.routing.domain.rule_set import RULES_ID, RoutingRuleSet
from services.routing.policies import reactions
from services.routing.rules import Decision, RuleSet, shipped_rules
from shared.kernel.case_number import CaseNumber, aggregate_id
from shared.kernel.commands import Command
from shared.kernel.errors import Conflict, NotFound
from shared.kernel.meta import SYSTEM_ACTOR, Meta, command_meta, for_case
from shared.kernel.principal import Principal
from shared.platform.eventstore import ServiceApplication


class RoutingApplication(ServiceApplication):
    name = "routing"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(
        self,
        env: dict[str, str],
        policy: DeadlinePolicy | None = None,
        authority: Authority | None = None,
    ) -> None:
        super().__init__(env)
        self.policy_in_force = policy or default_policy()
        #: Who may approve how much (核决权限); the commands that need it carry it.
        self.authority = authority or shipped_authority()
        #: Reactions to upstream events, typed by their contracts (`shared.platform.reactions`).
        self.policy = reactions(self)

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
        ruleset = RuleSet.from_dict(data).check_values()
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
