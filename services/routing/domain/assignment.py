"""Which unit handles the case: assignment by the routing rules, reassignment, pins,
reclassification and escalation."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from services.routing.domain.state import LADDER, CaseState, CaseStatus
from services.routing.rules import RuleSet, case_facts
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Conflict
from shared.kernel.meta import Meta


class Assignment(CaseState):
    """The case's part that decides and changes the unit handling it."""

    class Assigned(ClockedAggregate.Event):
        unit: str
        role: str
        rule_id: str
        ruleset_version: str
        trace: list[dict[str, Any]]
        meta: Meta

    @event(Assigned)
    def assign(
        self,
        unit: str,
        role: str,
        rule_id: str,
        ruleset_version: str,
        trace: list[dict[str, Any]],
        meta: Meta,
    ) -> None:
        self.unit = unit
        self.role = role
        if self.status == CaseStatus.open:
            self.status = CaseStatus.assigned

    def reassign(self, unit: str, reason: str, meta: Meta, pin: bool = True) -> None:
        """A manager moves the case; pinned (by default) so that changed facts do not move
        it back by rule."""
        self._check_active("reassign it")
        if unit == self.unit:
            raise Conflict(f"case {self.number} is with {unit} already")
        self._reassigned(unit=unit, previous_unit=self.unit or "", reason=reason, meta=meta)
        if pin != bool(self.pinned):
            self._pinned(pinned=pin, reason=reason, meta=meta)

    def pin(self, pinned: bool, reason: str, meta: Meta) -> None:
        """Keep the case with its unit whatever the facts say (or let the rules decide again)."""
        self._check_active("pin its unit")
        if pinned == bool(self.pinned):
            raise Conflict(f"case {self.number} is {'pinned' if pinned else 'not pinned'} already")
        self._pinned(pinned=pinned, reason=reason, meta=meta)

    class UnitPinned(ClockedAggregate.Event):
        pinned: bool
        reason: str
        meta: Meta

    @event(UnitPinned)
    def _pinned(self, pinned: bool, reason: str, meta: Meta) -> None:
        self.pinned = {"unit": self.unit, "reason": reason} if pinned else None

    def facts(self) -> dict[str, Any]:
        """What routing rules may test: intake's facts, its classification, and who the
        investigation found responsible."""
        parties = (self.investigation or {}).get("responsible_parties") or []
        return case_facts(
            self.channel,
            self.nature,
            self.severity,
            self.customer,
            self.subject,
            self.classification,
            [p["kind"] for p in parties],
        )

    def reroute(self, rules: RuleSet, why: str, meta: Meta) -> None:
        """Decide the unit again on changed facts; another unit is a reassignment by rule,
        with its trace. Not once a remedy is proposed, nor while a manager's pin holds."""
        if self.pinned or self.status not in (CaseStatus.assigned, CaseStatus.investigated):
            return
        decision = rules.decide(self.facts())
        if decision.rule.unit == self.unit:
            return
        self._reassigned(
            unit=decision.rule.unit,
            previous_unit=self.unit or "",
            reason=f"{why}: rule {decision.rule.id} decides {decision.rule.unit}",
            role=decision.rule.role,
            rule_id=decision.rule.id,
            ruleset_version=decision.version,
            trace=decision.trace,
            meta=meta,
        )

    def reclassify(self, changes: dict[str, str], rules: RuleSet, meta: Meta) -> None:
        """Intake changed the classification: record it, and route again on it."""
        self._reclassified(changes=changes, meta=meta)
        self.reroute(rules, "reclassified at intake", meta)

    class Reclassified(ClockedAggregate.Event):
        changes: dict[str, str]
        meta: Meta

    @event(Reclassified)
    def _reclassified(self, changes: dict[str, str], meta: Meta) -> None:
        for scheme, code in changes.items():
            if scheme == "nature":
                self.nature = code
            elif scheme == "severity":
                self.severity = code
            else:
                self.classification[scheme] = code

    class Reassigned(ClockedAggregate.Event):
        unit: str
        previous_unit: str
        reason: str
        meta: Meta
        role: str | None = None
        rule_id: str | None = None
        ruleset_version: str | None = None
        trace: list[dict[str, Any]] | None = None

    @event(Reassigned)
    def _reassigned(
        self,
        unit: str,
        previous_unit: str,
        reason: str,
        meta: Meta,
        role: str | None = None,
        rule_id: str | None = None,
        ruleset_version: str | None = None,
        trace: list[dict[str, Any]] | None = None,
    ) -> None:
        self.unit = unit
        if role:
            self.role = role

    def escalate(self, reason: str, meta: Meta, to_top: bool = False) -> None:
        if self.escalation_level == len(LADDER) - 1:
            return
        level = len(LADDER) - 1 if to_top else self.escalation_level + 1
        self._escalated(level=LADDER[level], reason=reason, meta=meta)

    class Escalated(ClockedAggregate.Event):
        level: str
        reason: str
        meta: Meta

    @event(Escalated)
    def _escalated(self, level: str, reason: str, meta: Meta) -> None:
        self.escalation_level = LADDER.index(level)
