"""Routing's domain events -> public integration events (shared/contracts/routing.py)."""

from __future__ import annotations

from typing import Any

from services.routing.domain import Case
from shared.contracts import routing as c
from shared.outbox import Published


def to_integration(e: Any) -> Published | None:
    mapping = _MAPPINGS.get(type(e))
    if mapping is None:
        return None
    type_, build = mapping
    return Published(type_, 1, e.meta["case_number"], e.timestamp, build(e).model_dump(mode="json"))


def _changed(change: str):
    return lambda e: c.ClockChangedV1(
        clock=e.clock, change=change, due=getattr(e, "due", None), reason=e.reason
    )


_MAPPINGS: dict[type, tuple[str, Any]] = {
    Case.Assigned: (
        "routing.CaseAssigned",
        lambda e: c.CaseAssignedV1(
            unit=e.unit,
            role=e.role,
            rule_id=e.rule_id,
            ruleset_version=e.ruleset_version,
            trace=e.trace,
        ),
    ),
    Case.Reassigned: (
        "routing.CaseReassigned",
        lambda e: c.CaseReassignedV1(unit=e.unit, previous_unit=e.previous_unit, reason=e.reason),
    ),
    Case.Escalated: (
        "routing.CaseEscalated",
        lambda e: c.CaseEscalatedV1(level=e.level, reason=e.reason),
    ),
    Case.ClockStarted: (
        "routing.ClockStarted",
        lambda e: c.ClockStartedV1(
            clock=e.clock, started_at=e.started_at, due=e.due, policy_version=e.policy_version
        ),
    ),
    Case.ClockPaused: ("routing.ClockChanged", _changed("paused")),
    Case.ClockResumed: ("routing.ClockChanged", _changed("resumed")),
    Case.ClockExtended: ("routing.ClockChanged", _changed("extended")),
    Case.ClockRebaselined: ("routing.ClockChanged", _changed("rebaselined")),
    Case.ClockStopped: (
        "routing.ClockStopped",
        lambda e: c.ClockStoppedV1(clock=e.clock, at=e.at, met=e.met, reason=e.reason),
    ),
    Case.TimerFired: (
        "routing.TimerFired",
        lambda e: c.TimerFiredV1(clock=e.clock, timer=e.timer, unit=e.unit, due=e.due),
    ),
    Case.InvestigationRecorded: (
        "routing.InvestigationRecorded",
        lambda e: c.InvestigationRecordedV1(
            problem=e.problem,
            five_whys=e.five_whys,
            fishbone=e.fishbone,
            root_cause=e.root_cause,
            responsible_parties=e.responsible_parties,
        ),
    ),
    Case.RemedyProposed: (
        "routing.RemedyProposed",
        lambda e: c.RemedyProposedV1(
            remedies=e.remedies,
            total_amount=e.total_amount,
            currency=e.currency,
            actions=e.actions or [],
        ),
    ),
    Case.MemoFiled: (
        "routing.MemoFiled",
        lambda e: c.MemoFiledV1(from_unit=e.from_unit, author=e.author, text=e.text),
    ),
    Case.RemedyApproved: (
        "routing.RemedyApproved",
        lambda e: c.RemedyApprovedV1(
            approver_id=e.approver_id,
            approver_level=e.approver_level,
            required_level=e.required_level,
            remedies=e.remedies,
            total_amount=e.total_amount,
            currency=e.currency,
            customer=e.customer,
            unit=e.unit,
            responsible_parties=e.responsible_parties or [],
            cycle=e.cycle,
            subject=e.subject or {},
        ),
    ),
    Case.RemedyRejected: (
        "routing.RemedyRejected",
        lambda e: c.RemedyRejectedV1(approver_id=e.approver_id, reason=e.reason),
    ),
    Case.Reopened: (
        "routing.CaseReopened",
        lambda e: c.CaseReopenedV1(cycle=e.cycle, reason=e.reason),
    ),
    Case.Closed: (
        "routing.CaseClosed",
        lambda e: c.CaseClosedV1(outcome=e.outcome, reason=e.reason),
    ),
}
