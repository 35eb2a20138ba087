"""Routing's domain events -> public integration events (shared/contracts/routing.py)."""

from __future__ import annotations

from typing import Any

from services.routing.domain import Case
from shared.contracts import routing as c
from shared.platform.outbox import Builder, contract_for, copied


def _changed(change: str) -> Builder:
    """Four clock events share one public type, told apart by `change`."""

    def build(e: Any) -> c.ClockChangedV1:
        return c.ClockChangedV1(
            clock=e.clock, change=change, due=getattr(e, "due", None), reason=e.reason
        )

    return build


to_integration = contract_for(
    {
        Case.Assigned: ("routing.CaseAssigned", copied(c.CaseAssignedV1)),
        Case.Reassigned: ("routing.CaseReassigned", copied(c.CaseReassignedV1)),
        Case.Escalated: ("routing.CaseEscalated", copied(c.CaseEscalatedV1)),
        Case.ClockStarted: ("routing.ClockStarted", copied(c.ClockStartedV1)),
        Case.ClockPaused: ("routing.ClockChanged", _changed("paused")),
        Case.ClockResumed: ("routing.ClockChanged", _changed("resumed")),
        Case.ClockExtended: ("routing.ClockChanged", _changed("extended")),
        Case.ClockRebaselined: ("routing.ClockChanged", _changed("rebaselined")),
        Case.ClockStopped: ("routing.ClockStopped", copied(c.ClockStoppedV1)),
        Case.TimerFired: ("routing.TimerFired", copied(c.TimerFiredV1)),
        Case.OverdueReviewRequested: (
            "routing.OverdueReviewRequested",
            copied(c.OverdueReviewRequestedV1),
        ),
        Case.InvestigationRecorded: (
            "routing.InvestigationRecorded",
            copied(c.InvestigationRecordedV1),
        ),
        Case.RemedyProposed: ("routing.RemedyProposed", copied(c.RemedyProposedV1)),
        Case.MemoFiled: ("routing.MemoFiled", copied(c.MemoFiledV1)),
        Case.RemedyApproved: ("routing.RemedyApproved", copied(c.RemedyApprovedV1)),
        Case.RemedyRejected: ("routing.RemedyRejected", copied(c.RemedyRejectedV1)),
        Case.Reopened: ("routing.CaseReopened", copied(c.CaseReopenedV1)),
        Case.Closed: ("routing.CaseClosed", copied(c.CaseClosedV1)),
    }
)
