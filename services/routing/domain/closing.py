"""The closing gate (四不放过): what must hold before a case closes, and the review of
late steps after it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import event

from services.routing.domain.clocks import Clocks
from services.routing.domain.state import ACTIVE, CaseStatus
from shared.contracts.routing import StopCause
from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.errors import Conflict
from shared.kernel.meta import Meta


class Closing(Clocks):
    """The case's part that holds the closing gate and closes."""

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
        window_passed = window is not None and window.due <= now
        if not (self.customer_confirmed or window_passed):
            need(
                "customer_confirmation",
                "the customer has not confirmed and the confirmation window has not passed",
            )
        return missing

    def close(self, meta: Meta) -> None:
        if self.status not in ACTIVE:
            raise Conflict(f"case {self.number} is {self.status}; cannot close it")
        missing = self.missing_to_close(self.now())
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
