"""Routing's aggregate: the handling of one case, cycle by cycle.

Commands check first and then trigger one `@event` method that only mutates, so a refused
command leaves no event. Clock state (due times, pauses, timers fired) lives in the events,
so it is rebuilt by replay; a changed policy reaches an open case only through an explicit
re-baseline event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from eventsourcing.domain import event

from services.routing.authority import covers, levels, required_level
from services.routing.deadlines import TIMERS, DeadlinePolicy
from services.routing.rules import RuleSet, case_facts
from shared.contracts.common import PARTY_KINDS
from shared.contracts.routing import StopCause
from shared.kernel import clock
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Conflict, Forbidden, Invalid
from shared.kernel.meta import Meta
from shared.kernel.money import Money
from shared.kernel.principal import Principal, Role
from shared.kernel.values import MINOR_UNIT_RULE, below_minor_unit

#: Escalation ladder: each escalation goes one level up; level-1 cases start at the top.
LADDER = ("unit_handler", "unit_manager", "deputy_general_manager", "senior_management")


class CaseStatus(StrEnum):
    """Where a case stands in routing; the last three are closed."""

    open = "open"  # opened from intake's registration, no unit yet
    assigned = "assigned"
    investigated = "investigated"
    proposed = "proposed"  # a remedy (or a supplement) awaits approval
    approved = "approved"
    settled = "settled"  # settlement completed; awaiting the customer and the closing gate
    closed = "closed"
    not_valid = "not_valid"
    withdrawn = "withdrawn"


ACTIVE = {
    CaseStatus.assigned,
    CaseStatus.investigated,
    CaseStatus.proposed,
    CaseStatus.approved,
    CaseStatus.settled,
}
FISHBONE = ("man", "machine", "material", "method", "measurement", "environment")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Case(ClockedAggregate):
    @staticmethod
    def create_id(number: str, **_: Any) -> Any:
        return aggregate_id("routing.case", number)

    class Opened(ClockedAggregate.Created):
        number: str
        received_at: datetime
        channel: str
        nature: str
        customer: dict[str, Any]
        meta: Meta
        severity: str = "level_3"
        subject: dict[str, Any] | None = None

    @event(Opened)
    def __init__(
        self,
        number: str,
        received_at: datetime,
        channel: str,
        nature: str,
        customer: dict[str, Any],
        meta: Meta,
        severity: str = "level_3",
        subject: dict[str, Any] | None = None,
    ) -> None:
        self.number = number
        self.received_at = received_at
        self.channel = channel
        self.nature = nature
        self.severity = severity
        self.customer = customer
        self.subject = subject or {}
        self.cycle = 1
        self.status = CaseStatus.open
        self.unit: str | None = None
        self.role: str | None = None
        self.escalation_level = 0
        self.clocks: dict[str, dict[str, Any]] = {}
        self.late_steps: list[dict[str, Any]] = []
        #: (clock, cycle) of the late steps sent for review after closing (洽办), once each.
        self.reviewed: list[list[Any]] = []
        self.validity: bool | None = None
        #: Intake's classification beyond nature and severity: cause, fault class, online
        #: level (routing rules may test them).
        self.classification: dict[str, str] = {}
        #: A manager's pin: while set, changed facts do not move the case to another unit.
        self.pinned: dict[str, Any] | None = None
        self._reset_cycle()

    def _reset_cycle(self) -> None:
        self.investigation: dict[str, Any] | None = None
        self.remedies: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.total: Money | None = None
        self.approval: dict[str, Any] | None = None
        #: Every approval of this cycle, the first and its supplements, oldest first.
        self.approvals: list[dict[str, Any]] = []
        #: What this cycle's approvals cover together; the authority a supplement needs is
        #: that of this total plus the supplement (no splitting past a limit).
        self.approved_total: Money | None = None
        self.memos: list[dict[str, Any]] = []
        self.follow_up: dict[str, str] = {}
        self.settled = False
        self.customer_confirmed = False

    @property
    def foreign(self) -> bool:
        return bool(self.customer.get("foreign"))

    @property
    def is_open(self) -> bool:
        return self.status in ACTIVE or self.status == CaseStatus.open

    def check_actor(self, who: Principal) -> None:
        """Who may act on this case as it is now: a handler only while it is with its unit
        (the refusal names no other unit). Managers act across units, within the authority
        their token carries (checked at approval)."""
        if who.role is Role.handler and self.unit != who.unit:
            raise Forbidden(f"case {self.number} is not with unit {who.unit}", rule="own_unit")

    def _check_active(self, action: str) -> None:
        if self.status not in ACTIVE:
            raise Conflict(f"case {self.number} is {self.status}; cannot {action}")

    # Assignment -----------------------------------------------------------------------------

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

    # Clocks ---------------------------------------------------------------------------------

    def start_clocks(
        self, policy: DeadlinePolicy, trigger: str, start: datetime, meta: Meta
    ) -> None:
        for name in policy.clocks_starting(trigger):
            due = policy.due(name, start, self.severity, self.unit or "", self.foreign)
            self._start_clock(name, start, due, policy, meta)

    def _start_clock(
        self, name: str, start: datetime, due: datetime, policy: DeadlinePolicy, meta: Meta
    ) -> None:
        timers = {k: _iso(v) for k, v in policy.timer_times(due).items()}
        self._clock_started(
            clock=name,
            started_at=start,
            due=due,
            timers=timers,
            policy_version=policy.version,
            meta=meta,
        )

    class ClockStarted(ClockedAggregate.Event):
        clock: str
        started_at: datetime
        due: datetime
        timers: dict[str, str]
        policy_version: str
        meta: Meta

    @event(ClockStarted)
    def _clock_started(
        self,
        clock: str,
        started_at: datetime,
        due: datetime,
        timers: dict[str, str],
        policy_version: str,
        meta: Meta,
    ) -> None:
        self.clocks[clock] = {
            "started_at": started_at,
            "due": due,
            "timers": timers,
            "fired": [],
            "state": "running",
            "paused_at": None,
            "extensions": [],
            "cycle": self.cycle,
        }

    def _running(self, name: str) -> dict[str, Any]:
        state = self.clocks.get(name)
        if state is None or state["state"] == "stopped":
            raise Conflict(f"clock {name!r} is not running on case {self.number}")
        return state

    def pause_clock(self, name: str, reason: str, meta: Meta) -> None:
        if self._running(name)["state"] == "paused":
            raise Conflict(f"clock {name!r} is paused already")
        self._clock_paused(clock=name, at=clock.now(), reason=reason, meta=meta)

    class ClockPaused(ClockedAggregate.Event):
        clock: str
        at: datetime
        reason: str
        meta: Meta

    @event(ClockPaused)
    def _clock_paused(self, clock: str, at: datetime, reason: str, meta: Meta) -> None:
        self.clocks[clock].update(state="paused", paused_at=at)

    def resume_clock(self, name: str, reason: str, meta: Meta) -> None:
        state = self._running(name)
        if state["state"] != "paused":
            raise Conflict(f"clock {name!r} is not paused")
        now = clock.now()
        shift = now - state["paused_at"]
        self._clock_resumed(
            clock=name,
            at=now,
            due=state["due"] + shift,
            timers=_shifted(state["timers"], shift),
            reason=reason,
            meta=meta,
        )

    class ClockResumed(ClockedAggregate.Event):
        clock: str
        at: datetime
        due: datetime
        timers: dict[str, str]
        reason: str
        meta: Meta

    @event(ClockResumed)
    def _clock_resumed(
        self,
        clock: str,
        at: datetime,
        due: datetime,
        timers: dict[str, str],
        reason: str,
        meta: Meta,
    ) -> None:
        self.clocks[clock].update(state="running", paused_at=None, due=due, timers=timers)

    def extend_clock(
        self, name: str, due: datetime, reason: str, policy: DeadlinePolicy, meta: Meta
    ) -> None:
        state = self._running(name)
        if due <= state["due"]:
            raise Invalid(
                "an extension must move the deadline later", field="due", rule="later_than_current"
            )
        timers = {k: _iso(v) for k, v in policy.timer_times(due).items()}
        self._clock_extended(clock=name, due=due, timers=timers, reason=reason, meta=meta)

    class ClockExtended(ClockedAggregate.Event):
        clock: str
        due: datetime
        timers: dict[str, str]
        reason: str
        meta: Meta

    @event(ClockExtended)
    def _clock_extended(
        self, clock: str, due: datetime, timers: dict[str, str], reason: str, meta: Meta
    ) -> None:
        state = self.clocks[clock]
        state["extensions"].append({"from": state["due"], "to": due, "reason": reason})
        state.update(due=due, timers=timers, fired=[])

    def rebaseline(self, policy: DeadlinePolicy, reason: str, meta: Meta) -> list[str]:
        """Apply a changed policy to this open case's running clocks, explicitly."""
        changed = []
        for name, state in self.clocks.items():
            if state["state"] != "running" or name not in policy.clocks:
                continue
            due = policy.due(
                name, state["started_at"], self.severity, self.unit or "", self.foreign
            )
            if due != state["due"]:
                timers = {k: _iso(v) for k, v in policy.timer_times(due).items()}
                self._clock_rebaselined(
                    clock=name,
                    due=due,
                    timers=timers,
                    policy_version=policy.version,
                    reason=reason,
                    meta=meta,
                )
                changed.append(name)
        return changed

    class ClockRebaselined(ClockedAggregate.Event):
        clock: str
        due: datetime
        timers: dict[str, str]
        policy_version: str
        reason: str
        meta: Meta

    @event(ClockRebaselined)
    def _clock_rebaselined(
        self,
        clock: str,
        due: datetime,
        timers: dict[str, str],
        policy_version: str,
        reason: str,
        meta: Meta,
    ) -> None:
        self.clocks[clock].update(due=due, timers=timers, fired=[])

    def stop_clock(
        self,
        name: str,
        meta: Meta,
        cause: StopCause,
        reason: str,
        at: datetime | None = None,
    ) -> None:
        """Stop a clock at the moment its step happened: `at`, the causing upstream event's
        time, or now for a command of routing's own. On time is judged against that moment,
        so a consumer that catches up late does not make an on-time step late."""
        state = self.clocks.get(name)
        if state is None or state["state"] == "stopped":
            return
        at = at or clock.now()
        self._clock_stopped(
            clock=name, at=at, met=at <= state["due"], reason=reason, cause=cause, meta=meta
        )

    def _stop_all(self, meta: Meta, cause: StopCause, at: datetime | None) -> None:
        for name in list(self.clocks):
            self.stop_clock(name, meta, cause, cause.value.replace("_", " "), at)

    class ClockStopped(ClockedAggregate.Event):
        """Version 2 adds `cause`; version-1 stops are upcast from their reason's wording."""

        class_version = 2
        clock: str
        at: datetime
        met: bool
        reason: str
        cause: str
        meta: Meta

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            legacy = {"not valid": "not_valid", "withdrawn": "withdrawn", "reopened": "reopened"}
            cause = legacy.get(state["reason"], "completed")
            if state["reason"] == "closed" and state["clock"] != "close":
                cause = "closed"
            state["cause"] = cause

    @event(ClockStopped)
    def _clock_stopped(
        self, clock: str, at: datetime, met: bool, reason: str, cause: str, meta: Meta
    ) -> None:
        state = self.clocks[clock]
        state.update(state="stopped", stopped_at=at, met=met)
        if not met:
            self.late_steps.append(
                {
                    "clock": clock,
                    "cycle": state["cycle"],
                    "due": state["due"],
                    "done_at": at,
                    "extensions": state["extensions"],
                }
            )

    def due_timers(self, now: datetime) -> list[tuple[str, str]]:
        """(clock, timer) pairs whose time has come and that have not fired yet."""
        due = []
        for name, state in self.clocks.items():
            if state["state"] != "running":
                continue
            for timer in TIMERS:
                if timer not in state["fired"] and _at(state["timers"][timer]) <= now:
                    due.append((name, timer))
        return due

    def fire_due_timers(self, now: datetime, meta: Meta) -> int:
        """Warn, remind (催办) and escalate for every timer due; idempotent by construction.

        Escalation goes one level up per firing, however many clocks are overdue at that
        moment (after a clock jump, three overdue clocks are one overdue period, not three
        levels); the escalation names them all.
        """
        due = self.due_timers(now)
        for name, timer in due:
            self._timer_fired(
                clock=name,
                timer=timer,
                unit=self.unit or "",
                due=self.clocks[name]["due"],
                level=LADDER[self.escalation_level],
                meta=meta,
            )
        overdue = sorted(name for name, timer in due if timer == "escalation")
        if overdue:
            self.escalate(f"overdue: {', '.join(overdue)}", meta)
        return len(due)

    class TimerFired(ClockedAggregate.Event):
        clock: str
        timer: str
        unit: str
        due: datetime
        meta: Meta
        level: str | None = None

    @event(TimerFired)
    def _timer_fired(
        self,
        clock: str,
        timer: str,
        unit: str,
        due: datetime,
        meta: Meta,
        level: str | None = None,
    ) -> None:
        self.clocks[clock]["fired"].append(timer)

    # Investigation --------------------------------------------------------------------------

    def record_investigation(
        self,
        problem: dict[str, Any],
        five_whys: list[str],
        fishbone: dict[str, list[str]],
        root_cause: str,
        responsible_parties: list[dict[str, Any]],
        meta: Meta,
        rules: RuleSet | None = None,
    ) -> None:
        """Record the investigation; who it finds responsible may route the case anew
        (a carrier at fault: logistics), by `rules`."""
        self._check_active("record an investigation")
        unknown = set(fishbone) - set(FISHBONE)
        if unknown:
            raise Invalid(
                f"fishbone categories are {', '.join(FISHBONE)}", field="fishbone", rule="enum"
            )
        if responsible_parties:
            shares = sum(Decimal(str(p["share"])) for p in responsible_parties)
            if shares != Decimal(100):
                raise Invalid(
                    f"responsibility shares total {shares}%, not 100%",
                    field="responsible_parties",
                    rule="shares_total_100",
                )
            bad = [p["kind"] for p in responsible_parties if p["kind"] not in PARTY_KINDS]
            if bad:
                raise Invalid(
                    f"unknown party kind {bad[0]!r}", field="responsible_parties", rule="enum"
                )
        self._investigated(
            problem=problem,
            five_whys=five_whys,
            fishbone=fishbone,
            root_cause=root_cause,
            responsible_parties=responsible_parties,
            meta=meta,
        )
        self.stop_clock(
            "investigation_report", meta, StopCause.completed, "investigation report recorded"
        )
        if rules is not None:
            self.reroute(rules, "investigated", meta)

    class InvestigationRecorded(ClockedAggregate.Event):
        problem: dict[str, Any]
        five_whys: list[str]
        fishbone: dict[str, list[str]]
        root_cause: str
        responsible_parties: list[dict[str, Any]]
        meta: Meta

    @event(InvestigationRecorded)
    def _investigated(
        self,
        problem: dict[str, Any],
        five_whys: list[str],
        fishbone: dict[str, list[str]],
        root_cause: str,
        responsible_parties: list[dict[str, Any]],
        meta: Meta,
    ) -> None:
        self.investigation = {
            "problem": problem,
            "five_whys": five_whys,
            "fishbone": fishbone,
            "root_cause": root_cause,
            "responsible_parties": responsible_parties,
        }
        if self.status == CaseStatus.assigned:
            self.status = CaseStatus.investigated

    # Proposal and approval ------------------------------------------------------------------

    @property
    def supplementing(self) -> bool:
        """A proposal made after an approval of this cycle adds to it (a supplement)."""
        return bool(self.approvals)

    def propose(
        self,
        remedies: list[dict[str, Any]],
        currency: str,
        actions: list[dict[str, Any]],
        meta: Meta,
    ) -> None:
        """Propose remedies; after an approval, a supplement to it (paying more than approved).

        A supplement may add allowances, compensation, exchanges and repairs. Returns are
        bounded by their approved lines and the over-receipt rule of the seed (a decision on
        what came back beyond the tolerance), so a supplement cannot add return lines.
        """
        if self.status not in (
            CaseStatus.assigned,
            CaseStatus.investigated,
            CaseStatus.proposed,
            CaseStatus.approved,
        ):
            raise Conflict(f"case {self.number} is {self.status}; a remedy cannot be proposed")
        if not remedies:
            raise Invalid("at least one remedy is needed", field="remedies", rule="min_items")
        for index, line in enumerate(remedies):
            self._check_line(index, line, currency)
        if self.supplementing:
            self._check_supplement(remedies, currency)
        total = sum(
            (Money(Decimal(str(r["amount"])), currency) for r in remedies),
            Money(Decimal(0), currency),
        ).rounded()
        required_level(total.amount, currency)  # refuses a currency without thresholds
        if total.amount <= 0 and self.supplementing:
            raise Invalid("a supplement adds money", field="remedies", rule="positive_total")
        self._proposed(
            remedies=remedies,
            total_amount=str(total.amount),
            currency=currency,
            actions=actions,
            meta=meta,
        )
        self.stop_clock(
            "unit_conclusion", meta, StopCause.completed, "the unit concluded with a proposal"
        )

    @staticmethod
    def _check_line(index: int, line: dict[str, Any], currency: str) -> None:
        field = f"remedies[{index}].amount"
        if problem := below_minor_unit(line["amount"], currency):
            raise Invalid(problem, field=field, rule=MINOR_UNIT_RULE)
        if line.get("quantity") is not None and line.get("unit_price") is not None:
            line_total = Money(Decimal(line["unit_price"]), currency) * int(line["quantity"])
            expected = line_total.rounded().amount
            if Decimal(line["amount"]) != expected:
                raise Invalid(
                    f"amount {line['amount']} is not quantity × unit price ({expected})",
                    field=field,
                    rule="quantity_times_price",
                )

    def _check_supplement(self, remedies: list[dict[str, Any]], currency: str) -> None:
        assert self.approved_total is not None
        if currency != self.approved_total.currency:
            raise Invalid(
                f"a supplement is in the approved currency {self.approved_total.currency}",
                field="currency",
                rule="same_currency",
            )
        for index, line in enumerate(remedies):
            if line["kind"] == "return":
                raise Invalid(
                    "a supplement cannot add returns: what came back beyond the approved "
                    "quantity is decided on the settlement (over-receipt decision)",
                    field=f"remedies[{index}].kind",
                    rule="supplement_kinds",
                )

    class RemedyProposed(ClockedAggregate.Event):
        remedies: list[dict[str, Any]]
        total_amount: str
        currency: str
        meta: Meta
        actions: list[dict[str, Any]] | None = None

    @event(RemedyProposed)
    def _proposed(
        self,
        remedies: list[dict[str, Any]],
        total_amount: str,
        currency: str,
        meta: Meta,
        actions: list[dict[str, Any]] | None = None,
    ) -> None:
        self.remedies = remedies
        self.actions = actions or []
        self.total = Money(Decimal(total_amount), currency)
        self.status = CaseStatus.proposed

    class MemoFiled(ClockedAggregate.Event):
        from_unit: str
        author: str
        text: str
        meta: Meta

    @event(MemoFiled)
    def file_memo(self, from_unit: str, author: str, text: str, meta: Meta) -> None:
        """签呈: a formal objection or remark by another department, kept on the case."""
        self.memos.append({"from_unit": from_unit, "author": author, "text": text})

    def approve(self, approver_id: str, approver_level: str | None, meta: Meta) -> None:
        """Approve the proposal if the approver's authority covers the cycle's cumulative total.

        For a supplement the amount that needs authority is what the cycle's approvals then
        cover together: a manager cannot approve 60,000 and then 60,000 more.
        """
        if self.status != CaseStatus.proposed or self.total is None:
            raise Conflict(f"case {self.number} is {self.status}; nothing to approve")
        if approver_level not in levels():
            raise Forbidden(
                f"authority level {approver_level!r} is not one of {', '.join(levels())}",
                field="authority",
                rule="known_level",
            )
        cumulative = self.total + self.approved_total if self.approved_total else self.total
        required = required_level(cumulative.amount, cumulative.currency)
        if not covers(approver_level, required):
            what = f"{cumulative} (this cycle's approvals together)" if self.approvals else ""
            raise Forbidden(
                f"{what or self.total} needs approval by {required}; "
                f"{approver_level} cannot approve it",
                field="authority",
                rule="authority",
            )
        parties = (self.investigation or {}).get("responsible_parties", [])
        self._approved(
            approver_id=approver_id,
            approver_level=approver_level,
            required_level=required,
            remedies=self.remedies,
            total_amount=str(self.total.amount),
            currency=self.total.currency,
            customer=self.customer,
            unit=self.unit or "",
            responsible_parties=parties,
            cycle=self.cycle,
            subject=self.subject,
            authority_verified=True,
            approval_no=len(self.approvals) + 1,
            cumulative_total=str(cumulative.amount),
            meta=meta,
        )

    class RemedyApproved(ClockedAggregate.Event):
        """Version 2 adds `authority_verified`; version 3 `approval_no` and `cumulative_total`.

        Before bearer tokens, an approver stated its own authority level in the request;
        since, the level comes from a verified token. Stored version-1 approvals are
        upcast as unverified, so an auditor can tell the two apart. Before supplements, a
        cycle had one approval, so stored version-2 approvals are the first of their cycle.
        """

        class_version = 3
        approver_id: str
        approver_level: str
        required_level: str
        remedies: list[dict[str, Any]]
        total_amount: str
        currency: str
        customer: dict[str, Any]
        unit: str
        meta: Meta
        responsible_parties: list[dict[str, Any]] | None
        cycle: int
        subject: dict[str, Any] | None
        authority_verified: bool
        approval_no: int
        cumulative_total: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["authority_verified"] = False

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["approval_no"] = 1
            state["cumulative_total"] = state["total_amount"]

    @event(RemedyApproved)
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
        responsible_parties: list[dict[str, Any]] | None = None,
        cycle: int = 1,
        subject: dict[str, Any] | None = None,
        authority_verified: bool = False,
        approval_no: int = 1,
        cumulative_total: str | None = None,
    ) -> None:
        self.approval = {
            "approver_id": approver_id,
            "level": approver_level,
            "authority_verified": authority_verified,
            "approval_no": approval_no,
        }
        self.approvals.append({**self.approval, "remedies": remedies, "total_amount": total_amount})
        self.approved_total = Money(Decimal(cumulative_total or total_amount), currency)
        self.status = CaseStatus.approved

    def reject(self, approver_id: str, reason: str, meta: Meta) -> None:
        if self.status != CaseStatus.proposed:
            raise Conflict(f"case {self.number} is {self.status}; nothing to reject")
        self._rejected(approver_id=approver_id, reason=reason, meta=meta)

    class RemedyRejected(ClockedAggregate.Event):
        approver_id: str
        reason: str
        meta: Meta

    @event(RemedyRejected)
    def _rejected(self, approver_id: str, reason: str, meta: Meta) -> None:
        """A rejected supplement leaves the earlier approval standing."""
        if self.approvals:
            self.status = CaseStatus.approved
        else:
            self.status = CaseStatus.investigated if self.investigation else CaseStatus.assigned

    # Reactions to intake and settlement -----------------------------------------------------

    class ValidityRecorded(ClockedAggregate.Event):
        valid: bool
        reason: str
        meta: Meta

    @event(ValidityRecorded)
    def record_validity(self, valid: bool, reason: str, meta: Meta) -> None:
        self.validity = valid

    def close_not_valid(self, reason: str, meta: Meta, at: datetime | None = None) -> None:
        self._stop_all(meta, StopCause.not_valid, at)
        self._closed(outcome=CaseStatus.not_valid, reason=reason, meta=meta)
        self._review_late_steps(meta)

    def withdraw(self, reason: str, meta: Meta, at: datetime | None = None) -> None:
        self._stop_all(meta, StopCause.withdrawn, at)
        self._closed(outcome=CaseStatus.withdrawn, reason=reason, meta=meta)
        self._review_late_steps(meta)

    def mark_settled(self, policy: DeadlinePolicy, meta: Meta, at: datetime | None = None) -> bool:
        """Finance completed the settlement (at `at`); a supplement still pending then lapses.

        The customer's confirmation window runs from the completion, not from when routing
        heard of it.
        """
        if not (
            self.status == CaseStatus.approved
            or (self.status == CaseStatus.proposed and self.approvals)
        ):
            return False
        now = at or clock.now()
        self._settled(at=now, meta=meta)
        window = policy.confirmation_window.as_timedelta()
        self._clock_started(
            clock="customer_confirmation",
            started_at=now,
            due=now + window,
            timers={
                "warning": _iso(now + window),
                "reminder": _iso(now + window),
                "escalation": _iso(now + window * 2),
            },
            policy_version=policy.version,
            meta=meta,
        )
        return True

    class Settled(ClockedAggregate.Event):
        at: datetime
        meta: Meta

    @event(Settled)
    def _settled(self, at: datetime, meta: Meta) -> None:
        self.settled = True
        self.status = CaseStatus.settled

    class CustomerConfirmed(ClockedAggregate.Event):
        satisfaction: int
        meta: Meta

    @event(CustomerConfirmed)
    def confirm_by_customer(self, satisfaction: int, meta: Meta) -> None:
        self.customer_confirmed = True

    def reopen(
        self,
        cycle: int,
        reason: str,
        policy: DeadlinePolicy,
        meta: Meta,
        at: datetime | None = None,
    ) -> None:
        """A new handling cycle from the moment the customer rejected the outcome (`at`)."""
        self._stop_all(meta, StopCause.reopened, at)
        self._reopened(cycle=cycle, reason=reason, meta=meta)
        now = at or clock.now()
        for name in ("unit_conclusion", "investigation_report", "close"):
            due = policy.due(name, now, self.severity, self.unit or "", self.foreign)
            self._start_clock(name, now, due, policy, meta)

    class Reopened(ClockedAggregate.Event):
        cycle: int
        reason: str
        meta: Meta

    @event(Reopened)
    def _reopened(self, cycle: int, reason: str, meta: Meta) -> None:
        self.cycle = cycle
        self.status = CaseStatus.assigned
        self._reset_cycle()

    # Closing gate (四不放过) -------------------------------------------------------------------

    class FollowUpRecorded(ClockedAggregate.Event):
        responsible_dealt_with: str | None
        people_briefed: str | None
        meta: Meta

    @event(FollowUpRecorded)
    def record_follow_up(
        self, responsible_dealt_with: str | None, people_briefed: str | None, meta: Meta
    ) -> None:
        if responsible_dealt_with:
            self.follow_up["responsible_dealt_with"] = responsible_dealt_with
        if people_briefed:
            self.follow_up["people_briefed"] = people_briefed

    def missing_to_close(self, now: datetime) -> list[dict[str, str]]:
        missing = []

        def need(condition: str, message: str) -> None:
            missing.append({"field": condition, "rule": "closing_gate", "message": message})

        if self.validity is not True:
            need("validity", "validity has not been judged valid at intake")
        if not (self.investigation and self.investigation.get("root_cause")):
            need("cause_found", "the cause is not found (四不放过 a)")
        if "responsible_dealt_with" not in self.follow_up:
            need("responsible_dealt_with", "the responsible people are not dealt with (b)")
        if "people_briefed" not in self.follow_up:
            need("people_briefed", "the people involved have not been briefed (c)")
        if not self.actions:
            need("corrective_actions", "no corrective and preventive action is set (d)")
        if not self.settled:
            need("settlement_complete", "the settlement is not complete")
        window = self.clocks.get("customer_confirmation")
        window_passed = window is not None and window["due"] <= now
        if not (self.customer_confirmed or window_passed):
            need(
                "customer_confirmation",
                "the customer has not confirmed and the confirmation window has not passed",
            )
        return missing

    def close(self, meta: Meta) -> None:
        if self.status not in ACTIVE:
            raise Conflict(f"case {self.number} is {self.status}; cannot close it")
        missing = self.missing_to_close(clock.now())
        if missing:
            raise Conflict(
                "the case cannot close: " + "; ".join(m["message"] for m in missing), errors=missing
            )
        self.stop_clock("close", meta, StopCause.completed, "closed")
        self._stop_all(meta, StopCause.closed, None)
        self._closed(outcome=CaseStatus.closed, reason="closing gate passed", meta=meta)
        self._review_late_steps(meta)

    def _review_late_steps(self, meta: Meta) -> None:
        """After closing, each step that ran late goes to review for its reason (洽办单,
        002 §十四), once, even if the case is reopened and closed again."""
        for step in self.late_steps:
            if [step["clock"], step["cycle"]] not in self.reviewed:
                self._review_requested(
                    clock=step["clock"],
                    cycle=step["cycle"],
                    unit=self.unit or "",
                    due=step["due"],
                    done_at=step["done_at"],
                    extensions=step["extensions"],
                    meta=meta,
                )

    class OverdueReviewRequested(ClockedAggregate.Event):
        clock: str
        cycle: int
        unit: str
        due: datetime
        done_at: datetime
        extensions: list[Any]
        meta: Meta

    @event(OverdueReviewRequested)
    def _review_requested(
        self,
        clock: str,
        cycle: int,
        unit: str,
        due: datetime,
        done_at: datetime,
        extensions: list[Any],
        meta: Meta,
    ) -> None:
        self.reviewed.append([clock, cycle])

    class Closed(ClockedAggregate.Event):
        outcome: str
        reason: str
        meta: Meta

    @event(Closed)
    def _closed(self, outcome: str, reason: str, meta: Meta) -> None:
        self.status = CaseStatus(outcome)


def _shifted(timers: dict[str, str], shift: timedelta) -> dict[str, str]:
    return {k: _iso(_at(v) + shift) for k, v in timers.items()}
