"""Reactions to intake and settlement: validity, withdrawal, settlement, the customer's
confirmation and reopening."""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import event

from services.routing.deadlines import DeadlinePolicy
from services.routing.domain.closing import Closing
from services.routing.domain.state import CaseStatus, iso
from shared.contracts.routing import StopCause
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.meta import Meta


class Lifecycle(Closing):
    """The case's part that follows intake's and settlement's news."""

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
        now = at or self.now()
        self._settled(at=now, meta=meta)
        window = policy.confirmation_window.as_timedelta()
        self._clock_started(
            clock="customer_confirmation",
            started_at=now,
            due=now + window,
            timers={
                "warning": iso(now + window),
                "reminder": iso(now + window),
                "escalation": iso(now + window * 2),
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
        now = at or self.now()
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
